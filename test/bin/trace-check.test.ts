import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { XRayClient } from '@aws-sdk/client-xray';
import { main, USAGE } from '../../bin/trace-check/cli';
import { formatResult } from '../../bin/trace-check/format';
import { compareTrace, expectedHops, parseOtlpTrace, type TraceMapDocument } from '../../layer/check';
import {
  fixture,
  LocalEndpoint,
  localClientConfig,
  sentIds,
  withIds,
  type Answer,
  type RecordedRequest,
  type RecordedTrace,
  type RecordedXrayAnswer,
  retrievedOtelSpans,
  XRayRetrievalStandIn,
  LogsInsightsStandIn,
  spanLogEvents,
} from '../layer/check/local-endpoint';

// The command: its arguments, its table and JSON, its exit status. AWS is a local endpoint that
// answers like Lambda, X-Ray, CloudFormation (and Jaeger's query API); the clients are injected.

const root = join(__dirname, '..', '..');
const PHYSICAL_NAME = 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s';
const xrayAnswer = fixture<RecordedXrayAnswer>('xray-batch-get-traces.json');
const jaegerAnswer = JSON.stringify(fixture('jaeger-trace.json'));

let lambdaStatus = 200;
let withoutSegments: string[] = [];
let drillFault = true;
const invocations: RecordedRequest[] = [];

/** The recorded answers with the ids of the last invocation. */
function withSentIds(text: string, form: 'xray' | 'w3c'): string {
  return withIds(text, sentIds(invocations[invocations.length - 1]), form);
}

/** Logs Insights on aws/spans, serving the example trace under the last invocation's ids. */
const logsInsights = new LogsInsightsStandIn((traceId) => {
  const ids = sentIds(invocations[invocations.length - 1]);
  return traceId === ids.traceId ? spanLogEvents(ids) : [];
});

/** X-Ray's trace retrieval API, serving the example trace under the last invocation's ids. */
const retrieval = new XRayRetrievalStandIn((xrayId) => {
  const ids = sentIds(invocations[invocations.length - 1]);
  return xrayId === `1-${ids.traceId.slice(0, 8)}-${ids.traceId.slice(8)}` ? retrievedOtelSpans(ids) : [];
});

