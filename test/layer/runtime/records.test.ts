import { trace } from '@opentelemetry/api';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { processRecords, traced } from '../../../layer/runtime';
import { PARENT_SPAN_ID, TRACE_ID, lambdaContext, traceparent } from '../../helpers/events';
import { QUEUE_ARN, snsEnvelope, sqsEvent, sqsRecord } from '../../helpers/local-aws';
import { STATUS } from '../../helpers/otlp-receiver';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// processRecords and the SQS consumer side with bad input: every record is handled exactly once,
// batchItemFailures holds exactly the records whose handler failed, and tracing never makes a
// record fail or get lost.

const receiver = useReceiver();

beforeEach(async () => {
  await freshRuntime(lambdaEnvironment(receiver.endpoint));
});

const withParent = (value: string, body = 'payment') =>
  sqsRecord({ body, attributes: { traceparent: { DataType: 'String', StringValue: value } } });

function consumer(fail: (record: SQSRecord) => boolean) {
  const seen: string[] = [];
  const handler = traced(async (event: SQSEvent) =>
    processRecords(event, async (record) => {
      seen.push(record.messageId);
      if (fail(record)) throw new Error(`bad record ${record.messageId}`);
    }),
  );
  return { seen, handler };
}

const recordSpan = (record: SQSRecord) =>
  receiver.spans.find((s) => s.attributes['messaging.message.id'] === record.messageId)!;

test('a batch mixing traced, untraced and malformed records: each handled once, results unchanged', async () => {
  const good = withParent(traceparent(TRACE_ID, PARENT_SPAN_ID));
  const malformed = [
    withParent('00-zzzz-not-hex'),
    withParent(`00-${'0'.repeat(32)}-${PARENT_SPAN_ID}-01`),
    withParent(`ff-${TRACE_ID}-${PARENT_SPAN_ID}-01`),
    withParent(''),
  ];
  const plain = sqsRecord({ body: 'no attributes', attributes: {} });
  const notJson = sqsRecord({ body: '{"Type":"Notification", trace this is not JSON', attributes: {} });
  const jsonNotEnvelope = sqsRecord({
    body: '{"traceparent":"not an envelope","Type":"Order"}',
    attributes: {},
  });
  const envelopeWithBadContext = sqsRecord({
    body: snsEnvelope({
      body: 'x',
      attributes: { traceparent: { DataType: 'String', StringValue: 'garbage' } },
    }),
    attributes: {},
  });
  const records = [good, ...malformed, plain, notJson, jsonNotEnvelope, envelopeWithBadContext];
  const failing = new Set([malformed[1].messageId, notJson.messageId]);
  const { seen, handler } = consumer((r) => failing.has(r.messageId));

  const result = await handler(sqsEvent(records), lambdaContext());

  expect(seen).toEqual(records.map((r) => r.messageId));
  expect(result).toEqual({ batchItemFailures: [...failing].map((id) => ({ itemIdentifier: id })) });
  expect(recordSpan(good)).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
  const batch = receiver.spans.find((s) => s.attributes['messaging.batch.message_count'] === records.length)!;
  expect(batch.links).toHaveLength(1);
  expect(batch.status).toEqual({ code: STATUS.ERROR, message: '2 record(s) failed' });
  expect(batch.attributes['serverless_tracing.batch_item_failures']).toBe(2);
  for (const record of records.slice(1)) {
    expect(recordSpan(record)).toMatchObject({ traceId: batch.traceId, parentSpanId: batch.spanId });
    expect(recordSpan(record).attributes['serverless_tracing.context_source']).toBe('none');
  }
  for (const id of failing) {
    const span = receiver.spans.find((s) => s.attributes['messaging.message.id'] === id)!;
    expect(span.status.code).toBe(STATUS.ERROR);
    expect(span.events[0].attributes['exception.message']).toBe(`bad record ${id}`);
  }
});

test('keep errors: a failed record of an unsampled trace is exported, its good siblings are not', async () => {
  const unsampledTrace = 'a'.repeat(32);
  const ok = withParent(traceparent(unsampledTrace, PARENT_SPAN_ID, false));
  const bad = withParent(traceparent('b'.repeat(32), PARENT_SPAN_ID, false));
  await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0' }));
  const { handler } = consumer((r) => r.messageId === bad.messageId);
  const result = await handler(sqsEvent([ok, bad]), lambdaContext());
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
  const traces = new Set(receiver.spans.map((s) => s.traceId));
  expect(traces.has('b'.repeat(32))).toBe(true);
  expect(traces.has(unsampledTrace)).toBe(false);
  expect(recordSpan(bad).status.code).toBe(STATUS.ERROR);
  // The batch span (ratio 0, its own trace) is kept too: the invocation reported failures.
  expect(receiver.spans.some((s) => s.attributes['messaging.batch.message_count'] === 2)).toBe(true);
});

