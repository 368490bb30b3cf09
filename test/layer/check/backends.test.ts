import { XRayClient } from '@aws-sdk/client-xray';
import {
  JaegerTraceBackend,
  parseBackendSpec,
  TempoTraceBackend,
  TraceCheckUsageError,
  XRayTraceBackend,
} from '../../../layer/check';
import { fixture, LocalEndpoint, localClientConfig } from './local-endpoint';

// The backends over real HTTP to a local endpoint: the query APIs' paths and headers, and what
// "not there yet" and a failure look like.

const TRACE_ID = '6b015185523659ce4989be29db0738a3';
let answer: { status: number; body: string } = { status: 404, body: '' };
/** When set, answers in turn (the pages of a trace). */
let pages: unknown[] | undefined;
const endpoint = new LocalEndpoint(() => ({
  status: pages ? 200 : answer.status,
  headers: { 'content-type': 'application/json' },
  body: pages ? JSON.stringify(pages.shift()) : answer.body,
}));

beforeAll(() => endpoint.start());
afterAll(() => endpoint.stop());
beforeEach(() => {
  endpoint.requests.length = 0;
});

test('Jaeger: GET <url>/api/traces/<id> as JSON; 404 is not there yet; 500 is an error', async () => {
  const backend = new JaegerTraceBackend(`${endpoint.url}/jaeger/`);
  expect(backend.name).toBe(`jaeger ${endpoint.url}/jaeger`);
  answer = { status: 200, body: JSON.stringify(fixture('jaeger-trace.json')) };
  const spans = await backend.getTrace(TRACE_ID);
  expect(spans).toHaveLength(5);
  expect(endpoint.requests[0]).toMatchObject({ method: 'GET', url: `/jaeger/api/traces/${TRACE_ID}` });
  expect(endpoint.requests[0].headers.accept).toBe('application/json');

  answer = {
    status: 404,
    body: '{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}',
  };
  await expect(backend.getTrace(TRACE_ID)).resolves.toBeUndefined();
  answer = { status: 200, body: '{"data":[],"errors":null}' };
  await expect(backend.getTrace(TRACE_ID)).resolves.toBeUndefined();
  answer = { status: 500, body: 'storage unavailable' };
  await expect(backend.getTrace(TRACE_ID)).rejects.toThrow(/answered 500: storage unavailable/);
});

test('Tempo: GET <url>/api/traces/<id> with Accept: application/json (OTLP JSON)', async () => {
  const backend = new TempoTraceBackend(endpoint.url);
  answer = { status: 200, body: JSON.stringify(fixture('tempo-trace.json')) };
  const spans = await backend.getTrace(TRACE_ID);
  expect(spans?.map((s) => s.serviceName).sort()).toEqual([
    'payments-audit',
    'payments-authorize',
    'payments-authorize',
    'payments-authorize',
    'payments-reconcile',
  ]);
  expect(endpoint.requests[0]).toMatchObject({ method: 'GET', url: `/api/traces/${TRACE_ID}` });
  expect(endpoint.requests[0].headers.accept).toBe('application/json');
  answer = { status: 404, body: 'trace not found' };
  await expect(backend.getTrace(TRACE_ID)).resolves.toBeUndefined();
  answer = { status: 200, body: '<html>' };
  await expect(backend.getTrace(TRACE_ID)).rejects.toThrow(/not JSON/);
});

test('X-Ray: an unprocessed id is not there yet; pages of a large trace are read to the end', async () => {
  const xray = new XRayClient(localClientConfig(endpoint.url));
  const backend = new XRayTraceBackend(xray);
  const xrayId = `1-${TRACE_ID.slice(0, 8)}-${TRACE_ID.slice(8)}`;
  const segments = fixture<{ Traces: { Segments: unknown[] }[] }>('xray-batch-get-traces.json').Traces[0]
    .Segments;

  answer = { status: 200, body: JSON.stringify({ Traces: [], UnprocessedTraceIds: [xrayId] }) };
  await expect(backend.getTrace(TRACE_ID)).resolves.toBeUndefined();

  pages = [
    { Traces: [{ Id: xrayId, Segments: segments.slice(0, 2) }], NextToken: 'page-2' },
    { Traces: [{ Id: xrayId, Segments: segments.slice(2) }] },
  ];
  endpoint.requests.length = 0;
  const spans = await backend.getTrace(TRACE_ID);
  pages = undefined;
  expect(spans).toHaveLength(5);
  expect(endpoint.requests.map((r) => JSON.parse(r.body))).toEqual([
    { TraceIds: [xrayId] },
    { TraceIds: [xrayId], NextToken: 'page-2' },
  ]);
  xray.destroy();
});

test('backend specs: xray, jaeger=<url>, tempo=<url>; anything else is a usage error', () => {
  expect(parseBackendSpec('xray')).toEqual({ type: 'xray' });
  expect(parseBackendSpec('jaeger=http://localhost:16686')).toEqual({
    type: 'jaeger',
    url: 'http://localhost:16686',
  });
  expect(parseBackendSpec('tempo=https://tempo.example.com/')).toEqual({
    type: 'tempo',
    url: 'https://tempo.example.com/',
  });
  expect(() => parseBackendSpec('zipkin=http://x')).toThrow(TraceCheckUsageError);
  expect(() => parseBackendSpec('jaeger=localhost:16686')).toThrow(
    "the jaeger URL 'localhost:16686' is not http or https",
  );
  expect(() => parseBackendSpec('tempo=not a url')).toThrow("the tempo URL 'not a url' is not a URL");
});
