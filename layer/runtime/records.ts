import {
  SpanKind,
  TraceFlags,
  context,
  trace,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
} from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { warnOnce } from './diagnostics';
import { recordFailure } from './errors';
import { currentInvocation } from './invocation';
import { arnName, sqsRecordContext } from './messaging';
import { alwaysKeepRuleOf, markAlwaysKeep, markRecordOnly, tracestateRule } from './sampler';
import {
  ATTR_CONTEXT_SOURCE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SAMPLING_RULE,
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
    // A record that is not an object (null, a string: Lambda never sends one) is not given to the
    // handler and cannot be reported: it has no message id, and Lambda fails the whole batch for
    // an empty itemIdentifier. The other records go on.
    if (!isRecord(record)) {
      warnOnce('record-not-object', 'an SQS record that is not an object was skipped');
      continue;
    }
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
  const tracing = startRecordTracing(record);
  try {
    await (tracing ? context.with(tracing.context, () => handler(record)) : handler(record));
    tracing?.end(false, undefined);
    return false;
  } catch (error) {
    tracing?.end(true, error);
    return true;
  }
}

/** The tracing of one record: the context its handler runs in, and how it ends. */
interface RecordTracing {
  readonly context: Context;
  end(failed: boolean, error: unknown): void;
}

/**
 * Starts the span of a record, child of the context its message carried (else of the
 * invocation), linked to the invocation.
 *
 * A record whose message says "not sampled" is exported only if it fails (keep errors). Its span
 * is then made only when it fails, after the fact, with the start time and the span id the
 * handler already ran under (its children and the messages it sent carry that id), so a batch of
 * unsampled records costs no recorded span per record.
 *
 * In an invocation an always-keep rule matched, the mark goes onto the message's context too:
 * every record span is sampled, whatever its message said, and its trace is kept.
 */
function startRecordTracing(record: SqsRecordLike): RecordTracing | undefined {
  try {
    const runtime = tracingRuntime();
    if (!runtime) return undefined;
    const active = context.active();
    const invocation = trace.getSpanContext(active);
    const found = sqsRecordContext(record);
    const name = () => {
      const queue = arnName(record.eventSourceARN);
      return queue ? `process ${queue}` : 'process';
    };
    // The invocation's rule, else the check's tracestate entry on this record's message (named on
    // the record's span, as an invocation's rule is on the invocation's).
    const ownRule = alwaysKeepRuleOf(active) ? undefined : found ? tracestateRule(found.context) : undefined;
    const rule = alwaysKeepRuleOf(active) ?? ownRule;
    // The message's own context when it has one; else the record joins the invocation's trace.
    const parent = found ? markAlwaysKeep(found.context, rule) : active;
    const options = (): SpanOptions => ({
      kind: SpanKind.CONSUMER,
      links: found && invocation ? [{ context: invocation }] : [],
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: 'aws_sqs',
        [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
        [ATTR_MESSAGING_OPERATION_NAME]: 'process',
        [ATTR_MESSAGING_DESTINATION_NAME]: arnName(record.eventSourceARN),
        [ATTR_MESSAGING_MESSAGE_ID]: record.messageId,
        [ATTR_CONTEXT_SOURCE]: found?.source ?? 'none',
        ...(ownRule ? { [ATTR_SAMPLING_RULE]: ownRule.text } : {}),
      },
    });
    const failed = (span: Span, error: unknown) => {
      recordFailure(span, error, 'record-error');
      currentInvocation()?.failedTraceIds.add(span.spanContext().traceId);
    };

    const remote = found && trace.getSpanContext(found.context);
    const unsampled = remote && (remote.traceFlags & TraceFlags.SAMPLED) === 0;
    if (unsampled && runtime.config.keepErrors && !rule) {
      // The start as the SDK stamps a span (Date.now()), so it orders with its children.
      const startedAt = Date.now();
      const placeholder = new PlaceholderSpan(remote.traceId, () => runtime.ids.newSpanId());
      return {
        context: trace.setSpan(active, placeholder),
        end: (isFailure, error) => {
          if (!isFailure) return;
          guard(() => {
            runtime.ids.presetNextSpanId(placeholder.spanContext().spanId);
            try {
              const span = runtime.tracer.startSpan(
                name(),
                { ...options(), startTime: millisToHrTime(startedAt) },
                markRecordOnly(parent),
              );
              failed(span, error);
              span.end();
            } finally {
              runtime.ids.clearPresets();
            }
          });
        },
      };
    }

    const span = runtime.tracer.startSpan(name(), options(), parent);
    if (rule) currentInvocation()?.alwaysKeptTraceIds.add(span.spanContext().traceId);
    return {
      context: trace.setSpan(active, span),
      end: (isFailure, error) =>
        guard(() => {
          if (isFailure) failed(span, error);
          span.end();
        }),
    };
  } catch (error) {
    warnOnce('record-span', 'starting a record span failed; records are processed untraced', error);
    return undefined;
  }
}

/**
 * The span of an unsampled record while it runs: not recorded, like the API's non-recording span,
 * but its span id is made only when something asks for it (a child span, a message sent, a log
 * line's trace id), so a record whose handler does none of these costs no id.
 */
class PlaceholderSpan implements Span {
  private context: SpanContext | undefined;

  constructor(
    private readonly traceId: string,
    private readonly newSpanId: () => string,
  ) {}

  spanContext(): SpanContext {
    return (this.context ??= {
      traceId: this.traceId,
      spanId: this.newSpanId(),
      traceFlags: TraceFlags.NONE,
    });
  }

  setAttribute(): this {
    return this;
  }

  setAttributes(): this {
    return this;
  }

  addEvent(): this {
    return this;
  }

  addLink(): this {
    return this;
  }

  addLinks(): this {
    return this;
  }

  setStatus(): this {
    return this;
  }

  updateName(): this {
    return this;
  }

  end(): void {}

  isRecording(): boolean {
    return false;
  }

  recordException(): void {}
}

function guard(work: () => void): void {
  try {
    work();
  } catch (error) {
    warnOnce('record-end', 'ending a record span failed', error);
  }
}

function isRecord<R>(value: R): value is R & object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
