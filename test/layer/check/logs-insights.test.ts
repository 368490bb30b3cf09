import { CloudWatchLogsClient, GetQueryResultsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { XRayClient } from '@aws-sdk/client-xray';
import {
  createBackend,
  LogsInsightsTraceBackend,
  parseBackendSpec,
  parseOtlpTrace,
  runCheck,
  TraceCheckUsageError,
  type TraceMapDocument,
} from '../../../layer/check';
import {
  fixture,
  LocalEndpoint,
  localClientConfig,
  LogsInsightsStandIn,
  RECORDED_ROOT_SPAN_ID,
  RECORDED_TRACE_ID,
  sentIds,
  spanLogEvents,
  type RecordedTrace,
} from './local-endpoint';

// The Logs Insights backend (StartQuery + GetQueryResults on the Transaction Search span log group
// aws/spans) with the real SDK client, against a local stand-in that answers as the CloudWatch Logs
// API reference documents: asynchronous, rows of { field, value }, its errors.

const map = fixture<TraceMapDocument>('trace-map.json');
const PHYSICAL_NAME = 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s';
/** 2026-11-21T05:32:16Z. */
const NOW = 1795239136000;
const RECORDED_XRAY_ID = `1-${RECORDED_TRACE_ID.slice(0, 8)}-${RECORDED_TRACE_ID.slice(8)}`;
const STARTED = parseInt(RECORDED_TRACE_ID.slice(0, 8), 16);

/** The ids the stand-in serves the example trace under (the last invocation's, else the recorded ones). */
let ids = { traceId: RECORDED_TRACE_ID, spanId: RECORDED_ROOT_SPAN_ID };
const exampleSpans = (traceId: string) => (traceId === ids.traceId ? spanLogEvents(ids) : []);
const standIn = new LogsInsightsStandIn(exampleSpans);
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

let logs: CloudWatchLogsClient;
let lambda: LambdaClient;
let sleeps: number[];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};

beforeAll(async () => {
  const url = await endpoint.start();
  logs = new CloudWatchLogsClient(localClientConfig(url));
  lambda = new LambdaClient(localClientConfig(url));
});

afterAll(async () => {
  logs.destroy();
  lambda.destroy();
  await endpoint.stop();
});

beforeEach(() => {
  endpoint.requests.length = 0;
  standIn.reset();
  standIn.spans = exampleSpans;
  sleeps = [];
  ids = { traceId: RECORDED_TRACE_ID, spanId: RECORDED_ROOT_SPAN_ID };
});

const bodies = (action: string) =>
  endpoint.requests
    .filter((r) => r.headers['x-amz-target'] === `Logs_20140328.${action}`)
    .map((r) => JSON.parse(r.body) as Record<string, unknown>);

const backendAt = (at: number, options: { queryTimeoutMs?: number } = {}) =>
  new LogsInsightsTraceBackend(logs, { now: () => at, sleep, ...options });

test('one query per read: Scheduled and Running are waited for, Complete gives the spans', async () => {
  // 30 s after the recorded run started.
  const at = (STARTED + 30) * 1000;
  const spans = await backendAt(at).getTrace(RECORDED_TRACE_ID);

  // The log group aws/spans; the window from 5 minutes before the id's time to now, in epoch
  // seconds; every span of the trace (@message), by its W3C id (and X-Ray's form); 10,000 rows.
  expect(bodies('StartQuery')).toEqual([
    {
      logGroupName: 'aws/spans',
      startTime: STARTED - 300,
      endTime: STARTED + 30,
      queryString: `fields @message | filter traceId in ["${RECORDED_TRACE_ID}", "${RECORDED_XRAY_ID}"]`,
      limit: 10000,
    },
  ]);
  // Scheduled, Running, then Complete: three reads of the one query, a second apart.
  const queryId = [...standIn.queries.keys()][0];
  expect(bodies('GetQueryResults')).toEqual([{ queryId }, { queryId }, { queryId }]);
  expect(sleeps).toEqual([1000, 1000, 1000]);
  expect(bodies('StopQuery')).toEqual([]);

  // The same spans as the OTLP exports the functions sent.
  const exported = fixture<RecordedTrace>('example-trace.otlp.json')
    .exports.flatMap((e) => parseOtlpTrace(e))
    .filter((s) => s.traceId === RECORDED_TRACE_ID);
  expect(exported).toHaveLength(5);
  const byId = (a: { spanId: string }, b: { spanId: string }) => a.spanId.localeCompare(b.spanId);
  expect([...spans!].sort(byId)).toEqual([...exported].sort(byId));

  // Read again (hops missing, say): a new query, whose window reaches spans that came since.
  await backendAt(at + 60_000).getTrace(RECORDED_TRACE_ID);
  expect(bodies('StartQuery').map((b) => b.endTime)).toEqual([STARTED + 30, STARTED + 90]);
});

