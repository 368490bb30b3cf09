/**
 * The tracing runtime of cdk-serverless-tracing: it runs inside Lambda.
 *
 * @example
 * import { traced } from 'cdk-serverless-tracing/runtime';
 * export const handler = traced(async (event) => ({ statusCode: 200, body: 'ok' }));
 *
 * @packageDocumentation
 */
export { traced } from './traced';
export type { AsyncHandler, CallbackHandler, TracedHandler } from './traced';
