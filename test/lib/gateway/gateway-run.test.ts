import { createHash, randomBytes } from 'node:crypto';
import * as YAML from 'yaml';
import { TracingExporter } from '../../../lib';
import { renderCollectorConfig } from '../../../lib/collector/private/collector-config';
import { collectorPorts, CollectorProcess, localCollectorConfig } from '../../../bin/local/collector';
import { LocalGateway, LOCAL_METRICS, SAMPLER_HEADER } from '../../../bin/local/gateway';
import { freePorts } from '../../../bin/local/local-server';
import { OtlpReceiver } from '../../../bin/local/otlp-receiver';
import {
  LOAD_BALANCING_METRICS,
  SAMPLING_METRICS,
  SAMPLING_BOOST_ATTRIBUTE,
  SAMPLING_RULE_ATTRIBUTE,
  type GatewayMetric,
} from '../../../lib/gateway/private/gateway-config';
import { hasProgram, inCi, OTELCOL_GATEWAY, OTELCOL_LAMBDA, testNeeding } from '../../helpers/requirements';

// The gateway run for real: two load-balancing and two sampling `otelcol-gateway` processes on
// 127.0.0.1 with the configurations the library renders (a static resolver, decisions after 1 s),
// fed over OTLP/HTTP (JSON) with the spans of many traces, each trace's spans entering through
// different load-balancing processes, as the collectors of a trace's functions would send them.
// The sampling processes export to a local OTLP receiver; each export carries the index of the
// sampling process that made it (SAMPLER_HEADER).

const needsGateway = testNeeding(OTELCOL_GATEWAY, 'the tests that run the real gateway');
// Needs otelcol-lambda as well (the function's collector); skipped with one line when either is missing.
const needsBoth =
  hasProgram(OTELCOL_GATEWAY) || inCi()
    ? testNeeding(OTELCOL_LAMBDA, "the test of a function's collector in front of a dead gateway")
    : needsGateway;

/** An OTLP/JSON span of a test trace. */
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: { stringValue: string } | { doubleValue: number } }[];
  status: { code?: number };
}

type Kind = 'plain' | 'error' | 'rule' | 'slow' | 'boost';
interface TestTrace {
  readonly kind: Kind;
  readonly traceId: string;
  readonly spans: Span[];
}

const SPANS_PER_TRACE = 4;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * A trace of a root span and three children: an error sets one child's status to ERROR, a rule
 * marks one child with the sampling rule attribute, a slow trace's root lasts 3 s (the others 50 ms),
 * an adaptive boost marks the root with the boost ratio (a double, as the runtime sets it).
 */
function makeTrace(kind: Kind): TestTrace {
  const traceId = hex(16);
  const start = BigInt(Date.now()) * 1_000_000n;
  const rootId = hex(8);
  const spans: Span[] = [];
  for (let i = 0; i < SPANS_PER_TRACE; i++) {
    const root = i === 0;
    const duration = root ? (kind === 'slow' ? 3_000_000_000n : 50_000_000n) : 10_000_000n;
    spans.push({
      traceId,
      spanId: root ? rootId : hex(8),
      ...(root ? {} : { parentSpanId: rootId }),
      name: `${kind} ${i}`,
      kind: root ? 2 : 3,
      startTimeUnixNano: String(start + BigInt(i) * 1_000_000n),
      endTimeUnixNano: String(start + BigInt(i) * 1_000_000n + duration),
      attributes:
        kind === 'rule' && i === 2
          ? [{ key: SAMPLING_RULE_ATTRIBUTE, value: { stringValue: 'always: POST /payments' } }]
          : kind === 'boost' && root
            ? [{ key: SAMPLING_BOOST_ATTRIBUTE, value: { doubleValue: 0.5 } }]
            : [],
      status: kind === 'error' && i === 3 ? { code: 2 } : {},
    });
  }
  return { kind, traceId, spans };
}