test('a complete query without the trace is not there yet', async () => {
  standIn.pending = [];
  await expect(backendAt(NOW).getTrace('6b015185000000000000000000000001')).resolves.toBeUndefined();
  expect(bodies('GetQueryResults')).toHaveLength(1);
});

test.each(['Failed', 'Cancelled', 'Timeout', 'Unknown'])(
  'a query that ends %s is an error',
  async (status) => {
    standIn.status = status;
    await expect(backendAt(NOW).getTrace(RECORDED_TRACE_ID)).rejects.toThrow(
      `the Logs Insights query of trace ${RECORDED_TRACE_ID} in aws/spans ended ${status}`,
    );
    // A query that ended is not stopped.
    expect(bodies('StopQuery')).toEqual([]);
  },
);

test('a query still running when the read gives up is stopped; the read returns the last spans found', async () => {
  const backend = backendAt(NOW, { queryTimeoutMs: 3000 });
  // First read: complete.
  const found = await backend.getTrace(RECORDED_TRACE_ID);
  expect(found).toHaveLength(5);
  // Second read: still running after 3 polls of a second.
  standIn.pending = ['Scheduled', 'Running', 'Running', 'Running', 'Running'];
  endpoint.requests.length = 0;
  await expect(backend.getTrace(RECORDED_TRACE_ID)).resolves.toEqual(found);
  const [, second] = [...standIn.queries.keys()];
  expect(bodies('GetQueryResults')).toEqual([{ queryId: second }, { queryId: second }, { queryId: second }]);
  expect(bodies('StopQuery')).toEqual([{ queryId: second }]);
  expect(standIn.queries.get(second)!.stopped).toBe(true);

  // A new backend that never saw the trace complete: not there yet.
  await expect(backendAt(NOW, { queryTimeoutMs: 2000 }).getTrace(RECORDED_TRACE_ID)).resolves.toBeUndefined();
});

test('the log group missing is Transaction Search off, said so', async () => {
  standIn.logGroups = [];
  const error = await backendAt(NOW)
    .getTrace(RECORDED_TRACE_ID)
    .catch((e: unknown) => e as Error);
  expect((error as Error).message).toBe(
    'the log group aws/spans does not exist in eu-west-1: X-Ray writes spans there only when CloudWatch ' +
      'Transaction Search is on in the account and region (TransactionSearch.enable(), or the CloudWatch ' +
      'console); or read traces from another backend (ResourceNotFoundException: The specified log group does not exist.)',
  );
  expect(((error as Error).cause as { name: string }).name).toBe('ResourceNotFoundException');
  expect(bodies('GetQueryResults')).toEqual([]);
});

test('too many concurrent queries: StartQuery is tried again while the read waits, then an error', async () => {
  standIn.limitExceeded = 2;
  standIn.pending = [];
  await expect(backendAt(NOW).getTrace(RECORDED_TRACE_ID)).resolves.toHaveLength(5);
  expect(bodies('StartQuery')).toHaveLength(3);

  standIn.limitExceeded = 1000;
  await expect(backendAt(NOW, { queryTimeoutMs: 2000 }).getTrace(RECORDED_TRACE_ID)).rejects.toThrow(
    /^CloudWatch Logs Insights is running as many queries as the account and region allow: the query of aws\/spans could not start \(LimitExceededException: Account maximum query concurrency limit of \[100\] reached.\)$/,
  );
});