const endpoint: LocalEndpoint = new LocalEndpoint((request): Answer => {
  const retrieved = retrieval.handle(request) ?? logsInsights.handle(request);
  if (retrieved) return retrieved;
  if (request.url.startsWith('/2015-03-31/functions/')) {
    invocations.push(request);
    if (lambdaStatus !== 200) {
      return {
        status: lambdaStatus,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' },
        body: JSON.stringify({ Message: 'User is not authorized to perform: lambda:InvokeFunction' }),
      };
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"statusCode":201}' };
  }
  if (request.url === '/Traces') {
    // A drill (sent unsampled): what keep-errors kept, reconcile's segments, failed if `drillFault`.
    const last = JSON.parse(invocations[invocations.length - 1].body) as { headers: { traceparent: string } };
    const drill = last.headers.traceparent.endsWith('-00');
    const segments = xrayAnswer.Traces[0].Segments.filter(
      (s) => !withoutSegments.includes(s.Id) && (!drill || s.Document.includes('payments-reconcile')),
    ).map((s) => ({
      Id: s.Id,
      Document: drill
        ? JSON.stringify({ ...JSON.parse(withSentIds(s.Document, 'xray')), fault: drillFault })
        : withSentIds(s.Document, 'xray'),
    }));
    const id = (JSON.parse(request.body) as { TraceIds: string[] }).TraceIds[0];
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Traces: [{ Id: id, Segments: segments }] }),
    };
  }
  if (request.url.startsWith('/jaeger/api/traces/')) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: withSentIds(jaegerAnswer, 'w3c'),
    };
  }
  if (new URLSearchParams(request.body).get('Action') === 'DescribeStackResource') {
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<DescribeStackResourceResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStackResourceResult><StackResourceDetail><StackName>Prod-Payments</StackName><LogicalResourceId>AuthorizeD8507075</LogicalResourceId><PhysicalResourceId>${PHYSICAL_NAME}</PhysicalResourceId><ResourceType>AWS::Lambda::Function</ResourceType><LastUpdatedTimestamp>2026-11-20T17:04:11.512Z</LastUpdatedTimestamp><ResourceStatus>UPDATE_COMPLETE</ResourceStatus></StackResourceDetail></DescribeStackResourceResult><ResponseMetadata><RequestId>b9b4b068</RequestId></ResponseMetadata></DescribeStackResourceResponse>`,
    };
  }
  return { status: 404, body: '' };
});

let cwd: string;
const regions: (string | undefined)[] = [];

beforeAll(async () => {
  await endpoint.start();
  cwd = mkdtempSync(join(tmpdir(), 'trace-check-'));
  mkdirSync(join(cwd, 'cdk.out'));
  copyFileSync(
    join(__dirname, '..', 'layer', 'check', 'fixtures', 'trace-map.json'),
    join(cwd, 'cdk.out', 'trace-map.json'),
  );
  writeFileSync(join(cwd, 'payment.json'), '{"amount":1250,"currency":"EUR","cardToken":"tok_cli"}');
  writeFileSync(join(cwd, 'broken.json'), '{"amount":');
});

afterAll(() => endpoint.stop());

beforeEach(() => {
  endpoint.requests.length = 0;
  invocations.length = 0;
  regions.length = 0;
  lambdaStatus = 200;
  withoutSegments = [];
  drillFault = true;
  retrieval.reset();
  logsInsights.reset();
});

/** Runs the command with the local clients; returns its status and output. */
async function run(...argv: string[]) {
  return runWith({}, ...argv);
}

async function runWith(env: NodeJS.ProcessEnv, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  let now = Date.parse('2026-11-21T05:32:16Z');
  const code = await main(argv, {
    env,
    cwd,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    clients: (region) => {
      regions.push(region);
      const config = localClientConfig(endpoint.url);
      return {
        lambda: new LambdaClient(config),
        cloudFormation: new CloudFormationClient(config),
        xray: new XRayClient(config),
        logs: new CloudWatchLogsClient(config),
      };
    },
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return { code, stdout, stderr };
}

describe('arguments', () => {
  test('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    expect(stdout).toBe(USAGE);
    expect(USAGE).toMatch(/--stack <stack>/);
  });

  test.each([
    [[], 'give the stack to check: --stack <path, stack name or artifact id>'],
    [['--stack'], "Option '--stack <value>' argument missing"],
    [['--stack', 'Prod/Payments', '--colour'], "Unknown option '--colour'"],
    [['--stack', 'Prod/Payments', 'extra'], "Unexpected argument 'extra'"],
    [
      ['--stack', 'Staging/Payments'],
      "unknown stack 'Staging/Payments'; the stacks in the trace map are: Dev/Payments (Dev-Payments), Prod/Payments (Prod-Payments)",
    ],
    [
      ['--stack', 'Prod/Payments', '--entry', 'Prod/Payments/AuditQueue'],
      "'Prod/Payments/AuditQueue' is not a function",
    ],
    [
      ['--stack', 'Prod/Payments', '--timeout', 'soon'],
      "--timeout must be a number of seconds of at least 0 (got 'soon')",
    ],
    [
      ['--stack', 'Prod/Payments', '--poll-interval', '0'],
      '--poll-interval must be a number of seconds of at least 0.1',
    ],
    [
      ['--stack', 'Prod/Payments', '--backend', 'zipkin'],
      "unknown backend 'zipkin': use xray, xray-batch, logs-insights[=<log group>], jaeger=<url> or tempo=<url>",
    ],
    [['--stack', 'Prod/Payments', '--payload', 'broken.json'], /the payload .*broken.json is not JSON/],
    [['--stack', 'Prod/Payments', '--payload', 'nowhere.json'], /cannot read the payload .*nowhere.json/],
    [
      ['--stack', 'Prod/Payments', '--cdk-out', 'elsewhere'],
      /no trace map at .*elsewhere\/trace-map.json: run `cdk synth` first/,
    ],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const { code, stdout, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Run trace-check --help for the options.\n$/);
    expect(endpoint.requests).toEqual([]);
  });
});

describe('a check', () => {
  test('complete: the table, the summary, exit 0', async () => {
    const { code, stdout, stderr } = await run(
      '--backend',
      'xray-batch',
      '--stack',
      'Prod/Payments',
      '--payload',
      'payment.json',
      '--timeout',
      '60',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const traceId = invocations[0].body.match(/00-([0-9a-f]{32})-/)![1];
    expect(JSON.parse(JSON.parse(invocations[0].body).body)).toEqual({
      amount: 1250,
      currency: 'EUR',
      cardToken: 'tok_cli',
    });
    expect(stdout).toBe(
      [
        `trace-check Prod/Payments/Authorize (function ${PHYSICAL_NAME})`,
        `trace ${traceId} (X-Ray 1-${traceId.slice(0, 8)}-${traceId.slice(8)}), read from xray`,
        '',
        'HOP                    SERVICE             STATUS   SPAN',
        'Authorize              payments-authorize  present  payments-authorize',
        'Authorize → Payments   payments-authorize  present  SNS',
        'Authorize → fraud-api  payments-authorize  present  POST',
        'Audit                  payments-audit      present  process Prod-Payments-AuditQueue4030B573-Vc8Mz1Lr6Ty3',
        'Reconcile              payments-reconcile  present  payments-reconcile',
        '',
        `OK: 5 of 5 hops present, 0 missing, 0 known breaks, 0 extra services (trace ${traceId}, 1 read in 5 s)`,
        '',
      ].join('\n'),
    );
    // The stack is environment-agnostic in the map: the SDK's region.
    expect(regions).toEqual([undefined]);
  });

  test('--json prints the result object', async () => {
    const { code, stdout } = await run(
      '--backend',
      'xray-batch',
      '--stack',
      'Prod-Payments',
      '--json',
      '--region',
      'eu-central-1',
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      ok: true,
      status: 'complete',
      found: true,
      entry: { node: 'Prod/Payments/Authorize', functionName: PHYSICAL_NAME },
      backend: 'xray',
      missing: [],
      extra: [],
      knownBreaks: [],
      polls: 1,
    });
    expect(result.present.map((h: { id: string }) => h.id)).toEqual([
      'Prod/Payments/Authorize',
      'Prod/Payments/Authorize -> Prod/Payments/Payments',
      'Prod/Payments/Authorize -> external:fraud-api',
      'Prod/Payments/Audit',
      'Prod/Payments/Reconcile',
    ]);
    expect(regions).toEqual(['eu-central-1']);
  });

  test('a missing hop: the table says so, why follows, exit 1', async () => {
    withoutSegments = ['de340c653ee1750b'];
    const { code, stdout } = await run(
      '--backend',
      'xray-batch',
      '--stack',
      'Prod/Payments',
      '--timeout',
      '10',
      '--function',
      'given-name',
    );
    expect(code).toBe(1);
    expect(invocations[0].url).toBe('/2015-03-31/functions/given-name/invocations');
    expect(stdout).toContain('Audit                  payments-audit      missing  -\n');
    expect(stdout).toContain(
      '\nmissing:\n  Audit: no span of payments-audit in the trace although Authorize → Payments sent the message',
    );
    expect(stdout).toMatch(
      /\nFAIL: 4 of 5 hops present, 1 missing, 0 known breaks, 0 extra services \(trace [0-9a-f]{32}, 2 reads in 10 s\)\n$/,
    );
  });

  test('by default X-Ray is read with the trace retrieval API (Transaction Search)', async () => {
    const { code, stdout, stderr } = await run('--stack', 'Prod/Payments', '--timeout', '60');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const traceId = invocations[0].body.match(/00-([0-9a-f]{32})-/)![1];
    expect(stdout).toContain(`read from xray trace retrieval`);
    expect(stdout).toContain('Authorize              payments-authorize  present  POST /payments');
    expect(stdout).toContain('OK: 5 of 5 hops present, 0 missing');
    // One retrieval: RUNNING at the first read, COMPLETE (2 pages) at the second.
    const bodies = (url: string) =>
      endpoint.requests
        .filter((r) => r.url === url)
        .map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(bodies('/StartTraceRetrieval')).toEqual([
      {
        TraceIds: [`1-${traceId.slice(0, 8)}-${traceId.slice(8)}`],
        StartTime: parseInt(traceId.slice(0, 8), 16) - 300,
        EndTime: Date.parse('2026-11-21T05:32:21Z') / 1000,
      },
    ]);
    expect(bodies('/ListRetrievedTraces').map((b) => b.NextToken ?? b.RetrievalToken)).toEqual([
      'retrieval-1',
      'retrieval-1',
      'retrieval-1:4',
    ]);
    expect(endpoint.requests.filter((r) => r.url === '/Traces')).toEqual([]);
  });

  test('--backend logs-insights reads aws/spans with CloudWatch Logs Insights', async () => {
    const { code, stdout, stderr } = await run('--stack', 'Prod/Payments', '--backend', 'logs-insights');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const traceId = invocations[0].body.match(/00-([0-9a-f]{32})-/)![1];
    expect(stdout).toContain('read from logs insights aws/spans');
    expect(stdout).toContain('OK: 5 of 5 hops present, 0 missing');
    const [query, ...more] = [...logsInsights.queries.values()];
    expect(more).toEqual([]);
    expect(query).toMatchObject({
      logGroupName: 'aws/spans',
      startTime: parseInt(traceId.slice(0, 8), 16) - 300,
      endTime: Date.parse('2026-11-21T05:32:21Z') / 1000,
      traceIds: [traceId, `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`],
    });
    const xrayReads = endpoint.requests.filter(
      (r) => r.url === '/Traces' || r.url === '/StartTraceRetrieval',
    );
    expect(xrayReads).toEqual([]);
  });

  test('--backend logs-insights=<log group>: a log group that does not exist is Transaction Search off (exit 2)', async () => {
    const { code, stdout, stderr } = await run(
      '--stack',
      'Prod/Payments',
      '--backend',
      'logs-insights=/org/spans',
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^trace-check: the check could not run: Error: the log group \/org\/spans does not exist in eu-west-1: X-Ray writes spans there only when CloudWatch Transaction Search is on/,
    );
  });

  test('--backend jaeger=<url> reads the trace from Jaeger', async () => {
    const { code, stdout } = await run(
      '--stack',
      'Prod/Payments',
      '--backend',
      `jaeger=${endpoint.url}/jaeger`,
    );
    expect(code).toBe(0);
    expect(stdout).toContain(`read from jaeger ${endpoint.url}/jaeger`);
    expect(stdout).toContain('Authorize              payments-authorize  present  POST /payments');
    expect(endpoint.requests.filter((r) => r.url === '/Traces')).toEqual([]);
  });

  test('Jaeger with auth headers from TRACE_CHECK_HEADERS and --header: sent with every request, never printed', async () => {
    const token = 'Bearer s3cr3t-token';
    const { code, stdout, stderr } = await runWith(
      { TRACE_CHECK_HEADERS: `authorization=${encodeURIComponent(token)},x-scope-orgid=payments` },
      '--stack',
      'Prod/Payments',
      '--backend',
      `jaeger=${endpoint.url}/jaeger`,
      '--header',
      'x-scope-orgid=prod',
      '--json',
    );
    expect(code).toBe(0);
    const reads = endpoint.requests.filter((r) => r.url.startsWith('/jaeger/'));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      // The flag wins over the variable for the same header.
      expect(read.headers).toMatchObject({ authorization: token, 'x-scope-orgid': 'prod' });
    }
    expect(stdout + stderr).not.toContain('s3cr3t');
  });

  test('a malformed header pair: exit 2, naming where and which pair, never the value', async () => {
    const { code, stderr } = await runWith(
      { TRACE_CHECK_HEADERS: 'authorization:s3cr3t' },
      '--stack',
      'Prod/Payments',
      '--backend',
      `jaeger=${endpoint.url}/jaeger`,
    );
    expect(code).toBe(2);
    expect(stderr).toContain('TRACE_CHECK_HEADERS: pair 1 is not name=value with a valid header name');
    expect(stderr).not.toContain('s3cr3t');
  });

  test('an AWS error: the check could not run, exit 2', async () => {
    lambdaStatus = 403;
    const { code, stdout, stderr } = await run('--stack', 'Prod/Payments');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'trace-check: the check could not run: AccessDeniedException: User is not authorized to perform: lambda:InvokeFunction\n',
    );
  });
});

describe('a failure drill', () => {
  test('--drill Reconcile --payload: sent unsampled with the payload; the failure kept, the table, exit 0', async () => {
    const { code, stdout } = await run(
      '--stack',
      'Prod/Payments',
      '--backend',
      'xray-batch',
      '--drill',
      'Reconcile',
      '--payload',
      'payment.json',
    );
    expect(code).toBe(0);
    const event = JSON.parse(invocations[0].body) as { headers: Record<string, string>; body: string };
    expect(event.headers.traceparent).toMatch(/-00$/);
    expect(event.headers.tracestate).toBeUndefined();
    expect(JSON.parse(event.body)).toEqual({ amount: 1250, currency: 'EUR', cardToken: 'tok_cli' });
    expect(stdout).toMatch(/^Reconcile \(drilled\)\s+payments-reconcile\s+failed, kept\s+\S+/m);
    expect(stdout).toMatch(/^Authorize\s+payments-authorize\s+not kept\s+-$/m);
    expect(stdout).toMatch(
      /^OK: the failure at Reconcile is kept \(\d+ error spans? of Reconcile; trace [0-9a-f]{32}, 1 read in 5 s\)$/m,
    );
  });

  test('the failure not kept: exit 1; --json gives the drill result', async () => {
    drillFault = false;
    const { code, stdout } = await run(
      '--stack',
      'Prod/Payments',
      '--backend',
      'xray-batch',
      '--drill',
      'Reconcile',
      '--payload',
      'payment.json',
      '--timeout',
      '10',
      '--json',
    );
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'not-kept',
      kept: false,
      expect: 'failed-hop',
      polls: 2,
    });
  });

  test.each([
    [
      ['--drill', 'Reconcile'],
      '--drill Reconcile needs --payload: a request the entry accepts and Reconcile fails on',
    ],
    [
      ['--drill', 'Ledger', '--payload', 'payment.json'],
      '--drill Ledger: no function on the path from Prod/Payments/Authorize has that name',
    ],
    [['--expect', 'whole-trace'], '--expect is for a drill: give --drill <hop> too'],
    [['--drill', 'Reconcile', '--expect', 'all'], "--expect must be failed-hop or whole-trace (got 'all')"],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const { code, stderr } = await run('--stack', 'Prod/Payments', '--backend', 'xray-batch', ...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

test('the bin runs as a command (tsx): exit 2 and the stacks for an unknown stack', () => {
  const child = spawnSync(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'bin', 'trace-check.ts'), '--stack', 'Nope'],
    { cwd, encoding: 'utf8', env: { ...process.env, AWS_REGION: 'eu-west-1' }, timeout: 60_000 },
  );
  expect(child.status).toBe(2);
  expect(child.stderr).toContain(
    "trace-check: unknown stack 'Nope'; the stacks in the trace map are: Dev/Payments (Dev-Payments), Prod/Payments (Prod-Payments)",
  );
});

test('the table with a known break and an extra service', () => {
  const map = fixture<TraceMapDocument>('trace-map.json');
  const withBreak: TraceMapDocument = {
    ...map,
    nodes: [
      ...map.nodes,
      { id: 'external:ledger', type: 'external', label: 'ledger', url: 'https://ledger.internal/entries' },
    ],
    edges: [
      ...map.edges,
      {
        from: 'Prod/Payments/Reconcile',
        to: 'external:ledger',
        kind: 'http',
        carriesContext: false,
        reason: 'declared untraced: the ledger proxy drops traceparent',
      },
    ],
  };
  const recorded = fixture<RecordedTrace>('example-trace-extra-service.otlp.json');
  const comparison = compareTrace(
    expectedHops(withBreak, 'Prod/Payments/Authorize'),
    recorded.exports.flatMap((request) => parseOtlpTrace(request)),
    { traceId: recorded.traceId },
  );
  const text = formatResult({
    ...comparison,
    status: 'complete',
    xrayTraceId: `1-${recorded.traceId.slice(0, 8)}-${recorded.traceId.slice(8)}`,
    traceparent: recorded.traceparent,
    entry: { node: 'Prod/Payments/Authorize', functionName: PHYSICAL_NAME },
    invocation: { statusCode: 200, responseStatus: 201 },
    backend: 'tempo http://tempo.internal:3200',
    polls: 2,
    waitedMs: 10_000,
    notes: [],
  });
  expect(text).toBe(
    [
      `trace-check Prod/Payments/Authorize (function ${PHYSICAL_NAME})`,
      'trace 6b015185523659ce4989be29db0738a3 (X-Ray 1-6b015185-523659ce4989be29db0738a3), read from tempo http://tempo.internal:3200',
      '',
      'HOP                    SERVICE             STATUS       SPAN',
      'Authorize              payments-authorize  present      POST /payments',
      'Authorize → Payments   payments-authorize  present      publish Prod-Payments-PaymentsTopic18A53E8E-Xq3Lk9Wm2Rt4',
      'Authorize → fraud-api  payments-authorize  present      POST',
      'Audit                  payments-audit      present      process Prod-Payments-AuditQueue4030B573-Vc8Mz1Lr6Ty3',
      'Reconcile              payments-reconcile  present      process Prod-Payments-ReconciliationQueue91A477D5-Hb7Ns2Kd4Pq1',
      'Reconcile → ledger     -                   known break  -',
      '',
      'known breaks (the map says these edges do not carry the context; not expected):',
      '  Reconcile → ledger (http): declared untraced: the ledger proxy drops traceparent',
      '',
      'extra services (in the trace, not in the map; reported, not a failure):',
      '  ledger-sync: 1 span (POST /ledger/entries)',
      '',
      'OK: 5 of 5 hops present, 0 missing, 1 known break, 1 extra service (trace 6b015185523659ce4989be29db0738a3, 2 reads in 10 s)',
      '',
    ].join('\n'),
  );
});
