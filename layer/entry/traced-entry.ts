/**
 * The entry that `TracedFunction` bundles: the user's handler module, wrapped by the runtime.
 *
 * esbuild resolves `cdk-serverless-tracing-user-handler` to the user's entry file through an
 * `--alias`, and replaces `__TRACED_HANDLER_EXPORT__` with the name of the handler export through
 * a `--define`, so this one fixed file serves every function and the bundle stays deterministic.
 */
import * as userModule from 'cdk-serverless-tracing-user-handler';
import { traced } from '../runtime';

declare const __TRACED_HANDLER_EXPORT__: string;

const exported = (userModule as Record<string, unknown>)[__TRACED_HANDLER_EXPORT__];
if (typeof exported !== 'function') {
  throw new TypeError(
    `cdk-serverless-tracing: the handler module has no function export named "${__TRACED_HANDLER_EXPORT__}"`,
  );
}

export const handler = traced(exported as Parameters<typeof traced>[0]);
