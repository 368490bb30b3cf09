/**
 * The handler shim of the tracing layer: `/opt/cdk-serverless-tracing/handler.mjs`, bundled with
 * the runtime into one minified ES module by `TracingLayer`.
 *
 * A function the library did not build keeps its code; its handler is set to this shim
 * (`/opt/cdk-serverless-tracing/handler.handler`) and its own handler string goes in
 * `CDK_SERVERLESS_TRACING_HANDLER`. At init the shim loads that handler exactly as the function's
 * Lambda Node.js runtime would (`load-handler.ts`) and exports it wrapped with `traced()`. A
 * handler that the runtime would reject fails the init with the runtime's own error type and
 * message (after one log line saying the layer's shim loaded it); a function never works only
 * while the layer is on.
 *
 * esbuild replaces `__CST_ORIGINAL_HANDLER_ENV__` and `__CST_SHIM_HANDLER__` with the names in
 * `lib/private/layer-constants.ts` (`define`), so this file imports nothing from the constructs.
 */
import { traced } from '../runtime';
import { HandlerShimError, loadOriginalHandler, type LoadedHandler, type UserHandler } from './load-handler';

declare const __CST_ORIGINAL_HANDLER_ENV__: string;
declare const __CST_SHIM_HANDLER__: string;

let original: LoadedHandler;
try {
  // This file is an ES module awaiting at top level (Lambda awaits the import of an ES module
  // handler). The project type-checks it with the CommonJS settings of the constructs, which
  // reject a top-level await (TS1378); esbuild builds it as ESM, where it is valid.
  // @ts-expect-error TS1378
  original = await loadOriginalHandler({
    env: process.env,
    handlerEnv: __CST_ORIGINAL_HANDLER_ENV__,
    shimHandler: __CST_SHIM_HANDLER__,
  });
} catch (error) {
  reportLoadFailure(error);
  // Unchanged: the runtime reports it as it reports the same failure without the layer.
  throw error;
}

/** Set by `awslambda.streamifyResponse` on a response-streaming handler. */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

/**
 * The original handler wrapped with `traced()`; a response-streaming handler (`'response'` mark)
 * too, which `traced()` calls as the runtime does and whose marks it copies onto the wrapper.
 */
export const handler = wrap(original);

function wrap(loaded: LoadedHandler): UserHandler {
  if (loaded.streaming && (loaded.handler as unknown as Record<symbol, unknown>)[STREAMING] !== 'response') {
    // A streaming mark the runtime does not accept (3.x: any but undefined, null, false): the
    // handler reaches the runtime as it is, and the runtime rejects it as without the layer.
    return loaded.handler;
  }
  return traced(loaded.handler as Parameters<typeof traced>[0]) as UserHandler;
}

/**
 * One log line before the runtime's own report of the init error: the handler in that report is
 * the original one, which the function's configuration shows only in the environment variable.
 */
function reportLoadFailure(error: unknown): void {
  // The shim's own configuration errors say it all themselves.
  if (error instanceof HandlerShimError) return;
  try {
    const type = error instanceof Error ? error.name : typeof error;
    console.error(
      JSON.stringify({
        level: 'ERROR',
        source: 'cdk-serverless-tracing',
        message:
          `the tracing layer's shim loaded the function's handler "${process.env[__CST_ORIGINAL_HANDLER_ENV__]}" ` +
          `(${__CST_ORIGINAL_HANDLER_ENV__}) as the Lambda runtime does, and it failed as without the layer: ${type}`,
      }),
    );
  } catch {
    // Nothing left to do: even the log line could not be written.
  }
}
