import * as path from 'node:path';
import { loadHandlerV3, warnOnDeprecatedCallbackV3 } from './ric3-loader';
import { errorOnDeprecatedCallbackV4, loadHandlerV4 } from './ric4-loader';
import {
  HANDLER_STREAMING,
  parseHandlerString,
  RicGeneration,
  runtimeInterfaceClient,
  RUNTIME_ERROR,
} from './runtime-client';

/**
 * A failure of the shim's own configuration (its environment variable unset, or naming the shim
 * itself), thrown at init. Errors of the original handler are those of Lambda's runtime.
 */
export class HandlerShimError extends Error {
  constructor(name: string, message: string) {
    super(`cdk-serverless-tracing: ${message}`);
    this.name = name;
  }
}

/** The task root Lambda gives when the environment has none. */
export const DEFAULT_TASK_ROOT = '/var/task';

/** What the shim needs to find the original handler. */
export interface LoadOptions {
  /** The environment of the function (`process.env`). */
  readonly env: Record<string, string | undefined>;
  /** The variable that holds the original handler string. */
  readonly handlerEnv: string;
  /** The shim's own handler string, which the original must not be. */
  readonly shimHandler: string;
}

/** A function exported by the user's module (what `traced()` wraps). */
export type UserHandler = (...args: never[]) => unknown;

/** The original handler, and how the runtime would run it. */
export interface LoadedHandler {
  readonly handler: UserHandler;
  /**
   * The runtime would read its streaming mark (as a response-streaming handler, or to reject a
   * mark other than `'response'`): no callback check, and a mark the runtime rejects must reach
   * it unchanged.
   */
  readonly streaming: boolean;
  readonly generation: RicGeneration;
}

/**
 * Finds, loads and returns the function's original handler, named by `options.handlerEnv`,
 * exactly as the Lambda Node.js runtime of this function would (its runtime interface client:
 * 3.x for nodejs18.x–22.x, 4.x for nodejs24.x; see `runtime-client.ts`), so a handler loads with
 * the layer if and only if it loads without it, and fails with the same error type and message:
 * `Runtime.MalformedHandlerName`, `Runtime.ImportModuleError`, `Runtime.UserCodeSyntaxError`,
 * `Runtime.HandlerNotFound`, `Runtime.CallbackHandlerDeprecated` (4.x), or the module's own error
 * where the runtime passes it on (e.g. ESM's `ERR_MODULE_NOT_FOUND`, as `Error`).
 *
 * What differs: a stack trace shows the shim's frames; an error that Node's ESM loader words with
 * the importing module (`ERR_UNSUPPORTED_DIR_IMPORT`: "... imported from <parent>") names the shim,
 * where the runtime's names `/var/runtime/index.mjs`.
 *
 * @throws HandlerShimError when the variable is unset or names the shim itself.
 */
export async function loadOriginalHandler(options: LoadOptions): Promise<LoadedHandler> {
  const { env, handlerEnv } = options;
  const taskRoot = env.LAMBDA_TASK_ROOT || DEFAULT_TASK_ROOT;
  const handler = env[handlerEnv];
  if (handler === undefined || handler === '') {
    throw new HandlerShimError(
      RUNTIME_ERROR.MALFORMED_HANDLER_NAME,
      `${handlerEnv} is not set: the handler shim needs the function's original handler in it ` +
        `(e.g. "index.handler", relative to the task root ${taskRoot})`,
    );
  }
  const { generation } = runtimeInterfaceClient(env);
  const parts = parseHandlerString(generation, handler);
  const shim = parseHandlerString(generation, options.shimHandler);
  if (
    path.resolve(taskRoot, parts.moduleRoot, parts.moduleName) ===
    path.resolve(taskRoot, shim.moduleRoot, shim.moduleName)
  ) {
    throw new HandlerShimError(
      RUNTIME_ERROR.MALFORMED_HANDLER_NAME,
      `${handlerEnv} is "${handler}", the handler shim itself: it must be the function's ` +
        `own handler (e.g. "index.handler", relative to the task root ${taskRoot})`,
    );
  }

  if (generation === 4) {
    const fn = await loadHandlerV4(taskRoot, handler, parts);
    // 4.x `isHandlerStreaming`: a truthy mark is streaming (or, unless 'response', an error).
    const streaming = Boolean((fn as unknown as Record<symbol, unknown>)[HANDLER_STREAMING]);
    if (!streaming) errorOnDeprecatedCallbackV4(fn, env);
    return { handler: fn, streaming, generation };
  }
  const fn = (await loadHandlerV3(taskRoot, handler, parts)) as UserHandler;
  // 3.x `_isHandlerStreaming` (src/UserFunction.js L238-254): any mark but undefined, null and
  // false is streaming ('response') or a `Runtime.MalformedStreamingHandler`.
  const mark = (fn as unknown as Record<symbol, unknown>)[HANDLER_STREAMING];
  const streaming = mark !== undefined && mark !== null && mark !== false;
  if (!streaming) warnOnDeprecatedCallbackV3(fn, env);
  return { handler: fn, streaming, generation };
}