/** Posts spans to an OTLP/HTTP endpoint as one export request (JSON); resolves with its status and time. */
async function post(endpoint: string, spans: Span[]): Promise<{ status: number; ms: number }> {
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'payments' } }] },
        scopeSpans: [{ scope: { name: 'gateway-test' }, spans }],
      },
    ],
  };
  const started = performance.now();
  const res = await fetch(`${endpoint}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

/**
 * Sends the spans `from`..`to` (exclusive) of every trace, span k of trace t through load
 * balancer (t + k) mod n: the spans of one trace enter through different load balancers. One
 * request per load balancer and span index.
 */
async function sendSpread(
  endpoints: string[],
  traces: TestTrace[],
  from = 0,
  to = SPANS_PER_TRACE,
): Promise<void> {
  for (let k = from; k < to; k++) {
    for (let lb = 0; lb < endpoints.length; lb++) {
      const spans = traces.filter((_, t) => (t + k) % endpoints.length === lb).map((trace) => trace.spans[k]);
      if (spans.length === 0) continue;
      const { status } = await post(endpoints[lb], spans);
      expect(status).toBe(200);
    }
  }
}

/** Which sampling processes exported spans of each trace (from the header of each export request). */
function exportersByTrace(receiver: OtlpReceiver): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const request of receiver.requests) {
    const sampler = String(request.headers[SAMPLER_HEADER]);
    const body = JSON.parse(request.body.toString('utf8')) as {
      resourceSpans?: { scopeSpans?: { spans?: { traceId: string }[] }[] }[];
    };
    for (const rs of body.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          by.set(span.traceId, (by.get(span.traceId) ?? new Set()).add(sampler));
        }
      }
    }
  }
  return by;
}

/**
 * Whether the `probabilistic` policy keeps a trace: FNV-1a (64 bit) of its default salt and the
 * trace id's 16 bytes at most the percentage of 2^64 - 1 (tailsamplingprocessor
 * internal/sampling/probabilistic.go:20-21, 190-206; up to the rounding of its threshold, which
 * no random trace id meets).
 */
function probabilisticKeeps(traceId: string, percentage: number): boolean {
  let hash = 0xcbf29ce484222325n;
  for (const byte of [...Buffer.from('default-hash-seed'), ...Buffer.from(traceId, 'hex')]) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  const threshold = (0xffffffffffffffffn * BigInt(Math.round(percentage * 1e6))) / 100_000_000n;
  return hash <= threshold;
}

const wait = (ms: number) => new Promise((resolveWait) => setTimeout(resolveWait, ms));

/** Waits until `done()` or the timeout; then until the receiver is idle. */
async function until(done: () => boolean, receiver: OtlpReceiver, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (!done() && Date.now() - started < timeoutMs) await wait(50);
  const ms = Date.now() - started;
  await receiver.idle(1500, 15_000);
  return ms;
}

let receiver: OtlpReceiver;
let gateway: LocalGateway | undefined;

beforeAll(async () => {
  receiver = new OtlpReceiver();
  await receiver.start();
});

afterAll(async () => {
  await receiver?.stop();
});

beforeEach(() => receiver.clear());

afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const PERCENTAGE = 25;
const PLAIN = 400;

needsGateway(
  'errors, rule-marked, slow and boosted traces arrive whole; of 400 plain traces the hash of the trace id keeps ~25 %; no trace arrives split, each from one sampling process',
  async () => {
    gateway = new LocalGateway({
      exporterEndpoint: receiver.endpoint,
      sampling: { percentage: PERCENTAGE, decisionWaitSeconds: 1, latencyThresholdMs: 2000 },
    });
    await gateway.start();
    // Boosted traces the probabilistic policy would drop: only the boost policy can keep them.
    const boosted: TestTrace[] = [];
    while (boosted.length < 3) {
      const t = makeTrace('boost');
      if (!probabilisticKeeps(t.traceId, PERCENTAGE)) boosted.push(t);
    }
    const special = [makeTrace('error'), makeTrace('rule'), makeTrace('slow'), ...boosted];
    const plain = Array.from({ length: PLAIN }, () => makeTrace('plain'));
    const traces = [...special, ...plain];
    await sendSpread(gateway.endpoints, traces);

    // Decided after decision_wait (1 s) and exported, while the gateway runs.
    const decidedMs = await until(
      () => special.every((t) => receiver.trace(t.traceId).length === SPANS_PER_TRACE),
      receiver,
    );
    for (const t of special) {
      expect(
        receiver
          .trace(t.traceId)
          .map((s) => s.spanId)
          .sort(),
      ).toEqual(t.spans.map((s) => s.spanId).sort());
    }
    expect(decidedMs).toBeLessThan(20_000);

    // Whole or not at all, each span once.
    for (const t of traces) {
      const got = receiver.trace(t.traceId);
      expect([0, SPANS_PER_TRACE]).toContain(got.length);
      expect(new Set(got.map((s) => s.spanId)).size).toBe(got.length);
    }
    // The plain traces kept: exactly those the trace id's hash keeps (the same on either
    // sampling process), and near the percentage (within 4 standard deviations of the binomial).
    const kept = plain.filter((t) => receiver.trace(t.traceId).length > 0);
    expect(kept.map((t) => t.traceId).sort()).toEqual(
      plain
        .filter((t) => probabilisticKeeps(t.traceId, PERCENTAGE))
        .map((t) => t.traceId)
        .sort(),
    );
    const p = PERCENTAGE / 100;
    const sd = Math.sqrt(PLAIN * p * (1 - p));
    expect(Math.abs(kept.length - PLAIN * p)).toBeLessThanOrEqual(4 * sd);

    // Routed by trace id: every kept trace came from exactly one sampling process, although its
    // spans entered through both load balancers; both sampling processes got traces.
    const by = exportersByTrace(receiver);
    for (const t of [...special, ...kept]) expect(by.get(t.traceId)?.size).toBe(1);
    expect(new Set([...by.values()].flatMap((s) => [...s]))).toEqual(new Set(['0', '1']));

    // Stopping (SIGTERM) adds nothing: every trace was decided while it ran.
    const before = receiver.spans.length;
    await gateway.stop();
    expect(receiver.spans.length).toBe(before);
    process.stderr.write(
      `gateway: ${kept.length}/${PLAIN} plain traces kept at ${PERCENTAGE} % (expected ${PLAIN * p} ± ${(4 * sd).toFixed(0)}); special traces decided in ${decidedMs} ms\n`,
    );
  },
);

needsGateway(
  'SIGKILL of one sampling process: the traces it held are lost, and so are those routed to it afterwards (the static ring never changes); the other keeps getting and keeping its traces',
  async () => {
    gateway = new LocalGateway({
      exporterEndpoint: receiver.endpoint,
      // Keep everything: a trace that does not arrive was lost, not sampled out.
      sampling: { percentage: 100, decisionWaitSeconds: 2 },
      retryMaxElapsedSeconds: 3,
    });
    await gateway.start();
    const deadEndpoint = `127.0.0.1:${gateway.samplers[1].ports.grpc}`;
    const before = Array.from({ length: 100 }, () => makeTrace('plain'));
    const after = Array.from({ length: 100 }, () => makeTrace('plain'));

    // Half of each trace is in, held by its sampling process until its decision; then one dies.
    await sendSpread(gateway.endpoints, before, 0, 2);
    await gateway.kill(1);
    // The rest of those traces and whole new ones: every request is still accepted (200).
    await sendSpread(gateway.endpoints, before, 2, SPANS_PER_TRACE);
    await sendSpread(gateway.endpoints, after);

    // The load balancers retry the dead one for 3 s (max_elapsed_time, shortened here), then drop.
    const dropped = () =>
      gateway!
        .logs()
        .loadBalancers.some((log) => log.includes('Dropping data') && log.includes(deadEndpoint));
    await until(dropped, receiver, 30_000);
    await gateway.stop();

    const by = exportersByTrace(receiver);
    const whole = (t: TestTrace) => receiver.trace(t.traceId).length === SPANS_PER_TRACE;
    for (const t of [...before, ...after]) {
      expect([0, SPANS_PER_TRACE]).toContain(receiver.trace(t.traceId).length);
      if (whole(t)) expect([...by.get(t.traceId)!]).toEqual(['0']);
    }
    const lostBefore = before.filter((t) => !whole(t)).length;
    const lostAfter = after.filter((t) => !whole(t)).length;
    // Some traces of each phase were on the dead process and some on the live one.
    for (const lost of [lostBefore, lostAfter]) {
      expect(lost).toBeGreaterThan(0);
      expect(lost).toBeLessThan(100);
    }
    const logs = gateway.logs().loadBalancers.join('\n');
    expect(logs).toMatch(/Exporting failed\. Will retry the request after interval/);
    expect(logs).toMatch(/Exporting failed\. Dropping data\.[^\n]*no more retries left/);
    expect(logs).toContain(deadEndpoint);
    process.stderr.write(
      `gateway: after SIGKILL of sampling process 1 lost ${lostBefore}/100 traces it held and ${lostAfter}/100 sent afterwards; sampling process 0 kept all of its own\n`,
    );
  },
);

/** An EMF event as awsemf writes it: the CloudWatch directive and the values. */
interface EmfEvent {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit?: string }[];
    }[];
  };
  [field: string]: unknown;
}

/** The EMF events (with a CloudWatch directive) in a collector's log. */
function emfEvents(log: string): EmfEvent[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"CloudWatchMetrics"'))
    .map((line) => JSON.parse(line) as EmfEvent);
}

/** The sum of a metric's values over the events (awsemf writes the change since the last reading). */
function total(events: EmfEvent[], name: string, where: Record<string, string> = {}): number {
  return events
    .filter((e) => Object.entries(where).every(([k, v]) => e[k] === v))
    .reduce((sum, e) => sum + (typeof e[name] === 'number' ? (e[name] as number) : 0), 0);
}

/** Whether an event publishes the metric as declared: its namespace, its dimension sets, the unit Count. */
function published(events: EmfEvent[], metric: GatewayMetric): boolean {
  return events.some((e) =>
    e._aws.CloudWatchMetrics.some(
      (d) =>
        d.Namespace === LOCAL_METRICS.namespace &&
        JSON.stringify(d.Dimensions.map((set) => [...set].sort())) ===
          JSON.stringify(metric.dimensions.map((set) => [...set].sort())) &&
        d.Metrics.some((m) => m.Name === metric.name && m.Unit === 'Count'),
    ),
  );
}

needsGateway(
  "the collectors' own metrics: written as EMF with the declared names, dimensions and unit, counting what happened",
  async () => {
    // The sampling process exports to a dead address: its failed sends show too.
    const [deadPort] = await freePorts(1);
    gateway = new LocalGateway({
      exporterEndpoint: `http://127.0.0.1:${deadPort}`,
      lbCount: 1,
      samplingCount: 1,
      sampling: { percentage: 100, decisionWaitSeconds: 1 },
      retryMaxElapsedSeconds: 2,
      emfToLog: true,
      telemetryIntervalMs: 1000,
    });
    await gateway.start();
    const logs = () => gateway!.logs();
    // Sent at once: a counter's first reading counts too (retain_initial_value_of_delta_metric).
    const traces = [makeTrace('plain'), makeTrace('error'), makeTrace('plain')];
    await sendSpread(gateway.endpoints, traces);
    const spans = traces.length * SPANS_PER_TRACE;
    const deadline = Date.now() + 30_000;
    while (
      total(emfEvents(logs().samplers[0]), 'otelcol_exporter_send_failed_spans') < spans &&
      Date.now() < deadline
    ) {
      await wait(200);
    }
    await gateway.stop();
    const lb = emfEvents(logs().loadBalancers[0]);
    const sampler = emfEvents(logs().samplers[0]);

    // Every declared metric is published as declared (the load balancer's failed sends only
    // appear when one fails: a sampling task's queue full).
    for (const metric of LOAD_BALANCING_METRICS.filter(
      (m) => m.name !== 'otelcol_exporter_send_failed_spans',
    )) {
      expect([metric.name, published(lb, metric)]).toEqual([metric.name, true]);
    }
    for (const metric of SAMPLING_METRICS)
      expect([metric.name, published(sampler, metric)]).toEqual([metric.name, true]);

    // And counts what happened.
    expect(total(lb, 'otelcol_receiver_accepted_spans')).toBe(spans);
    expect(total(lb, 'otelcol_exporter_sent_spans')).toBe(spans);
    expect(total(lb, 'otelcol_loadbalancer_backend_outcome', { success: 'true' })).toBeGreaterThan(0);
    expect(total(sampler, 'otelcol_receiver_accepted_spans')).toBe(spans);
    expect(total(sampler, 'otelcol_processor_tail_sampling_new_trace_id_received')).toBe(traces.length);
    expect(
      total(sampler, 'otelcol_processor_tail_sampling_global_count_traces_sampled', { decision: 'sampled' }),
    ).toBe(traces.length);
    expect(
      total(sampler, 'otelcol_processor_tail_sampling_count_traces_sampled', {
        policy: 'errors',
        decision: 'sampled',
      }),
    ).toBe(1);
    expect(total(sampler, 'otelcol_exporter_send_failed_spans')).toBe(spans);
    expect(total(sampler, 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early')).toBe(0);
  },
);

