import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  drilledHop,
  expectedHops,
  KEEP_TRACESTATE_ENTRY,
  runCheck,
  runDrill,
  TempoTraceBackend,
  TraceCheckUsageError,
  type TraceMapDocument,
} from '../../../layer/check';
import { KEEP_TRACESTATE } from '../../../layer/runtime/sampler';
import {
  fixture,
  LocalEndpoint,
  localClientConfig,
  sentIds,
  withIds,
  type RecordedRequest,
  type RecordedTrace,
} from './local-endpoint';

// runDrill with the real Lambda client and the Tempo backend against a local endpoint: Lambda's
// REST Invoke and Tempo's query API, serving the recorded trace of the example flow as the
// backend would hold it after a drill (what keep-errors kept: reconcile's spans, its record span
// failed), its ids replaced by the ones the drill sent.

const map = fixture<TraceMapDocument>('trace-map.json');
const recorded = fixture<RecordedTrace>('example-trace.otlp.json');
const expected = expectedHops(map, 'Prod/Payments/Authorize');
const NOW = 1795239136000;
const RECONCILE = 'payments-reconcile';

/** What the backend holds of the drill's trace at each read. */
type Held = 'none' | { services: 'all' | string[]; failed: boolean };
let reads: Held[];
let readCount = 0;
let lambdaAnswer: { status: number; headers?: Record<string, string>; body: string };
let sent: { traceId: string; spanId: string } | undefined;
let invokes: RecordedRequest[] = [];

interface OtlpSpan {
  name: string;
  kind: number;
  status?: { code: number };
  traceId: string;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** The recorded trace as the backend holds it: only `services`, the reconcile record span failed if `failed`. */
function held({ services, failed }: { services: 'all' | string[]; failed: boolean }): unknown {
  const exports = JSON.parse(withIds(JSON.stringify(recorded.exports), sent!, 'w3c')) as OtlpExport[];
  const resourceSpans = exports
    .flatMap((e) => e.resourceSpans)
    .filter((rs) => {
      const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      return services === 'all' || services.includes(service);
    })
    .map((rs) => {
      const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
      return {
        ...rs,
        scopeSpans: rs.scopeSpans.map((ss) => ({
          ...ss,
          spans: ss.spans
            .filter((s) => s.traceId === sent!.traceId)
            .map((s) =>
              failed && service === RECONCILE && s.kind === 5 ? { ...s, status: { code: 2 } } : s,
            ),
        })),
      };
    });
  return { batches: resourceSpans };
}

const endpoint = new LocalEndpoint((request) => {
  if (request.url.startsWith('/2015-03-31/functions/')) {
    invokes.push(request);
    sent = sentIds(request);
    return { ...lambdaAnswer, headers: { 'content-type': 'application/json', ...lambdaAnswer.headers } };
  }
  if (request.url.startsWith('/api/traces/')) {
    const read = reads[Math.min(readCount++, reads.length - 1)];
    if (read === 'none' || !request.url.endsWith(sent!.traceId))
      return { status: 404, body: 'trace not found' };
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(held(read)) };
  }
  return { status: 404, body: 'unknown' };
});

let lambda: LambdaClient;
let clock = NOW;

beforeAll(async () => {
  const url = await endpoint.start();
  lambda = new LambdaClient(localClientConfig(url));
});

afterAll(async () => {
  lambda.destroy();
  await endpoint.stop();
});

beforeEach(() => {
  readCount = 0;
  invokes = [];
  clock = NOW;
  lambdaAnswer = { status: 200, body: JSON.stringify({ statusCode: 201, body: '{"status":"authorized"}' }) };
});

