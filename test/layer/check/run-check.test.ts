import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { XRayClient } from '@aws-sdk/client-xray';
import {
  runCheck,
  TraceCheckUsageError,
  XRayTraceBackend,
  type TraceMapDocument,
} from '../../../layer/check';
import {
  fixture,
  LocalEndpoint,
  localClientConfig,
  sentIds,
  withIds,
  type RecordedRequest,
  type RecordedXrayAnswer,
} from './local-endpoint';

// runCheck with the real AWS SDK clients, sent to a local endpoint that answers like the
// services: Lambda's REST Invoke, X-Ray's BatchGetTraces (REST JSON) and CloudFormation's query
// protocol. The X-Ray answers are the recorded trace of the example flow, its ids replaced by the
// ones the check sent, so the trace read back is the one the invocation started.

const map = fixture<TraceMapDocument>('trace-map.json');
const xrayAnswer = fixture<RecordedXrayAnswer>('xray-batch-get-traces.json');
const PHYSICAL_NAME = 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s';
/** 2026-11-21T05:32:16Z, the clock of the tests. */
const NOW = 1795239136000;

/** How each fake service answers, set per test. */
let lambdaAnswer: (request: RecordedRequest) => {
  status: number;
  headers?: Record<string, string>;
  body: string;
};
/** What X-Ray has of the trace at each read: the documents to leave out, or `none` (not there). */
let xrayReads: ('none' | 'all' | { without: string[] })[];
let xrayReadCount = 0;

/** The traceparent of the last invocation. */
let sent: { traceId: string; spanId: string } | undefined;

const endpoint = new LocalEndpoint((request) => {
  if (request.url.startsWith('/2015-03-31/functions/')) {
    sent = sentIds(request);
    const answer = lambdaAnswer(request);
    return {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
      body: answer.body,
    };
  }
  if (request.url === '/Traces') {
    const read = xrayReads[Math.min(xrayReadCount++, xrayReads.length - 1)];
    const id = `1-${sent!.traceId.slice(0, 8)}-${sent!.traceId.slice(8)}`;
    const segments =
      read === 'none'
        ? []
        : xrayAnswer.Traces[0].Segments.filter((s) => read === 'all' || !read.without.includes(s.Id)).map(
            (s) => ({
              Id: s.Id,
              Document: withIds(s.Document, sent!, 'xray'),
            }),
          );
    const body =
      segments.length > 0
        ? {
            Traces: [{ Id: id, Duration: 0.5, LimitExceeded: false, Segments: segments }],
            UnprocessedTraceIds: [],
          }
        : { Traces: [], UnprocessedTraceIds: [] };
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }
  const form = new URLSearchParams(request.body);
  if (form.get('Action') === 'DescribeStackResource') {
    if (form.get('StackName') !== 'Prod-Payments') {
      return {
        status: 400,
        headers: { 'content-type': 'text/xml' },
        body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack '${form.get('StackName')}' does not exist</Message></Error><RequestId>4af14eec-350e-11e4-b260-EXAMPLE</RequestId></ErrorResponse>`,
      };
    }
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<DescribeStackResourceResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStackResourceResult>
    <StackResourceDetail>
      <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/Prod-Payments/5b9e2f30-c7a1-11f1-9a4b-0a1b2c3d4e5f</StackId>
      <StackName>Prod-Payments</StackName>
      <LogicalResourceId>${form.get('LogicalResourceId')}</LogicalResourceId>
      <PhysicalResourceId>${PHYSICAL_NAME}</PhysicalResourceId>
      <ResourceType>AWS::Lambda::Function</ResourceType>
      <LastUpdatedTimestamp>2026-11-20T17:04:11.512Z</LastUpdatedTimestamp>
      <ResourceStatus>UPDATE_COMPLETE</ResourceStatus>
    </StackResourceDetail>
  </DescribeStackResourceResult>
  <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-EXAMPLE</RequestId></ResponseMetadata>
</DescribeStackResourceResponse>`,
    };
  }
  return { status: 404, body: 'unknown' };
});

let lambda: LambdaClient;
let xray: XRayClient;
let cloudFormation: CloudFormationClient;

beforeAll(async () => {
  const url = await endpoint.start();
  lambda = new LambdaClient(localClientConfig(url));
  xray = new XRayClient(localClientConfig(url));
  cloudFormation = new CloudFormationClient(localClientConfig(url));
});

afterAll(async () => {
  for (const client of [lambda, xray, cloudFormation]) client.destroy();
  await endpoint.stop();
});

beforeEach(() => {
  endpoint.requests.length = 0;
  xrayReadCount = 0;
  sent = undefined;
  lambdaAnswer = () => ({
    status: 200,
    headers: { 'x-amz-executed-version': '$LATEST' },
    body: JSON.stringify({
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"status":"authorized"}',
    }),
  });
});