test('more span records than one query returns (10,000) is an error, not a partial trace', async () => {
  standIn.pending = [];
  standIn.spans = (traceId) =>
    traceId === RECORDED_TRACE_ID
      ? Array.from({ length: 10_001 }, (_, i) => `{"traceId":"${RECORDED_TRACE_ID}","spanId":"${i}"}`)
      : [];
  await expect(backendAt(NOW).getTrace(RECORDED_TRACE_ID)).rejects.toThrow(
    `the trace ${RECORDED_TRACE_ID} has 10001 span records in aws/spans, more than the 10000 rows one Logs Insights query returns`,
  );
});

test('the stand-in answers as the reference says: a query id it did not give is ResourceNotFoundException', async () => {
  const error = await logs
    .send(new GetQueryResultsCommand({ queryId: 'not-a-query' }))
    .catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode: number } });
  expect(error).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
});

test('runCheck through the Logs Insights backend: the example trace is complete', async () => {
  let now = NOW;
  const advance = async (ms: number) => {
    now += ms;
  };
  const result = await runCheck({
    map,
    stack: 'Prod/Payments',
    functionName: PHYSICAL_NAME,
    lambda,
    backend: new LogsInsightsTraceBackend(logs, { now: () => now, sleep: advance }),
    timeoutMs: 60_000,
    pollIntervalMs: 5_000,
    now: () => now,
    sleep: advance,
  });
  expect(result).toMatchObject({ status: 'complete', ok: true, missing: [], polls: 1 });
  expect(result.backend).toBe('logs insights aws/spans');
  expect(result.present.map((h) => h.id)).toEqual([
    'Prod/Payments/Authorize',
    'Prod/Payments/Authorize -> Prod/Payments/Payments',
    'Prod/Payments/Authorize -> external:fraud-api',
    'Prod/Payments/Audit',
    'Prod/Payments/Reconcile',
  ]);
  // One query for the trace the check started, the window around the check.
  const [start, ...more] = bodies('StartQuery');
  expect(more).toEqual([]);
  expect(start).toMatchObject({
    logGroupName: 'aws/spans',
    startTime: Math.floor(NOW / 1000) - 300,
    endTime: NOW / 1000 + 5,
  });
  expect(start.queryString).toContain(`"${result.traceId}"`);
  expect(start.queryString).toContain(`"${result.xrayTraceId}"`);
});

test('backend specs: logs-insights reads aws/spans, or the log group named', () => {
  expect(parseBackendSpec('logs-insights')).toEqual({ type: 'logs-insights', logGroupName: 'aws/spans' });
  expect(parseBackendSpec(' logs-insights=/org/spans ')).toEqual({
    type: 'logs-insights',
    logGroupName: '/org/spans',
  });
  expect(() => parseBackendSpec('logs-insights=')).toThrow(TraceCheckUsageError);
  expect(() => parseBackendSpec('logs-insights=a"b')).toThrow(
    `the log group name 'a"b' is not one CloudWatch Logs allows (1 to 512 of a-z A-Z 0-9 . - _ / #)`,
  );
  const xray = () => new XRayClient({});
  const backend = createBackend({ type: 'logs-insights', logGroupName: 'spans' }, { xray, logs: () => logs });
  expect(backend).toBeInstanceOf(LogsInsightsTraceBackend);
  expect(backend.name).toBe('logs insights spans');
  expect(() => createBackend({ type: 'logs-insights', logGroupName: 'aws/spans' }, { xray })).toThrow(
    'the logs-insights backend needs a CloudWatch Logs client',
  );
  // The trace id goes into the query: nothing but a W3C id.
  return expect(backend.getTrace('x" | fields @message')).rejects.toThrow(`is not a W3C trace id`);
});