function drill(options: { hop?: string; expect?: 'failed-hop' | 'whole-trace'; timeoutMs?: number } = {}) {
  return runDrill({
    expected,
    hop: options.hop ?? 'Reconcile',
    expect: options.expect,
    body: { amount: 1, currency: 'XTS', cardToken: 'tok_drill' },
    functionName: 'Prod-Payments-Authorize',
    lambda,
    backend: new TempoTraceBackend(endpoint.url),
    timeoutMs: options.timeoutMs ?? 20_000,
    pollIntervalMs: 5_000,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
}

test('the drill is sent as a request the head sampler dropped: sampled flag off, no always-keep entry', async () => {
  reads = ['none'];
  await drill({ timeoutMs: 5_000 });
  const event = JSON.parse(invokes[0].body) as { headers: Record<string, string>; body: string };
  expect(event.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  expect(event.headers.tracestate).toBeUndefined();
  expect(JSON.parse(event.body)).toEqual({ amount: 1, currency: 'XTS', cardToken: 'tok_drill' });
});

test('a check is sent kept at every hop: sampled, with the tracestate entry the runtime honours', async () => {
  reads = ['none'];
  await runCheck({
    expected,
    functionName: 'Prod-Payments-Authorize',
    lambda,
    backend: new TempoTraceBackend(endpoint.url),
    timeoutMs: 5_000,
    pollIntervalMs: 5_000,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  const event = JSON.parse(invokes[0].body) as { headers: Record<string, string> };
  expect(event.headers.traceparent).toMatch(/-01$/);
  expect(event.headers.tracestate).toBe(KEEP_TRACESTATE_ENTRY);
  // The check's entry is the one the runtime reads (the two folders cannot import each other).
  expect(KEEP_TRACESTATE_ENTRY).toBe(`${KEEP_TRACESTATE.key}=${KEEP_TRACESTATE.value}`);
});

test("keep-errors: reconcile's failed spans arrive on the second read; the rest of the trace was not kept", async () => {
  reads = ['none', { services: [RECONCILE], failed: true }];
  const result = await drill();
  expect(result.status).toBe('kept');
  expect(result.kept).toBe(true);
  expect(result.polls).toBe(2);
  expect(result.hop.id).toBe('Prod/Payments/Reconcile');
  expect(result.failedSpans.map((s) => s.name)).toEqual([
    'process Prod-Payments-ReconciliationQueue91A477D5-Hb7Ns2Kd4Pq1',
  ]);
  expect(result.comparison.present.map((h) => h.id)).toEqual(['Prod/Payments/Reconcile']);
  expect(result.comparison.missing.map((h) => h.label)).toEqual(
    expect.arrayContaining(['Authorize', 'Audit']),
  );
});

test("reconcile's spans without an error status: not kept as a failure, and said why", async () => {
  reads = [{ services: [RECONCILE], failed: false }];
  const result = await drill({ timeoutMs: 10_000 });
  expect(result.status).toBe('not-kept');
  expect(result.polls).toBe(2); // at 5 and 10 s
  expect(result.notes).toContain('the trace holds spans, but none of Reconcile with an error status');
});

test('nothing kept: not-kept, the trace not found', async () => {
  reads = ['none'];
  const result = await drill({ timeoutMs: 10_000 });
  expect(result).toMatchObject({ status: 'not-kept', kept: false, failedSpans: [] });
  expect(result.comparison.found).toBe(false);
});

test('whole-trace: the failed hop alone is not enough; the whole trace with the failure is', async () => {
  reads = [{ services: [RECONCILE], failed: true }];
  const part = await drill({ expect: 'whole-trace', timeoutMs: 10_000 });
  expect(part.status).toBe('not-kept');
  expect(part.failedSpans).toHaveLength(1);

  readCount = 0;
  reads = [
    { services: [RECONCILE], failed: true },
    { services: 'all', failed: true },
  ];
  const whole = await drill({ expect: 'whole-trace' });
  expect(whole.status).toBe('kept');
  expect(whole.comparison.ok).toBe(true);
  expect(whole.polls).toBe(2);
});

test('an entry that fails before the drilled hop: invoke-failed, the backend is not read', async () => {
  lambdaAnswer = {
    status: 200,
    headers: { 'x-amz-function-error': 'Unhandled' },
    body: JSON.stringify({ errorType: 'TypeError', errorMessage: 'boom' }),
  };
  reads = [{ services: 'all', failed: true }];
  const result = await drill();
  expect(result).toMatchObject({ status: 'invoke-failed', kept: false, polls: 0 });
  expect(readCount).toBe(0);
});

test('the hop is named by node id, its end or its label; a producer or an unknown name is a usage error listing the functions', () => {
  expect(drilledHop(expected, 'Prod/Payments/Reconcile').id).toBe('Prod/Payments/Reconcile');
  expect(drilledHop(expected, 'payments/reconcile').id).toBe('Prod/Payments/Reconcile');
  expect(drilledHop(expected, 'audit').id).toBe('Prod/Payments/Audit');
  expect(drilledHop(expected, 'Authorize').kind).toBe('entry');
  expect(() => drilledHop(expected, 'Authorize → Payments')).toThrow(TraceCheckUsageError);
  expect(() => drilledHop(expected, 'Ledger')).toThrow(
    /--drill Ledger: no function on the path from Prod\/Payments\/Authorize has that name; drill one of: Prod\/Payments\/Authorize \(Authorize\), .*Prod\/Payments\/Reconcile \(Reconcile\)/,
  );
});
