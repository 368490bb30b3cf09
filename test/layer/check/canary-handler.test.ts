import { gzipSync } from 'node:zlib';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { XRayClient } from '@aws-sdk/client-xray';
import {
  CANARY_ENV,
  CANARY_METRICS,
  createCanaryHandler,
  decodeMap,
  GZIP_PREFIX,
} from '../../../layer/check/canary-handler';
import type { TraceMapDocument } from '../../../layer/check';
import {
  CANARY_ENV as CONSTRUCT_ENV,
  CANARY_METRICS as CONSTRUCT_METRICS,
} from '../../../lib/canary/private/map-slice';
import {
  fixture,
  LocalEndpoint,
  localClientConfig,
  sentIds,
  withIds,
  type Answer,
  type RecordedRequest,
  type RecordedXrayAnswer,
} from './local-endpoint';

// The canary's handler with the real Lambda, X-Ray and CloudWatch clients sent to a local
// endpoint: what it publishes (CloudWatch's JSON protocol) for a complete trace, a trace not
// found, and a check that could not run.

const map = fixture<TraceMapDocument>('trace-map.json');
const xrayAnswer = fixture<RecordedXrayAnswer>('xray-batch-get-traces.json');
const SCHEDULED = '2026-11-21T05:45:00Z';

let xrayHasTrace = true;
/** Whether the drill's failure is in X-Ray (reconcile's segments with a fault). */
let drillKept = true;
const xrayId = (traceId: string) => `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
let lambdaStatus = 200;
const logs: string[] = [];

const invocations: RecordedRequest[] = [];
const endpoint: LocalEndpoint = new LocalEndpoint((request): Answer => {
  if (request.url.startsWith('/2015-03-31/functions/')) {
    invocations.push(request);
    if (lambdaStatus !== 200) {
      return {
        status: lambdaStatus,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' },
        body: JSON.stringify({
          Type: 'User',
          message: 'Function not found: arn:aws:lambda:eu-west-1:123456789012:function:gone',
        }),
      };
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"statusCode":201}' };
  }
  if (request.url === '/Traces') {
    // The invocation whose trace is asked for (the check's and the drill's run side by side).
    const asked = (JSON.parse(request.body) as { TraceIds: string[] }).TraceIds[0];
    const invocation = invocations.find((i) => asked === xrayId(sentIds(i).traceId))!;
    const ids = sentIds(invocation);
    const id = xrayId(ids.traceId);
    const drill = (
      JSON.parse(invocation.body) as { headers: { traceparent: string } }
    ).headers.traceparent.endsWith('-00');
    // A drill's trace holds what keep-errors kept: reconcile's segments, failed (a fault).
    const segments = xrayAnswer.Traces[0].Segments.filter(
      (s) => !drill || s.Document.includes('payments-reconcile'),
    ).map((s) => ({
      Id: s.Id,
      Document: drill
        ? JSON.stringify({ ...JSON.parse(withIds(s.Document, ids, 'xray')), fault: drillKept })
        : withIds(s.Document, ids, 'xray'),
    }));
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(xrayHasTrace ? { Traces: [{ Id: id, Segments: segments }] } : { Traces: [] }),
    };
  }
  if (request.headers['x-amz-target'] === 'GraniteServiceVersion20100801.PutMetricData') {
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
  }
  return { status: 404, body: '' };
});

let clients: { lambda: LambdaClient; xray: XRayClient; cloudWatch: CloudWatchClient };

beforeAll(async () => {
  const url = await endpoint.start();
  clients = {
    lambda: new LambdaClient(localClientConfig(url)),
    xray: new XRayClient(localClientConfig(url)),
    cloudWatch: new CloudWatchClient(localClientConfig(url)),
  };
});

afterAll(async () => {
  for (const client of Object.values(clients)) client.destroy();
  await endpoint.stop();
});

beforeEach(() => {
  endpoint.requests.length = 0;
  invocations.length = 0;
  logs.length = 0;
  xrayHasTrace = true;
  drillKept = true;
  lambdaStatus = 200;
});

function handler(env: Record<string, string> = {}) {
  let now = Date.parse('2026-11-21T05:45:02Z');
  return createCanaryHandler({
    lambda: clients.lambda,
    xray: () => clients.xray,
    cloudWatch: clients.cloudWatch,
    env: {
      [CANARY_ENV.FUNCTION_NAME]: 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s',
      [CANARY_ENV.ENTRY]: 'Prod/Payments/Authorize',
      [CANARY_ENV.MAP]: JSON.stringify(map),
      [CANARY_ENV.BACKEND]: 'xray-batch',
      [CANARY_ENV.TIMEOUT_MS]: '20000',
      [CANARY_ENV.POLL_INTERVAL_MS]: '5000',
      [CANARY_ENV.METRIC_NAMESPACE]: 'CdkServerlessTracing',
      [CANARY_ENV.BODY]: '{"amount":1,"currency":"EUR","cardToken":"tok_canary"}',
      ...env,
    },
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    log: (line) => logs.push(line),
  });
}

/** The metric data of the PutMetricData calls. */
function published() {
  return endpoint.requests
    .filter((r) => r.headers['x-amz-target'] === 'GraniteServiceVersion20100801.PutMetricData')
    .map((r) => JSON.parse(r.body) as { Namespace: string; MetricData: Record<string, unknown>[] });
}

const metricData = (missing: number, found: number) => ({
  Namespace: 'CdkServerlessTracing',
  MetricData: [
    {
      MetricName: 'MissingHops',
      Dimensions: [{ Name: 'EntryFunction', Value: 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s' }],
      Timestamp: Date.parse(SCHEDULED) / 1000,
      Value: missing,
      Unit: 'Count',
    },
    {
      MetricName: 'TraceFound',
      Dimensions: [{ Name: 'EntryFunction', Value: 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s' }],
      Timestamp: Date.parse(SCHEDULED) / 1000,
      Value: found,
      Unit: 'None',
    },
  ],
});

test('a complete trace: MissingHops 0 and TraceFound 1 at the scheduled time, one log line', async () => {
  const summary = await handler()({ time: SCHEDULED });
  expect(summary).toMatchObject({ ok: true, status: 'complete', missingHops: 0, traceFound: true });
  expect(published()).toEqual([metricData(0, 1)]);
  const invoke = endpoint.requests.find((r) => r.url.startsWith('/2015-03-31/'))!;
  expect(invoke.url).toBe('/2015-03-31/functions/Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s/invocations');
  expect(JSON.parse(JSON.parse(invoke.body).body)).toEqual({
    amount: 1,
    currency: 'EUR',
    cardToken: 'tok_canary',
  });
  expect(logs).toHaveLength(1);
  expect(JSON.parse(logs[0])).toMatchObject({ level: 'INFO', status: 'complete', missing: [] });
});

test('the trace not found: every hop missing, TraceFound 0', async () => {
  xrayHasTrace = false;
  const summary = await handler()({ time: SCHEDULED });
  expect(summary).toMatchObject({ ok: false, status: 'not-found', missingHops: 5, traceFound: false });
  expect(published()).toEqual([metricData(5, 0)]);
  expect(JSON.parse(logs[0])).toMatchObject({ level: 'WARN', status: 'not-found' });
});

test('a check that cannot run still publishes every hop missing, then fails', async () => {
  lambdaStatus = 404;
  await expect(handler()({ time: SCHEDULED })).rejects.toThrow(/Function not found/);
  expect(published()).toEqual([metricData(5, 0)]);
  expect(JSON.parse(logs[0])).toMatchObject({
    level: 'ERROR',
    message: 'the trace check could not run',
    error: expect.stringContaining('ResourceNotFoundException'),
  });
});

test('a gzipped map reads the same; a missing variable is an error', async () => {
  const gz = `${GZIP_PREFIX}${gzipSync(JSON.stringify(map)).toString('base64')}`;
  expect(decodeMap(gz)).toEqual(map);
  await expect(handler({ [CANARY_ENV.MAP]: gz })({ time: SCHEDULED })).resolves.toMatchObject({ ok: true });
  await expect(handler({ [CANARY_ENV.ENTRY]: '' })()).rejects.toThrow(
    "the canary's environment has no TRACE_CHECK_ENTRY",
  );
});

describe('with a failure drill', () => {
  const drillEnv = {
    [CANARY_ENV.DRILL_HOP]: 'Prod/Payments/Reconcile',
    [CANARY_ENV.DRILL_BODY]: '{"amount":1,"currency":"XTS","cardToken":"tok_drill"}',
    [CANARY_ENV.DRILL_EXPECT]: 'failed-hop',
  };
  const failureTraceKept = (value: number) => ({
    MetricName: 'FailureTraceKept',
    Dimensions: [{ Name: 'EntryFunction', Value: 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s' }],
    Timestamp: Date.parse(SCHEDULED) / 1000,
    Value: value,
    Unit: 'None',
  });

  test('the check and the drill run side by side; the drill is unsampled with its own body; FailureTraceKept 1', async () => {
    const summary = await handler(drillEnv)({ time: SCHEDULED });
    expect(summary).toMatchObject({ ok: true, status: 'complete', drill: { status: 'kept', kept: true } });
    const events = invocations.map(
      (i) => JSON.parse(i.body) as { headers: Record<string, string>; body: string },
    );
    expect(
      events.map((e) => [e.headers.traceparent.slice(-2), e.headers.tracestate, JSON.parse(e.body).currency]),
    ).toEqual([
      ['01', 'cdk-serverless-tracing=keep', 'EUR'],
      ['00', undefined, 'XTS'],
    ]);
    const [data] = published();
    expect(data.MetricData).toEqual([...metricData(0, 1).MetricData, failureTraceKept(1)]);
    expect(JSON.parse(logs[1])).toMatchObject({
      level: 'INFO',
      message: 'the drilled failure at Reconcile is kept as a trace',
      status: 'kept',
      hop: 'Prod/Payments/Reconcile',
      keptHops: ['Prod/Payments/Reconcile'],
    });
  });

  test('a drilled failure that is not kept: FailureTraceKept 0, the run not ok, MissingHops as the check found', async () => {
    drillKept = false;
    const summary = await handler(drillEnv)({ time: SCHEDULED });
    expect(summary).toMatchObject({ ok: false, status: 'complete', missingHops: 0, drill: { kept: false } });
    expect(published()[0].MetricData).toEqual([...metricData(0, 1).MetricData, failureTraceKept(0)]);
    expect(JSON.parse(logs[1])).toMatchObject({ level: 'WARN', status: 'not-kept' });
  });

  test('a run that cannot run publishes FailureTraceKept 0 too', async () => {
    lambdaStatus = 404;
    await expect(handler(drillEnv)({ time: SCHEDULED })).rejects.toThrow(/Function not found/);
    expect(published()[0].MetricData).toEqual([...metricData(5, 0).MetricData, failureTraceKept(0)]);
  });
});

test('the construct writes the variables and metrics the handler reads', () => {
  expect(CONSTRUCT_ENV).toEqual(CANARY_ENV);
  expect(CONSTRUCT_METRICS).toEqual(CANARY_METRICS);
});