needsBoth(
  "the whole gateway down: the function's collector answers its function at once, queues and retries within bounds, then drops",
  async () => {
    // Nothing listens on the gateway's address.
    const [deadPort] = await freePorts(1);
    const dead = `http://127.0.0.1:${deadPort}`;
    const rendered = renderCollectorConfig(
      TracingExporter.otlp({ endpoint: 'https://gateway.internal:4318' }),
    );
    const local = localCollectorConfig(rendered.yaml, {
      ...(await collectorPorts()),
      exporterEndpoint: dead,
    });
    // The rendered configuration keeps the exporter's defaults (a queue of 1000 requests, retries
    // for 300 s); shortened here so the bounds show within the test.
    const doc = YAML.parseDocument(local.yaml);
    doc.setIn(['exporters', 'otlp_http', 'retry_on_failure'], {
      initial_interval: '500ms',
      max_interval: '1s',
      max_elapsed_time: '3s',
    });
    doc.setIn(['exporters', 'otlp_http', 'sending_queue'], { queue_size: 2, num_consumers: 1 });
    const yaml = doc.toString();
    const ports = YAML.parse(yaml) as { receivers: { otlp: { protocols: { http: { endpoint: string } } } } };
    const collector = new CollectorProcess(yaml, { PATH: process.env.PATH }, OTELCOL_LAMBDA.path);
    await collector.start();
    try {
      const endpoint = `http://${ports.receivers.otlp.protocols.http.endpoint}`;
      const started = Date.now();
      // When the first batch is dropped, watched while the exports go on.
      const drop = /Dropping data[^\n]*no more retries left/;
      let droppedAfterMs: number | undefined;
      const watcher = setInterval(() => {
        if (droppedAfterMs === undefined && drop.test(collector.log)) droppedAfterMs = Date.now() - started;
      }, 20);
      const times: number[] = [];
      // Ten invocations' exports, each its own batch (the batch processor flushes after 200 ms).
      for (let i = 0; i < 10; i++) {
        const { status, ms } = await post(endpoint, makeTrace('plain').spans);
        expect(status).toBe(200);
        times.push(ms);
        await wait(300);
      }
      // Answered at once, whatever the backend does.
      expect(Math.max(...times)).toBeLessThan(1000);
      const deadline = Date.now() + 30_000;
      while (droppedAfterMs === undefined && Date.now() < deadline) await wait(100);
      clearInterval(watcher);
      expect(collector.log).toMatch(/Exporting failed\. Will retry the request after interval/);
      expect(collector.log).toMatch(/Exporting failed\. Dropping data\.[^\n]*no more retries left/);
      // The queue of 2 (and one request in flight) was full: later batches were refused at once.
      expect(collector.log).toMatch(/sending queue is full/);
      // Within the retry bound: it gives up once the next retry would start after max_elapsed_time
      // (3 s from the first attempt, which is ~200 ms after the first export; exporterhelper
      // internal/retry_sender.go:105-119 of 0.157.0), after at least one retry.
      expect(droppedAfterMs).toBeGreaterThan(1000);
      expect(droppedAfterMs).toBeLessThan(3200 + 2000);
      process.stderr.write(
        `gateway down: the function's collector answered in at most ${Math.max(...times).toFixed(1)} ms (median ${times.sort((a, b) => a - b)[5].toFixed(1)} ms); first batch dropped ${droppedAfterMs} ms after the first export (bound: 3 s)\n`,
      );
    } finally {
      await collector.stop();
    }
  },
);

test('the prediction of the probabilistic policy is FNV-1a of the salt and the trace id', () => {
  // The Go standard library's FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c.
  const fnv = (bytes: Buffer) => {
    let hash = 0xcbf29ce484222325n;
    for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return hash;
  };
  expect(fnv(Buffer.from('a')).toString(16)).toBe('af63dc4c8601ec8c');
  expect(probabilisticKeeps(hex(16), 100)).toBe(true);
  expect(probabilisticKeeps('4bf92f3577b34da6a3ce929d0e0e4736', 0)).toBe(false);
  // Near the percentage over many random trace ids.
  const ids = Array.from({ length: 4000 }, () =>
    createHash('sha256').update(hex(8)).digest('hex').slice(0, 32),
  );
  const share = ids.filter((id) => probabilisticKeeps(id, 25)).length / ids.length;
  expect(share).toBeGreaterThan(0.2);
  expect(share).toBeLessThan(0.3);
});
