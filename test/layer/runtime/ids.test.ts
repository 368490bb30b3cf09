import { isValidSpanId, isValidTraceId, trace } from '@opentelemetry/api';
import type { SQSEvent } from 'aws-lambda';
import { processRecords, traced } from '../../../layer/runtime';
import { PARENT_SPAN_ID, TRACE_ID, httpApiEvent, lambdaContext, traceparent } from '../../helpers/events';
import { sqsEvent, sqsRecord } from '../../helpers/local-aws';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// Trace ids as TRACING_ID_FORMAT makes them: X-Ray-compatible (the first 8 hex digits are the Unix
// time in seconds; X-Ray rejects ids more than 30 days old) or random (the default).

const receiver = useReceiver();
const ok = async () => ({ statusCode: 200 });

/** The Unix time, in seconds, that the first 8 hex digits of a trace id say. */
const embeddedTime = (traceId: string) => parseInt(traceId.slice(0, 8), 16);
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function newTraces(count: number): Promise<string[]> {
  const handler = traced(ok);
  for (let i = 0; i < count; i++) await handler(httpApiEvent(), lambdaContext());
  return receiver.spans.map((span) => span.traceId);
}

test.each(['xray', 'XRAY'])(
  'TRACING_ID_FORMAT=%s: a new trace id starts with the time and is a valid W3C id',
  async (format) => {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { TRACING_ID_FORMAT: format }));
    const before = nowSeconds();
    const ids = await newTraces(5);
    const after = nowSeconds();
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(isValidTraceId(id)).toBe(true);
      expect(embeddedTime(id)).toBeGreaterThanOrEqual(before);
      expect(embeddedTime(id)).toBeLessThanOrEqual(after);
    }
    expect(receiver.spans.every((span) => isValidSpanId(span.spanId))).toBe(true);

    // A W3C callee accepts it as its parent: the id comes back unchanged.
    const parent = traceparent(ids[0], receiver.spans[0].spanId);
    receiver.clear();
    await traced(ok)(httpApiEvent({ headers: { traceparent: parent } }), lambdaContext());
    expect(receiver.span('POST /payments').traceId).toBe(ids[0]);
  },
);

test('xray: an incoming W3C parent keeps its trace id, whatever time it says', async () => {
  await freshRuntime(lambdaEnvironment(receiver.endpoint, { TRACING_ID_FORMAT: 'xray' }));
  await traced(ok)(
    httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) } }),
    lambdaContext(),
  );
  expect(receiver.span('POST /payments')).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
});

test('random (the default): trace ids do not carry the time', async () => {
  await freshRuntime(lambdaEnvironment(receiver.endpoint));
  const ids = await newTraces(20);
  // A random first word lands within a minute of now about once in 36 million ids.
  expect(ids.filter((id) => Math.abs(embeddedTime(id) - nowSeconds()) < 60)).toEqual([]);
});

test('a value that is not a format is reported once and random ids are used', async () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    await freshRuntime(lambdaEnvironment(receiver.endpoint, { TRACING_ID_FORMAT: 'x-ray' }));
    const ids = await newTraces(20);
    expect(ids.filter((id) => Math.abs(embeddedTime(id) - nowSeconds()) < 60)).toEqual([]);
    const warned = warn.mock.calls.filter(([line]) => String(line).includes('TRACING_ID_FORMAT'));
    expect(warned).toHaveLength(1);
    expect(String(warned[0][0])).toContain('using random');
  } finally {
    warn.mockRestore();
  }
});

test('xray: the span of a failed unsampled record still gets the id its children carry', async () => {
  await freshRuntime(
    lambdaEnvironment(receiver.endpoint, { TRACING_ID_FORMAT: 'xray', OTEL_TRACES_SAMPLER_ARG: '0' }),
  );
  const failedTrace = 'c'.repeat(32);
  const record = sqsRecord({
    body: 'payment',
    attributes: {
      traceparent: { DataType: 'String', StringValue: traceparent(failedTrace, PARENT_SPAN_ID, false) },
    },
  });
  // A message of another trace in the batch: the batch mixes traces, so its span starts a trace.
  const other = sqsRecord({
    body: 'other',
    attributes: {
      traceparent: { DataType: 'String', StringValue: traceparent('d'.repeat(32), PARENT_SPAN_ID, false) },
    },
  });
  const before = nowSeconds();
  await traced(async (event: SQSEvent) =>
    processRecords(event, (r) => {
      if (r.body !== 'payment') return;
      trace.getTracer('test').startActiveSpan('child work', (child) => child.end());
      throw new Error('cannot reconcile');
    }),
  )(sqsEvent([record, other]), lambdaContext());

  const recordSpan = receiver.trace(failedTrace).find((span) => span.name === 'process reconciliation')!;
  const child = receiver.spans.find((span) => span.name === 'child work')!;
  expect(recordSpan.parentSpanId).toBe(PARENT_SPAN_ID);
  expect(child).toMatchObject({ traceId: failedTrace, parentSpanId: recordSpan.spanId });
  // The batch (a new trace, kept because a record failed) has an X-Ray id.
  const batch = receiver.spans.find((span) => span.traceId !== failedTrace)!;
  expect(batch.parentSpanId).toBeUndefined();
  expect(embeddedTime(batch.traceId)).toBeGreaterThanOrEqual(before);
  expect(embeddedTime(batch.traceId)).toBeLessThanOrEqual(nowSeconds());
});