test('a FIFO queue stops at the first failure and reports the rest without processing them', async () => {
  const fifo = `${QUEUE_ARN}.fifo`;
  const records = [1, 2, 3, 4].map((n) => sqsRecord({ body: `m${n}`, attributes: {} }, { queueArn: fifo }));
  const { seen, handler } = consumer((r) => r.body === 'm2');
  const result = await handler(sqsEvent(records), lambdaContext());
  expect(seen).toEqual(records.slice(0, 2).map((r) => r.messageId));
  expect(result).toEqual({
    batchItemFailures: records.slice(1).map((r) => ({ itemIdentifier: r.messageId })),
  });
});

test('a standard queue goes on after a failure (unless asked to stop)', async () => {
  const records = [1, 2, 3].map((n) => sqsRecord({ body: `m${n}`, attributes: {} }));
  const seen: string[] = [];
  const result = await traced(async (event: SQSEvent) =>
    processRecords(
      event,
      async (record) => {
        seen.push(record.body);
        if (record.body === 'm1') throw new Error('first fails');
      },
      { stopOnFirstFailure: true },
    ),
  )(sqsEvent(records), lambdaContext());
  expect(seen).toEqual(['m1']);
  expect(result.batchItemFailures).toHaveLength(3);

  const all: string[] = [];
  const goesOn = await traced(async (event: SQSEvent) =>
    processRecords(event, async (record) => {
      all.push(record.body);
      if (record.body === 'm1') throw new Error('first fails');
    }),
  )(sqsEvent(records), lambdaContext());
  expect(all).toEqual(['m1', 'm2', 'm3']);
  expect(goesOn.batchItemFailures).toEqual([{ itemIdentifier: records[0].messageId }]);
});

test('processRecords outside traced() (or with tracing broken) still processes every record', async () => {
  const records = [1, 2].map((n) => sqsRecord({ body: `m${n}`, attributes: {} }));
  const seen: string[] = [];
  const result = await processRecords(sqsEvent(records), (record) => {
    seen.push(record.body);
    if (record.body === 'm2') throw new Error('no');
  });
  expect(seen).toEqual(['m1', 'm2']);
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: records[1].messageId }] });
});

test('an event with no Records array is an empty batch, not a crash', async () => {
  const seen: unknown[] = [];
  expect(await processRecords({} as SQSEvent, (r) => seen.push(r))).toEqual({ batchItemFailures: [] });
  expect(await processRecords({ Records: 'x' } as unknown as SQSEvent, (r) => seen.push(r))).toEqual({
    batchItemFailures: [],
  });
  expect(seen).toEqual([]);
});

test('a failed unsampled record: its span is made after the fact with the id its children carry', async () => {
  await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0' }));
  const failedTrace = 'c'.repeat(32);
  const bad = withParent(traceparent(failedTrace, PARENT_SPAN_ID, false));
  const handler = traced(async (event: SQSEvent) =>
    processRecords(event, async () => {
      await trace.getTracer('test').startActiveSpan('child work', async (child) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        child.end();
      });
      throw new Error('cannot reconcile');
    }),
  );
  expect(await handler(sqsEvent([bad]), lambdaContext())).toEqual({
    batchItemFailures: [{ itemIdentifier: bad.messageId }],
  });
  const record = recordSpan(bad);
  const child = receiver.spans.find((s) => s.name === 'child work')!;
  expect(record).toMatchObject({
    traceId: failedTrace,
    parentSpanId: PARENT_SPAN_ID,
    status: { code: STATUS.ERROR },
  });
  expect(child).toMatchObject({ traceId: failedTrace, parentSpanId: record.spanId });
  // The record span covers the handler's work, though it was made when the handler failed.
  // (Compared in whole milliseconds: the JSON encoding may round the nanoseconds.)
  const ms = (nanos: string) => Number(BigInt(nanos) / 1_000_000n);
  expect(ms(record.startTimeUnixNano)).toBeLessThanOrEqual(ms(child.startTimeUnixNano));
  expect(ms(record.endTimeUnixNano)).toBeGreaterThanOrEqual(ms(child.endTimeUnixNano));
  expect(ms(record.endTimeUnixNano) - ms(record.startTimeUnixNano)).toBeGreaterThanOrEqual(19);
});

test('a successful unsampled record leaves no span behind, and its children stay unsampled', async () => {
  await freshRuntime(lambdaEnvironment(receiver.endpoint, { OTEL_TRACES_SAMPLER_ARG: '0' }));
  const good = withParent(traceparent('d'.repeat(32), PARENT_SPAN_ID, false));
  let childSampled: boolean | undefined;
  await traced(async (event: SQSEvent) =>
    processRecords(event, () => {
      trace.getTracer('test').startActiveSpan('child work', (child) => {
        childSampled = (child.spanContext().traceFlags & 1) === 1;
        child.end();
      });
    }),
  )(sqsEvent([good]), lambdaContext());
  expect(childSampled).toBe(false);
  expect(receiver.spans.filter((s) => s.traceId === 'd'.repeat(32))).toEqual([]);
});
