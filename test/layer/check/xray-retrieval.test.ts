import { LambdaClient } from '@aws-sdk/client-lambda';
import { ListRetrievedTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import {
  createBackend,
  parseBackendSpec,
  parseOtlpTrace,
  parseRetrievedSpans,
  runCheck,
  XRayRetrievalTraceBackend,
  XRayTraceBackend,
  type TraceMapDocument,
} from '../../../layer/check';
import {
  fixture,
  LocalEndpoint,
  localClientConfig,
  RECORDED_ROOT_SPAN_ID,
  RECORDED_TRACE_ID,
  retrievedOtelSpans,
  sentIds,
  XRayRetrievalStandIn,
  type RecordedTrace,
} from './local-endpoint';

// The X-Ray trace retrieval backend (StartTraceRetrieval + ListRetrievedTraces, the way to read
// traces with CloudWatch Transaction Search on) with the real SDK client, against a local
// stand-in that answers as the API reference documents: asynchronous, paged, its errors.

const map = fixture<TraceMapDocument>('trace-map.json');
const PHYSICAL_NAME = 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s';
/** 2026-11-21T05:32:16Z. */
const NOW = 1795239136000;
const RECORDED_XRAY_ID = `1-${RECORDED_TRACE_ID.slice(0, 8)}-${RECORDED_TRACE_ID.slice(8)}`;

/** The ids the stand-in serves the example trace under (the last invocation's, else the recorded ones). */
let ids = { traceId: RECORDED_TRACE_ID, spanId: RECORDED_ROOT_SPAN_ID };
const standIn = new XRayRetrievalStandIn((xrayId) =>
  xrayId === `1-${ids.traceId.slice(0, 8)}-${ids.traceId.slice(8)}` ? retrievedOtelSpans(ids) : [],
);
const endpoint = new LocalEndpoint((request) => {
  if (request.url.startsWith('/2015-03-31/functions/')) {
    ids = sentIds(request);
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ statusCode: 201, body: '{"status":"authorized"}' }),
    };
  }
  return standIn.handle(request) ?? { status: 404, body: 'unknown' };
});

let xray: XRayClient;
let lambda: LambdaClient;

beforeAll(async () => {
  const url = await endpoint.start();
  xray = new XRayClient(localClientConfig(url));
  lambda = new LambdaClient(localClientConfig(url));
});

afterAll(async () => {
  xray.destroy();
  lambda.destroy();
  await endpoint.stop();
});

beforeEach(() => {
  endpoint.requests.length = 0;
  standIn.reset();
  ids = { traceId: RECORDED_TRACE_ID, spanId: RECORDED_ROOT_SPAN_ID };
});

const bodies = (url: string) =>
  endpoint.requests.filter((r) => r.url === url).map((r) => JSON.parse(r.body) as Record<string, unknown>);

test('one retrieval per trace: RUNNING is not there yet, the same token is asked again, pages are read', async () => {
  // 30 s after the recorded run started.
  const started = parseInt(RECORDED_TRACE_ID.slice(0, 8), 16);
  const at = (started + 30) * 1000;
  const backend = new XRayRetrievalTraceBackend(xray, { now: () => at });
  standIn.runningLists = 2;

  await expect(backend.getTrace(RECORDED_TRACE_ID)).resolves.toBeUndefined();
  await expect(backend.getTrace(RECORDED_TRACE_ID)).resolves.toBeUndefined();
  const spans = await backend.getTrace(RECORDED_TRACE_ID);

  // The trace id in X-Ray's form; the window from 5 minutes before the id's time to now, in epoch seconds.
  expect(bodies('/StartTraceRetrieval')).toEqual([
    { TraceIds: [RECORDED_XRAY_ID], StartTime: started - 300, EndTime: started + 30 },
  ]);
  // 2 RUNNING, then COMPLETE over 2 pages (5 spans, 4 a page), all with the one token, format OTEL.
  expect(bodies('/ListRetrievedTraces')).toEqual([
    { RetrievalToken: 'retrieval-1', TraceFormat: 'OTEL' },
    { RetrievalToken: 'retrieval-1', TraceFormat: 'OTEL' },
    { RetrievalToken: 'retrieval-1', TraceFormat: 'OTEL' },
    { RetrievalToken: 'retrieval-1', TraceFormat: 'OTEL', NextToken: 'retrieval-1:4' },
  ]);

  // The same spans as the OTLP exports the functions sent.
  const exported = fixture<RecordedTrace>('example-trace.otlp.json')
    .exports.flatMap((e) => parseOtlpTrace(e))
    .filter((s) => s.traceId === RECORDED_TRACE_ID);
  expect(exported).toHaveLength(5);
  const byId = (a: { spanId: string }, b: { spanId: string }) => a.spanId.localeCompare(b.spanId);
  expect([...spans!].sort(byId)).toEqual([...exported].sort(byId));

  // Read again (hops missing, say): a new retrieval, whose window reaches spans that came since.
  endpoint.requests.length = 0;
  standIn.runningLists = 0;
  const later = new XRayRetrievalTraceBackend(xray, { now: () => at + 60_000 });
  await later.getTrace(RECORDED_TRACE_ID);
  await backend.getTrace(RECORDED_TRACE_ID);
  expect(bodies('/StartTraceRetrieval').map((b) => b.EndTime)).toEqual([started + 90, started + 30]);
});

