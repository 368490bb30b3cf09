/**
 * The tracing runtime of cdk-serverless-tracing: it runs inside Lambda.
 *
 * @example
 * import { processRecords, traceAwsClient, traced } from 'cdk-serverless-tracing/runtime';
 * const sns = traceAwsClient(new SNSClient({}));
 * export const handler = traced(async (event) => ({ statusCode: 200, body: 'ok' }));
 *
 * @packageDocumentation
 */
export { traced } from './traced';
export type { AsyncHandler, CallbackHandler, TracedHandler } from './traced';
export { traceAwsClient, MAX_MESSAGE_ATTRIBUTES } from './aws-client';
export type { AwsClientLike } from './aws-client';
export { processRecords } from './records';
export type { BatchResponse, ProcessRecordsOptions, SqsRecordLike } from './records';
export { EVENTBRIDGE_CONTEXT_FIELD } from './messaging';
export { traceLogFields } from './logs';
export type { TraceLogFields } from './logs';
