/**
 * The handler shim of the tracing layer: `/opt/cdk-serverless-tracing/handler.mjs`, bundled with
 * the runtime into one minified ES module by `TracingLayer`.
 *
 * A function the library did not build keeps its code; its handler is set to this shim
 * (`/opt/cdk-serverless-tracing/handler.handler`) and its own handler string goes in
 * `CDK_SERVERLESS_TRACING_HANDLER`. At init the shim loads that handler the way Lambda's Node.js
 * runtime would and exports it wrapped with `traced()`. A handler that cannot be found or loaded
 * fails the init with an error naming the handler, the task root and what was missing, as a
 * missing handler fails a function without the layer.
 *
 * esbuild replaces `__CST_ORIGINAL_HANDLER_ENV__` and `__CST_SHIM_HANDLER__` with the names in
 * `lib/private/layer-constants.ts` (`define`), so this file imports nothing from the constructs.
 */
import { traced } from '../runtime';
import { warnOnce } from '../runtime/diagnostics';
import { loadOriginalHandler, type UserHandler } from './load-handler';

declare const __CST_ORIGINAL_HANDLER_ENV__: string;
declare const __CST_SHIM_HANDLER__: string;

/** Set by `awslambda.streamifyResponse` on a response-streaming handler. */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

// This file is an ES module awaiting at top level (Lambda awaits the import of an ES module
// handler). The project type-checks it with the CommonJS settings of the constructs, which reject
// a top-level await (TS1378); esbuild builds it as ESM, where it is valid.
// @ts-expect-error TS1378
const original = await loadOriginalHandler({
  env: process.env,
  handlerEnv: __CST_ORIGINAL_HANDLER_ENV__,
  shimHandler: __CST_SHIM_HANDLER__,
});

/** The original handler wrapped with `traced()` (a response-streaming handler is passed through). */
export const handler = wrap(original);

function wrap(fn: UserHandler): UserHandler {
  if ((fn as unknown as Record<symbol, unknown>)[STREAMING]) {
    // traced() calls (event, context); a streaming handler takes (event, responseStream, context).
    warnOnce('streaming', 'a response-streaming handler is not traced by the layer; it runs untraced');
    return fn;
  }
  return traced(fn as Parameters<typeof traced>[0]) as UserHandler;
}