test('a complete retrieval without the trace is not there yet', async () => {
  const backend = new XRayRetrievalTraceBackend(xray, { now: () => NOW });
  standIn.runningLists = 0;
  await expect(backend.getTrace('6b015185000000000000000000000001')).resolves.toBeUndefined();
  expect(bodies('/ListRetrievedTraces')).toHaveLength(1);
});

test('a failed retrieval is an error; a token X-Ray did not give is ResourceNotFoundException', async () => {
  const backend = new XRayRetrievalTraceBackend(xray, { now: () => NOW });
  standIn.runningLists = 0;
  standIn.status = 'FAILED';
  await expect(backend.getTrace(RECORDED_TRACE_ID)).rejects.toThrow(
    `the X-Ray trace retrieval of ${RECORDED_XRAY_ID} ended FAILED`,
  );

  const error = await xray
    .send(new ListRetrievedTracesCommand({ RetrievalToken: 'not-a-token', TraceFormat: 'OTEL' }))
    .catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode: number } });
  expect(error).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
});

test('runCheck through the retrieval backend: the example trace is complete', async () => {
  let now = NOW;
  standIn.runningLists = 1;
  const result = await runCheck({
    map,
    stack: 'Prod/Payments',
    functionName: PHYSICAL_NAME,
    lambda,
    backend: new XRayRetrievalTraceBackend(xray, { now: () => now }),
    timeoutMs: 60_000,
    pollIntervalMs: 5_000,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  expect(result).toMatchObject({ status: 'complete', ok: true, missing: [], polls: 2 });
  expect(result.backend).toBe('xray trace retrieval');
  expect(result.present.map((h) => h.id)).toEqual([
    'Prod/Payments/Authorize',
    'Prod/Payments/Authorize -> Prod/Payments/Payments',
    'Prod/Payments/Authorize -> external:fraud-api',
    'Prod/Payments/Audit',
    'Prod/Payments/Reconcile',
  ]);
  // One retrieval of the trace the check started, by its X-Ray id, the window around the check.
  const [start, ...more] = bodies('/StartTraceRetrieval');
  expect(more).toEqual([]);
  expect(start).toEqual({
    TraceIds: [result.xrayTraceId],
    StartTime: Math.floor(NOW / 1000) - 300,
    EndTime: NOW / 1000 + 5,
  });
});

test('backend specs: xray is the retrieval API, xray-batch is BatchGetTraces', () => {
  expect(parseBackendSpec('xray')).toEqual({ type: 'xray' });
  expect(parseBackendSpec('xray-batch')).toEqual({ type: 'xray-batch' });
  expect(createBackend({ type: 'xray' }, { xray: () => xray })).toBeInstanceOf(XRayRetrievalTraceBackend);
  expect(createBackend({ type: 'xray-batch' }, { xray: () => xray })).toBeInstanceOf(XRayTraceBackend);
});

test('documents in OTLP JSON, X-Ray trace ids and attribute lists are read too; not JSON is left out', () => {
  const spans = parseRetrievedSpans([
    { Id: 'a', Document: 'not json' },
    { Id: 'b', Document: JSON.stringify(fixture<RecordedTrace>('example-trace.otlp.json').exports[0]) },
    {
      Id: 'c',
      Document: JSON.stringify({
        traceId: RECORDED_XRAY_ID,
        spanId: '00f067aa0ba902b7',
        name: 'send',
        kind: 'SPAN_KIND_PRODUCER',
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        attributes: { 'messaging.system': 'aws_sqs', retries: 2, ok: true },
      }),
    },
  ]);
  expect(spans.length).toBeGreaterThan(1);
  expect(spans[spans.length - 1]).toEqual({
    traceId: RECORDED_TRACE_ID,
    spanId: '00f067aa0ba902b7',
    name: 'send',
    serviceName: 'svc',
    kind: 'producer',
    attributes: { 'messaging.system': 'aws_sqs', retries: 2, ok: true },
  });
});