/** A clock that sleeping moves on: the polls take no real time. */
function fakeTime() {
  let now = NOW;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

const calls = (prefix: string) => endpoint.requests.filter((r) => r.url.startsWith(prefix));

test('complete: the trace read back has every hop of the map', async () => {
  xrayReads = ['none', { without: ['9bb5c88d17516a78', '35bae9e62d741a81'] }, 'all'];
  const time = fakeTime();
  const result = await runCheck({
    map,
    stack: 'Prod/Payments',
    lambda,
    cloudFormation,
    backend: new XRayTraceBackend(xray),
    body: { amount: 1250, currency: 'EUR', cardToken: 'tok_trace_check' },
    timeoutMs: 60_000,
    pollIntervalMs: 5_000,
    ...time,
  });

  // The function's name came from the stack.
  const [describe] = endpoint.requests.filter((r) => r.body.includes('Action=DescribeStackResource'));
  expect(Object.fromEntries(new URLSearchParams(describe.body))).toMatchObject({
    Action: 'DescribeStackResource',
    StackName: 'Prod-Payments',
    LogicalResourceId: 'AuthorizeD8507075',
  });

  // The invocation: request-response, with the log tail, an HTTP API event for POST /payments.
  const [invoke] = calls('/2015-03-31/functions/');
  expect(invoke.method).toBe('POST');
  expect(invoke.url).toBe(`/2015-03-31/functions/${PHYSICAL_NAME}/invocations`);
  expect(invoke.headers['x-amz-invocation-type']).toBe('RequestResponse');
  expect(invoke.headers['x-amz-log-type']).toBe('Tail');
  const event = JSON.parse(invoke.body);
  expect(event).toMatchObject({
    version: '2.0',
    routeKey: 'POST /payments',
    rawPath: '/payments',
    requestContext: {
      http: { method: 'POST', path: '/payments' },
      routeKey: 'POST /payments',
      timeEpoch: NOW,
    },
    isBase64Encoded: false,
  });
  expect(JSON.parse(event.body)).toEqual({ amount: 1250, currency: 'EUR', cardToken: 'tok_trace_check' });
  // traceparent: a sampled W3C context whose trace id starts with the time (X-Ray-compatible).
  expect(event.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  expect(event.headers.traceparent.slice(3, 11)).toBe(Math.floor(NOW / 1000).toString(16));
  const traceId = event.headers.traceparent.slice(3, 35);

  // X-Ray was asked for the X-Ray form of that id, until the trace was complete.
  const reads = calls('/Traces');
  expect(reads).toHaveLength(3);
  for (const read of reads) {
    expect(JSON.parse(read.body)).toEqual({ TraceIds: [`1-${traceId.slice(0, 8)}-${traceId.slice(8)}`] });
  }
  expect(time.sleeps).toEqual([5000, 5000, 5000]);

  expect(result).toMatchObject({
    ok: true,
    status: 'complete',
    traceId,
    xrayTraceId: `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`,
    traceparent: event.headers.traceparent,
    entry: { node: 'Prod/Payments/Authorize', functionName: PHYSICAL_NAME },
    invocation: { statusCode: 200, responseStatus: 201 },
    backend: 'xray',
    polls: 3,
    waitedMs: 15_000,
    missing: [],
    extra: [],
    notes: [],
  });
  expect(result.present.map((h) => h.label)).toEqual([
    'Authorize',
    'Authorize → Payments',
    'Authorize → fraud-api',
    'Audit',
    'Reconcile',
  ]);
  // The entry's span is the one whose parent is the span id the check sent.
  expect(result.present[0].spanIds[0]).toBe('6db3e77fb093285f');
});

test('a missing hop: the reads stop at the timeout, the hop is missing with why', async () => {
  // Audit's record span never arrives.
  xrayReads = [{ without: ['de340c653ee1750b'] }];
  const time = fakeTime();
  const result = await runCheck({
    map,
    entry: 'Prod/Payments/Authorize',
    functionName: 'payments-authorize-given',
    lambda,
    backend: new XRayTraceBackend(xray),
    timeoutMs: 30_000,
    pollIntervalMs: 10_000,
    ...time,
  });
  expect(calls('/2015-03-31/functions/payments-authorize-given/invocations')).toHaveLength(1);
  expect(endpoint.requests.some((r) => r.body.includes('DescribeStackResource'))).toBe(false);
  expect(JSON.parse(calls('/2015-03-31/')[0].body).body).toBe('{"source":"trace-check"}');
  expect(result).toMatchObject({ ok: false, status: 'incomplete', found: true, polls: 3, waitedMs: 30_000 });
  expect(time.sleeps).toEqual([10_000, 10_000, 10_000]);
  expect(result.missing.map((h) => [h.label, h.why])).toEqual([
    [
      'Audit',
      expect.stringContaining(
        'no span of payments-audit in the trace although Authorize → Payments sent the message',
      ),
    ],
  ]);
});

test('the trace not found in time: a result, bounded, without waiting for real', async () => {
  xrayReads = ['none'];
  const time = fakeTime();
  const started = Date.now();
  const result = await runCheck({
    map,
    stack: 'Prod-Payments',
    functionName: PHYSICAL_NAME,
    lambda,
    backend: new XRayTraceBackend(xray),
    timeoutMs: 120_000,
    pollIntervalMs: 5_000,
    ...time,
  });
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(result).toMatchObject({ ok: false, status: 'not-found', found: false, present: [], polls: 24 });
  expect(calls('/Traces')).toHaveLength(24);
  expect(result.missing).toHaveLength(5);
  for (const hop of result.missing) {
    expect(hop.why).toBe('the trace was not found in xray within 120 s (24 reads)');
  }
});

test('the clock standing still cannot make it read forever', async () => {
  xrayReads = ['none'];
  const result = await runCheck({
    map,
    stack: 'Prod/Payments',
    functionName: PHYSICAL_NAME,
    lambda,
    backend: new XRayTraceBackend(xray),
    timeoutMs: 20_000,
    pollIntervalMs: 5_000,
    now: () => NOW,
    sleep: async () => undefined,
  });
  expect(result.polls).toBe(5);
});

test('the function failed: reported with its error and log, the trace is not read', async () => {
  lambdaAnswer = () => ({
    status: 200,
    headers: {
      'x-amz-function-error': 'Unhandled',
      'x-amz-log-result': Buffer.from(
        'START RequestId: 1\nERROR TypeError: boom\nEND RequestId: 1\n',
      ).toString('base64'),
    },
    body: JSON.stringify({
      errorType: 'TypeError',
      errorMessage: 'boom',
      trace: ['TypeError: boom', '    at x'],
    }),
  });
  xrayReads = ['all'];
  const result = await runCheck({
    map,
    stack: 'Prod/Payments',
    cloudFormation,
    lambda,
    backend: new XRayTraceBackend(xray),
    ...fakeTime(),
  });
  expect(calls('/Traces')).toHaveLength(0);
  expect(result).toMatchObject({
    ok: false,
    status: 'invoke-failed',
    polls: 0,
    invocation: {
      statusCode: 200,
      functionError: 'Unhandled',
      errorType: 'TypeError',
      errorMessage: 'boom',
      logTail: expect.stringContaining('ERROR TypeError: boom'),
    },
  });
  expect(result.missing[0].why).toBe('not read: the entry function failed (Unhandled, TypeError: boom)');
});

test('an entry that answers 4xx is noted: the flow may stop there', async () => {
  lambdaAnswer = () => ({
    status: 200,
    body: JSON.stringify({ statusCode: 400, body: '{"message":"bad"}' }),
  });
  xrayReads = ['all'];
  const result = await runCheck({
    map,
    stack: 'Prod/Payments',
    functionName: PHYSICAL_NAME,
    lambda,
    backend: new XRayTraceBackend(xray),
    ...fakeTime(),
  });
  expect(result.invocation.responseStatus).toBe(400);
  expect(result.notes).toEqual([
    'the entry answered 400: the hops after it may never happen for this request (give a body it accepts)',
  ]);
});

test('a stack that is not deployed: a usage error that says so', async () => {
  const renamed: TraceMapDocument = {
    ...map,
    nodes: map.nodes.map((n) =>
      n.stack?.path === 'Prod/Payments' ? { ...n, stack: { ...n.stack, stackName: 'Prod-Payments-Old' } } : n,
    ),
  };
  await expect(
    runCheck({
      map: renamed,
      stack: 'Prod/Payments',
      cloudFormation,
      lambda,
      backend: new XRayTraceBackend(xray),
    }),
  ).rejects.toThrow(
    new TraceCheckUsageError(
      "stack Prod-Payments-Old has no resource AuthorizeD8507075 (Prod/Payments/Authorize): Stack 'Prod-Payments-Old' does not exist (is the stack deployed in this account and region?)",
    ),
  );
  expect(calls('/2015-03-31/')).toHaveLength(0);
});
