import { SpanKind, context, trace, type Link, type Span } from '@opentelemetry/api';
import { warnOnce } from './diagnostics';
import { recordFailure } from './errors';
import { currentInvocation } from './invocation';
import { arnName, sqsRecordContext } from './messaging';
import {
  ATTR_CONTEXT_SOURCE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from './semconv';
import { tracingRuntime } from './tracing';

/** The least an SQS record has: its id (what `batchItemFailures` reports). */
export interface SqsRecordLike {
  readonly messageId: string;
  readonly eventSourceARN?: string;
}

/** The partial batch response Lambda reads when the event source reports batch item failures. */
export interface BatchResponse {
  readonly batchItemFailures: { itemIdentifier: string }[];
}

/** Options of `processRecords`. */
export interface ProcessRecordsOptions {
  /**
   * Stop at the first failed record and report it and every record after it as failed, without
   * processing them: what a FIFO queue needs to keep its order.
   *
   * @default - true for a FIFO queue (its ARN ends in `.fifo`), false otherwise
   */
  readonly stopOnFirstFailure?: boolean;
}

/**
 * Runs `handler` once per record of an SQS batch, each inside a CONSUMER span whose parent is
 * the context the record's message carried (so the trace continues from its producer, through
 * SNS too), linked to the invocation. A record whose handler throws is reported in
 * `batchItemFailures` (return this from the Lambda handler, with `reportBatchItemFailures` on the
 * event source, which `TracedQueue.addConsumer` sets) and its span is an error; the others are
 * done. Tracing never makes a record fail: if it breaks, the record is processed untraced.
 *
 * @example
 * export const handler = async (event: SQSEvent) =>
 *   processRecords(event, async (record) => {
 *     await reconcile(JSON.parse(record.body));
 *   });
 */
export async function processRecords<R extends SqsRecordLike>(
  event: { readonly Records: readonly R[] },
  handler: (record: R) => unknown,
  options: ProcessRecordsOptions = {},
): Promise<BatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const failures: { itemIdentifier: string }[] = [];
  const fifo = String(records[0]?.eventSourceARN ?? '').endsWith('.fifo');
  const stopOnFirstFailure = options.stopOnFirstFailure ?? fifo;
  for (const record of records) {
    if (stopOnFirstFailure && failures.length > 0) {
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const failed = await processOne(record, handler);
    if (failed) failures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures: failures };
}

/** Processes one record; returns whether the handler failed. */
async function processOne<R extends SqsRecordLike>(
  record: R,
  handler: (record: R) => unknown,
): Promise<boolean> {
  const span = startRecordSpan(record);
  if (!span) {
    try {
      await handler(record);
      return false;
    } catch {
      return true;
    }
  }
  try {
    await context.with(trace.setSpan(context.active(), span), () => handler(record));
    return false;
  } catch (error) {
    recordFailure(span, error, 'record-error');
    currentInvocation()?.failedTraceIds.add(span.spanContext().traceId);
    return true;
  } finally {
    span.end();
  }
}

function startRecordSpan(record: SqsRecordLike): Span | undefined {
  try {
    const runtime = tracingRuntime();
    if (!runtime) return undefined;
    const active = context.active();
    const invocation = trace.getSpanContext(active);
    const found = sqsRecordContext(record);
    const queue = arnName(record.eventSourceARN);
    const links: Link[] = found && invocation ? [{ context: invocation }] : [];
    return runtime.tracer.startSpan(
      queue ? `process ${queue}` : 'process',
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: 'aws_sqs',
          [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
          [ATTR_MESSAGING_OPERATION_NAME]: 'process',
          [ATTR_MESSAGING_DESTINATION_NAME]: queue,
          [ATTR_MESSAGING_MESSAGE_ID]: record.messageId,
          [ATTR_CONTEXT_SOURCE]: found?.source ?? 'none',
        },
      },
      // The message's own context when it has one; else the record joins the invocation's trace.
      found ? found.context : active,
    );
  } catch (error) {
    warnOnce('record-span', 'starting a record span failed; records are processed untraced', error);
    return undefined;
  }
}
