import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { collectorPath, CollectorProcess, hasCollector } from '../bin/local/collector';
import { GATEWAY_COLLECTOR, localGatewayConfig, LOCAL_SAMPLING } from '../bin/local/gateway';
import { freePorts } from '../bin/local/local-server';
import { OtlpReceiver } from '../bin/local/otlp-receiver';
import {
  GATEWAY_COLLECTOR_VERSION,
  renderLoadBalancingConfig,
  renderSamplingConfig,
  type GatewayPorts,
  type TailSamplingSettings,
} from '../lib/gateway/private/gateway-config';
import { DrainReceiver } from './lib/drain-receiver';
import { median } from './lib/stats';
import { ROOT } from './lib/variants';

// The tracing gateway on this machine: how many spans one sampling process handles, how much
// memory the traces it holds cost, and what the load-balancing tier adds, each measured alone
// (one benchmark at a time, a fresh process per run, medians of the runs), with the
// configurations the library renders, in `otelcol-gateway` (the contrib image's components).
// The load is OTLP/HTTP protobuf made before the clock starts (a small encoder below), so the
// sender's own cost is writing bytes to a socket. Run alone with `npx tsx bench/gateway.ts`
// (writes its section into BENCHMARKS.md); `npm run bench` runs it too.

const RUNS = Number(process.env.BENCH_GATEWAY_RUNS ?? 3);
/** Spans per trace and traces per request of the bulk load (requests as big as a load balancer's batches). */
const SPANS_PER_TRACE = 5;
const TRACES_PER_REQUEST = 100;
const CONCURRENCY = 4;

// ---------------------------------------------------------------------------------------------
// OTLP/protobuf: just the fields the load uses (opentelemetry-proto trace/v1/trace.proto,
// common/v1/common.proto, resource/v1/resource.proto; field numbers in the comments).

type Field = Buffer;
function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const bytesField = (field: number, value: Buffer): Field =>
  Buffer.concat([tag(field, 2), varint(value.length), value]);
const stringField = (field: number, value: string): Field => bytesField(field, Buffer.from(value, 'utf8'));
const message = (field: number, parts: Field[]): Field => bytesField(field, Buffer.concat(parts));
const varintField = (field: number, value: number): Field => Buffer.concat([tag(field, 0), varint(value)]);
function fixed64Field(field: number, value: bigint): Field {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return Buffer.concat([tag(field, 1), b]);
}
/** KeyValue{key=1, value=2 AnyValue{string_value=1}} as field `field`. */
const stringAttribute = (field: number, key: string, value: string): Field =>
  message(field, [stringField(1, key), message(2, [stringField(1, value)])]);

/** A span of the load, as a Lambda function's span looks: eight short attributes. */
interface BenchSpan {
  traceId: Buffer;
  spanId: Buffer;
  parentSpanId?: Buffer;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  error: boolean;
  attributes: [string, string][];
}

function encodeSpan(s: BenchSpan): Field {
  return message(2, [
    bytesField(1, s.traceId),
    bytesField(2, s.spanId),
    ...(s.parentSpanId ? [bytesField(4, s.parentSpanId)] : []),
    stringField(5, s.name),
    varintField(6, s.kind),
    fixed64Field(7, s.start),
    fixed64Field(8, s.end),
    ...s.attributes.map(([k, v]) => stringAttribute(9, k, v)),
    // Status{code=3}: 2 is ERROR.
    ...(s.error ? [message(15, [varintField(3, 2)])] : []),
  ]);
}

/** ExportTraceServiceRequest{resource_spans=1{resource=1, scope_spans=2{scope=1, spans=2}}}. */
function encodeRequest(spans: BenchSpan[]): Buffer {
  return message(1, [
    message(1, [
      stringAttribute(1, 'service.name', 'payments'),
      stringAttribute(1, 'cloud.region', 'eu-west-1'),
    ]),
    message(2, [message(1, [stringField(1, 'cdk-serverless-tracing')]), ...spans.map(encodeSpan)]),
  ]);
}

let seq = 0;
/** A trace of `SPANS_PER_TRACE` spans: an API handler and what it called; one trace in 50 failed. */
function benchTrace(): BenchSpan[] {
  const traceId = randomBytes(16);
  const root = randomBytes(8);
  const start = BigInt(Date.now()) * 1_000_000n;
  const failed = seq++ % 50 === 0;
  return Array.from({ length: SPANS_PER_TRACE }, (_, i) => ({
    traceId,
    spanId: i === 0 ? root : randomBytes(8),
    parentSpanId: i === 0 ? undefined : root,
    name: i === 0 ? 'POST /payments' : `DynamoDB.PutItem ${i}`,
    kind: i === 0 ? 2 : 3,
    start: start + BigInt(i) * 1_000_000n,
    end: start + BigInt(i) * 1_000_000n + 20_000_000n,
    error: failed && i === SPANS_PER_TRACE - 1,
    attributes: [
      ['faas.invocation_id', randomBytes(8).toString('hex')],
      ['faas.name', 'payments-authorize'],
      ['cloud.account.id', '123456789012'],
      ['http.request.method', 'POST'],
      ['url.path', '/payments'],
      ['http.response.status_code', failed ? '500' : '200'],
      ['aws.request_id', randomBytes(8).toString('hex')],
      ['messaging.system', 'aws_sqs'],
    ],
  }));
}

/** `count` request bodies of `tracesPerRequest` whole traces each. */
function requestBodies(count: number, tracesPerRequest: number): Buffer[] {
  return Array.from({ length: count }, () =>
    encodeRequest(Array.from({ length: tracesPerRequest }, benchTrace).flat()),
  );
}

// ---------------------------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs one OTLP/protobuf body; resolves with its status and milliseconds. */
function post(endpoint: string, body: Buffer): Promise<{ status: number; ms: number }> {
  const url = new URL(`${endpoint}/v1/traces`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends every body, `concurrency` in flight; throws on a refused one. Resolves with the milliseconds it took. */
async function sendAll(endpoint: string, bodies: Buffer[], concurrency = CONCURRENCY): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const { status } = await post(endpoint, body);
      if (status !== 200) throw new Error(`the collector answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - started;
}

/** CPU seconds (user + system, all threads) a process used so far (/proc/<pid>/stat, 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process now, in MB (VmRSS). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the drain has received nothing for `quietMs`. */
async function drained(drain: DrainReceiver, quietMs = 1500, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < end && seen !== drain.bytes) {
    seen = drain.bytes;
    await wait(quietMs);
  }
}

interface Started {
  readonly process: CollectorProcess;
  readonly ports: GatewayPorts;
  readonly endpoint: string;
}

async function startSampler(
  exporterEndpoint: string,
  sampling: Partial<TailSamplingSettings>,
  json = false,
): Promise<Started> {
  const [grpc, http, health] = await freePorts(3);
  const ports = { grpc, http, health };
  const yaml = localGatewayConfig(
    renderSamplingConfig({
      sampling: { ...LOCAL_SAMPLING, ...sampling },
      exporter: { kind: 'otlp', endpoint: exporterEndpoint },
      ports,
      memoryLimitMiB: 4096,
      bindAddress: '127.0.0.1',
    }),
    { jsonEncoding: json },
  );
  const process = new CollectorProcess(
    yaml,
    { PATH: globalThis.process.env.PATH },
    collectorPath(GATEWAY_COLLECTOR),
  );
  await process.start();
  return { process, ports, endpoint: `http://127.0.0.1:${http}` };
}

async function startLoadBalancer(samplerGrpcPort: number): Promise<Started> {
  const [grpc, http, health] = await freePorts(3);
  const ports = { grpc, http, health };
  const yaml = renderLoadBalancingConfig({
    resolver: { kind: 'static', hostnames: [`127.0.0.1:${samplerGrpcPort}`] },
    ports,
    memoryLimitMiB: 4096,
    bindAddress: '127.0.0.1',
  });
  const process = new CollectorProcess(
    yaml,
    { PATH: globalThis.process.env.PATH },
    collectorPath(GATEWAY_COLLECTOR),
  );
  await process.start();
  return { process, ports, endpoint: `http://127.0.0.1:${http}` };
}

/**
 * The encoder's output, read by the real collector: one request through a sampling process that
 * keeps everything and exports JSON to the local receiver, which must get every span as made.
 */
async function checkEncoder(): Promise<void> {
  const receiver = new OtlpReceiver();
  await receiver.start();
  const sampler = await startSampler(receiver.endpoint, { percentage: 100, decisionWaitSeconds: 1 }, true);
  try {
    const spans = [benchTrace(), benchTrace()].flat();
    const { status } = await post(sampler.endpoint, encodeRequest(spans));
    if (status !== 200) throw new Error(`the collector refused the encoded request: ${status}`);
    const end = Date.now() + 15_000;
    while (receiver.spans.length < spans.length && Date.now() < end) await wait(50);
    const got = receiver.spans
      .map((s) => `${s.traceId}/${s.spanId}/${s.name}/${s.attributes['faas.name']}`)
      .sort();
    const sent = spans
      .map((s) => `${s.traceId.toString('hex')}/${s.spanId.toString('hex')}/${s.name}/payments-authorize`)
      .sort();
    if (JSON.stringify(got) !== JSON.stringify(sent)) {
      throw new Error(`the encoder's spans did not arrive as made: ${JSON.stringify(got.slice(0, 3))}`);
    }
  } finally {
    await sampler.process.stop();
    await receiver.stop();
  }
}

/** One sampling process's throughput and CPU cost. */
interface ThroughputRun {
  readonly spans: number;
  /** Spans per second the process accepted, while deciding at the same time. */
  readonly ingestSpansPerSec: number;
  /** CPU microseconds per span: receiving, holding, deciding and exporting the kept 10 %. */
  readonly cpuMicrosPerSpan: number;
}

async function samplingThroughput(requests: number): Promise<ThroughputRun> {
  const drain = new DrainReceiver();
  const endpoint = await drain.start();
  const bodies = requestBodies(requests, TRACES_PER_REQUEST);
  const sampler = await startSampler(endpoint, {
    percentage: 10,
    decisionWaitSeconds: 1,
    numTraces: 1_000_000,
  });
  try {
    const pid = sampler.process.pid!;
    const cpu0 = cpuSeconds(pid);
    const ms = await sendAll(sampler.endpoint, bodies);
    await drained(drain);
    const spans = requests * TRACES_PER_REQUEST * SPANS_PER_TRACE;
    // The drain's quiet wait is idle time; the process's CPU counts only its work.
    return {
      spans,
      ingestSpansPerSec: spans / (ms / 1000),
      cpuMicrosPerSpan: ((cpuSeconds(pid) - cpu0) * 1e6) / spans,
    };
  } finally {
    await sampler.process.stop();
    await drain.stop();
  }
}

/** The resident memory of a sampling process holding 0, 1, 2, 3 × `step` traces undecided. */
interface MemoryRun {
  readonly traces: number[];
  readonly rssMb: number[];
  /** The slope of RSS over traces held, per 1,000 traces. */
  readonly mbPer1000: number;
}

async function samplingMemory(step: number): Promise<MemoryRun> {
  const drain = new DrainReceiver();
  const endpoint = await drain.start();
  const perStep = step / TRACES_PER_REQUEST;
  const steps = [
    requestBodies(perStep, TRACES_PER_REQUEST),
    requestBodies(perStep, TRACES_PER_REQUEST),
    requestBodies(perStep, TRACES_PER_REQUEST),
  ];
  // Nothing is decided while it is measured: every trace stays in memory.
  const sampler = await startSampler(endpoint, {
    percentage: 10,
    decisionWaitSeconds: 600,
    numTraces: 10_000_000,
  });
  try {
    const pid = sampler.process.pid!;
    await wait(1000);
    const traces = [0];
    const rss = [rssMb(pid)];
    for (const bodies of steps) {
      await sendAll(sampler.endpoint, bodies);
      await wait(2000);
      traces.push(traces[traces.length - 1] + step);
      rss.push(rssMb(pid));
    }
    return { traces, rssMb: rss, mbPer1000: slope(traces, rss) * 1000 };
  } finally {
    // SIGTERM would decide every held trace first; nothing of it is measured.
    process.kill(sampler.process.pid!, 'SIGKILL');
    await sampler.process.stop();
    await drain.stop();
  }
}

/** The least-squares slope of y over x. */
function slope(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  const num = x.reduce((s, xi, i) => s + (xi - mx) * (y[i] - my), 0);
  const den = x.reduce((s, xi) => s + (xi - mx) ** 2, 0);
  return num / den;
}

/** The same load straight into a sampling process and through a load balancer in front of it. */
interface OverheadRun {
  readonly direct: { ingestSpansPerSec: number; latencyMs: number[] };
  readonly viaLb: {
    ingestSpansPerSec: number;
    latencyMs: number[];
    lbCpuMicrosPerSpan: number;
    samplerCpuMicrosPerSpan: number;
  };
}

/** One Lambda invocation's export (one trace of five spans), sent one at a time: the sender's latency. */
async function latencies(endpoint: string, count: number): Promise<number[]> {
  const bodies = requestBodies(count, 1);
  const times: number[] = [];
  for (const body of bodies) {
    const { status, ms } = await post(endpoint, body);
    if (status !== 200) throw new Error(`the collector answered ${status}`);
    times.push(ms);
  }
  return times;
}

async function loadBalancerOverhead(requests: number): Promise<OverheadRun> {
  const drain = new DrainReceiver();
  const endpoint = await drain.start();
  const sampling = { percentage: 10, decisionWaitSeconds: 1, numTraces: 1_000_000 };
  try {
    // Directly.
    const direct = await startSampler(endpoint, sampling);
    let directRun: OverheadRun['direct'];
    try {
      const latencyMs = await latencies(direct.endpoint, 300);
      const bodies = requestBodies(requests, TRACES_PER_REQUEST);
      const ms = await sendAll(direct.endpoint, bodies);
      directRun = {
        ingestSpansPerSec: (requests * TRACES_PER_REQUEST * SPANS_PER_TRACE) / (ms / 1000),
        latencyMs,
      };
      await drained(drain);
    } finally {
      await direct.process.stop();
    }
    // Through one load balancer.
    const sampler = await startSampler(endpoint, sampling);
    const lb = await startLoadBalancer(sampler.ports.grpc);
    try {
      const latencyMs = await latencies(lb.endpoint, 300);
      await drained(drain);
      const bodies = requestBodies(requests, TRACES_PER_REQUEST);
      const lbCpu0 = cpuSeconds(lb.process.pid!);
      const samplerCpu0 = cpuSeconds(sampler.process.pid!);
      const ms = await sendAll(lb.endpoint, bodies);
      await drained(drain);
      const spans = requests * TRACES_PER_REQUEST * SPANS_PER_TRACE;
      return {
        direct: directRun,
        viaLb: {
          ingestSpansPerSec: spans / (ms / 1000),
          latencyMs,
          lbCpuMicrosPerSpan: ((cpuSeconds(lb.process.pid!) - lbCpu0) * 1e6) / spans,
          samplerCpuMicrosPerSpan: ((cpuSeconds(sampler.process.pid!) - samplerCpu0) * 1e6) / spans,
        },
      };
    } finally {
      await lb.process.stop();
      await sampler.process.stop();
    }
  } finally {
    await drain.stop();
  }
}

/** Everything measured. */
export interface GatewayBenchResult {
  readonly runs: number;
  readonly throughput: ThroughputRun[];
  readonly memory: MemoryRun[];
  readonly overhead: OverheadRun[];
  /**
   * Bytes per span: protobuf; gzip-compressed in a batch of the bulk load (load balancer to
   * sampler); gzip-compressed in one invocation's export (one trace: function to load balancer).
   */
  readonly bytesPerSpan: { protobuf: number; gzip: number; invocationGzip: number };
  readonly seconds: number;
}

/** Runs the gateway benchmarks one after another. Undefined when otelcol-gateway is not built. */
export async function gatewayBench(runs = RUNS): Promise<GatewayBenchResult | undefined> {
  if (!hasCollector(GATEWAY_COLLECTOR)) return undefined;
  const started = Date.now();
  await checkEncoder();
  const sample = encodeRequest(Array.from({ length: TRACES_PER_REQUEST }, benchTrace).flat());
  const spansPerRequest = TRACES_PER_REQUEST * SPANS_PER_TRACE;
  const invocation = Array.from(
    { length: 20 },
    () => gzipSync(encodeRequest(benchTrace())).length / SPANS_PER_TRACE,
  );
  const bytesPerSpan = {
    protobuf: sample.length / spansPerRequest,
    gzip: gzipSync(sample).length / spansPerRequest,
    invocationGzip: median(invocation),
  };
  const throughput: ThroughputRun[] = [];
  for (let i = 0; i < runs; i++) {
    console.log(`gateway: sampling throughput, run ${i + 1}/${runs} …`);
    throughput.push(await samplingThroughput(600));
  }
  const memory: MemoryRun[] = [];
  for (let i = 0; i < runs; i++) {
    console.log(`gateway: memory per trace held, run ${i + 1}/${runs} …`);
    memory.push(await samplingMemory(20_000));
  }
  const overhead: OverheadRun[] = [];
  for (let i = 0; i < runs; i++) {
    console.log(`gateway: the load-balancing tier's overhead, run ${i + 1}/${runs} …`);
    overhead.push(await loadBalancerOverhead(300));
  }
  agent.destroy();
  return { runs, throughput, memory, overhead, bytesPerSpan, seconds: (Date.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// The cost model, on paper, from the measured figures.

/**
 * List prices, us-east-1, on-demand, as published on 2026-11-27 (AWS Fargate, Elastic Load
 * Balancing, API Gateway and EC2 data transfer pricing pages; read through vantage.sh's Fargate
 * pricing summary, clustercost.com's 2025 NLB guide and apigatewaycost.com's HTTP API table).
 */
export const PRICES = {
  date: '2026-11-27',
  region: 'us-east-1',
  fargateVcpuHour: 0.04048,
  fargateGbHour: 0.004445,
  nlbHour: 0.0225,
  nlcuHour: 0.006,
  /** One NLCU (TCP): 800 new connections a second, 100,000 active connections, 1 GB processed an hour. */
  nlcuGbPerHour: 1,
  /** HTTP API: per million requests, first 300 million a month; $0.90 for the next 700 million, then $0.80. */
  httpApiPerMillion: [1.0, 0.9, 0.8],
  /** Between availability zones, each direction. */
  crossAzPerGb: 0.01,
  hoursPerMonth: 730,
};

/** The traffic a row of the cost model stands for. */
const TRAFFIC = {
  /** Spans in one function invocation's export (one request to the gateway). */
  spansPerRequest: 5,
  /** HTTP request and response headers of one export, bytes (an assumption). */
  httpOverheadBytes: 400,
  /** Invocations per trace (an API handler and one SQS consumer). */
  invocationsPerTrace: 2,
  decisionWaitSeconds: 30,
  /** The CPU a task may use before it scales out. */
  cpuTarget: 0.6,
  /** Fargate task: 1 vCPU, 2 GB. */
  taskVcpu: 1,
  taskGb: 2,
  /** Tasks of each tier at least, in two availability zones. */
  minTasks: 2,
  /** Of the load balancer's sends to the sampling tier, the share that crosses an availability zone (three zones). */
  crossAzShare: 2 / 3,
};

interface CostRow {
  readonly requestsPerSec: number;
  readonly lbTasks: number;
  readonly samplingTasks: number;
  readonly fargate: number;
  readonly nlb: number;
  readonly httpApi: number;
  readonly crossAz: number;
  readonly samplingMemoryGb: number;
}

function httpApiMonthly(requestsPerMonth: number): number {
  const millions = requestsPerMonth / 1e6;
  const [a, b, c] = PRICES.httpApiPerMillion;
  return (
    Math.min(millions, 300) * a +
    Math.max(0, Math.min(millions, 1000) - 300) * b +
    Math.max(0, millions - 1000) * c
  );
}

function costRow(
  requestsPerSec: number,
  lbMicros: number,
  samplingMicros: number,
  mbPer1000: number,
  baseMb: number,
  bytes: GatewayBenchResult['bytesPerSpan'],
): CostRow {
  const spansPerSec = requestsPerSec * TRAFFIC.spansPerRequest;
  const tasksFor = (micros: number) =>
    Math.max(
      TRAFFIC.minTasks,
      Math.ceil((spansPerSec * micros) / 1e6 / (TRAFFIC.taskVcpu * TRAFFIC.cpuTarget)),
    );
  const lbTasks = tasksFor(lbMicros);
  let samplingTasks = tasksFor(samplingMicros);
  // Memory: the traces held for the decision wait, spread over the tasks.
  const tracesHeld = (requestsPerSec / TRAFFIC.invocationsPerTrace) * TRAFFIC.decisionWaitSeconds;
  const memoryGbPerTask = () => (baseMb + (mbPer1000 * tracesHeld) / 1000 / samplingTasks) / 1024;
  while (memoryGbPerTask() > TRAFFIC.taskGb * 0.8) samplingTasks++;
  const taskHour = TRAFFIC.taskVcpu * PRICES.fargateVcpuHour + TRAFFIC.taskGb * PRICES.fargateGbHour;
  const fargate = (lbTasks + samplingTasks) * taskHour * PRICES.hoursPerMonth;
  // Into the NLB: each invocation's export on its own (gzip of one trace, and its headers).
  const inGbPerHour =
    (requestsPerSec * (TRAFFIC.spansPerRequest * bytes.invocationGzip + TRAFFIC.httpOverheadBytes) * 3600) /
    1e9;
  const nlb =
    (PRICES.nlbHour + Math.max(1, inGbPerHour / PRICES.nlcuGbPerHour) * PRICES.nlcuHour) *
    PRICES.hoursPerMonth;
  const httpApi = httpApiMonthly(requestsPerSec * 3600 * PRICES.hoursPerMonth);
  // From the load balancers to the sampling tasks: batches (gzip of many traces).
  const batchGbPerHour = (spansPerSec * bytes.gzip * 3600) / 1e9;
  const crossAz = batchGbPerHour * PRICES.hoursPerMonth * TRAFFIC.crossAzShare * 2 * PRICES.crossAzPerGb;
  return {
    requestsPerSec,
    lbTasks,
    samplingTasks,
    fargate,
    nlb,
    httpApi,
    crossAz,
    samplingMemoryGb: memoryGbPerTask(),
  };
}

const usd = (n: number) => `$${n < 100 ? n.toFixed(2) : Math.round(n).toLocaleString('en-US')}`;
const f1 = (n: number) => n.toFixed(1);

/** The section of BENCHMARKS.md. */
export function gatewayMarkdown(r: GatewayBenchResult): string {
  const ingest = median(r.throughput.map((t) => t.ingestSpansPerSec));
  const samplingMicros = median(r.throughput.map((t) => t.cpuMicrosPerSpan));
  const mbPer1000 = median(r.memory.map((m) => m.mbPer1000));
  const baseMb = median(r.memory.map((m) => m.rssMb[0]));
  const lbMicros = median(r.overhead.map((o) => o.viaLb.lbCpuMicrosPerSpan));
  const samplerBehindLbMicros = median(r.overhead.map((o) => o.viaLb.samplerCpuMicrosPerSpan));
  const directLatency = r.overhead.flatMap((o) => o.direct.latencyMs);
  const lbLatency = r.overhead.flatMap((o) => o.viaLb.latencyMs);
  const p = (values: number[], q: number) =>
    [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)];
  const directIngest = median(r.overhead.map((o) => o.direct.ingestSpansPerSec));
  const lbIngest = median(r.overhead.map((o) => o.viaLb.ingestSpansPerSec));
  const rows = [100, 1_000, 10_000].map((rps) =>
    costRow(rps, lbMicros, samplingMicros, mbPer1000, baseMb, r.bytesPerSpan),
  );
  return [
    `\`otelcol-gateway\` (the components of the contrib image ${GATEWAY_COLLECTOR_VERSION} the gateway's tasks run, built from their Go modules; \`npm run collector:build\`) with the configurations the library renders, on 127.0.0.1. The load is OTLP/HTTP protobuf made before the clock starts: traces of ${SPANS_PER_TRACE} spans with eight attributes each (${f1(r.bytesPerSpan.protobuf)} bytes a span; gzip-compressed ${f1(r.bytesPerSpan.gzip)} in a batch, ${f1(r.bytesPerSpan.invocationGzip)} in one invocation's export of one trace), ${TRACES_PER_REQUEST} traces a request, ${CONCURRENCY} requests in flight; one trace in 50 has an error. The sampling process keeps errors and 10 % of the rest, decides 1 s after a trace's first span and exports what it keeps over OTLP/HTTP protobuf to a receiver that drains it. Each benchmark alone, a fresh process per run, ${r.runs} runs, medians; the sender runs on the same ${cpus().length} shared cores, so the throughput is a floor and the CPU time per span (user + system of the collector process, /proc) is the figure to size tasks with. ${Math.round(r.seconds)} s in all.`,
    '',
    '| what | median | runs |',
    '| --- | ---: | --- |',
    `| one sampling process: spans accepted per second, deciding at the same time | ${Math.round(ingest).toLocaleString('en-US')} | ${r.throughput.map((t) => Math.round(t.ingestSpansPerSec).toLocaleString('en-US')).join(', ')} |`,
    `| one sampling process: CPU µs per span (receive, hold, decide, export the kept) | ${f1(samplingMicros)} | ${r.throughput.map((t) => f1(t.cpuMicrosPerSpan)).join(', ')} |`,
    `| → spans per second per vCPU, sampling tier | ${Math.round(1e6 / samplingMicros).toLocaleString('en-US')} | |`,
    `| sampling process: resident memory per 1,000 traces held (${SPANS_PER_TRACE} spans each), MB | ${f1(mbPer1000)} | ${r.memory.map((m) => f1(m.mbPer1000)).join(', ')} |`,
    `| sampling process: resident memory holding nothing, MB | ${f1(baseMb)} | ${r.memory.map((m) => f1(m.rssMb[0])).join(', ')} |`,
    `| load-balancing process: CPU µs per span (receive, batch, route, gRPC to the sampler) | ${f1(lbMicros)} | ${r.overhead.map((o) => f1(o.viaLb.lbCpuMicrosPerSpan)).join(', ')} |`,
    `| → spans per second per vCPU, load-balancing tier | ${Math.round(1e6 / lbMicros).toLocaleString('en-US')} | |`,
    `| sampling process behind it (gRPC in): CPU µs per span | ${f1(samplerBehindLbMicros)} | ${r.overhead.map((o) => f1(o.viaLb.samplerCpuMicrosPerSpan)).join(', ')} |`,
    `| spans accepted per second, straight into the sampler / through the load balancer | ${Math.round(directIngest).toLocaleString('en-US')} / ${Math.round(lbIngest).toLocaleString('en-US')} | |`,
    `| one invocation's export (one trace, ${SPANS_PER_TRACE} spans) answered in, ms, median / p99: straight into the sampler | ${f1(median(directLatency))} / ${f1(p(directLatency, 0.99))} | ${directLatency.length} requests |`,
    `| … through the load balancer | ${f1(median(lbLatency))} / ${f1(p(lbLatency, 0.99))} | ${lbLatency.length} requests |`,
    '',
    "Through the load balancer, its process, the sampler and the sender share the same two cores, so the throughput through it is lower here; in the gateway each tier has its own tasks, and the CPU per span of each process is what adds up. The load balancer answers once its `batch` processor took the spans, so it adds no wait for the sender; it adds at most the batch timeout (200 ms) and one gRPC hop before the sampler holds the spans, nothing next to the decision wait. Memory is the resident set (VmRSS) after each 20,000 traces, with nothing decided (decision wait 600 s): Go's heap with the garbage not yet collected, what a task's memory limit sees.",
    '',
    '### What tail sampling costs, on paper',
    '',
    `Sized with the CPU per span above (a task is ${TRAFFIC.taskVcpu} vCPU / ${TRAFFIC.taskGb} GB, used to ${TRAFFIC.cpuTarget * 100} % before it scales out, at least ${TRAFFIC.minTasks} tasks a tier across two zones; the sampling tier also needs the traces of one decision wait (${TRAFFIC.decisionWaitSeconds} s) in memory, within 80 % of its tasks' memory). A request is one function invocation's export of ${TRAFFIC.spansPerRequest} spans; a trace is ${TRAFFIC.invocationsPerTrace} invocations. Prices: ${PRICES.region} on-demand list prices as of ${PRICES.date} (AWS's Fargate, Elastic Load Balancing, API Gateway and data transfer pricing pages, read through vantage.sh's Fargate summary, clustercost.com's NLB guide and apigatewaycost.com): Fargate Linux/x86 $${PRICES.fargateVcpuHour} per vCPU-hour and $${PRICES.fargateGbHour} per GB-hour (Linux/ARM about 20 % less); NLB $${PRICES.nlbHour} an hour and $${PRICES.nlcuHour} per NLCU-hour (an NLCU: ${PRICES.nlcuGbPerHour} GB processed an hour, 800 new or 100,000 active TCP connections; the functions' collectors keep their connections, so bytes decide: each export gzip-compressed on its own plus ${TRAFFIC.httpOverheadBytes} bytes of headers); API Gateway HTTP API $1.00 per million requests (first 300 million a month, then $0.90, then $0.80; each request up to 512 KB counts once); $${PRICES.crossAzPerGb} per GB each way between zones (the load balancers send ${Math.round(TRAFFIC.crossAzShare * 100)} % of their bytes to another zone's sampler). A month is ${PRICES.hoursPerMonth} hours.`,
    '',
    '| requests/s (spans/s) | load-balancing tasks | sampling tasks (GB held each) | Fargate / month | internal NLB / month | or HTTP API / month (functions outside the VPC) | cross-zone data / month | gateway with an NLB / month | head sampling |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (c) =>
        `| ${c.requestsPerSec.toLocaleString('en-US')} (${(c.requestsPerSec * TRAFFIC.spansPerRequest).toLocaleString('en-US')}) | ${c.lbTasks} | ${c.samplingTasks} (${c.samplingMemoryGb.toFixed(2)}) | ${usd(c.fargate)} | ${usd(c.nlb)} | ${usd(c.httpApi)} | ${usd(c.crossAz)} | ${usd(c.fargate + c.nlb + c.crossAz)} | $0: no gateway |`,
    ),
    '',
    "Head sampling needs no gateway: each function's collector decides by the trace id's hash and sends only what it keeps. Tail sampling adds the gateway above, and one more cost in Lambda that this table leaves out: every invocation's collector exports all its spans (head sampling exports only the kept ones), after the response (`decouple`), which Lambda bills as the extension's post-invocation time (an export to a gateway in the same VPC; not measured here). The backend's own price per span kept is the same either way for the same share kept; tail sampling keeps more (every error and slow trace, whole). At low volume the floor of two tasks per tier and the NLB's hour dominate; from about a thousand requests a second the HTTP API's per-request price is larger than the whole gateway behind an NLB.",
  ].join('\n');
}

/** Replaces (or adds, before "## Warm per-invocation time") the gateway section of BENCHMARKS.md. */
function writeSection(markdown: string): void {
  const file = join(ROOT, 'BENCHMARKS.md');
  const text = readFileSync(file, 'utf8');
  const heading = '## The tracing gateway';
  const section = `${heading}\n\n${markdown}\n\n`;
  const at = text.indexOf(heading);
  let next: string;
  if (at !== -1) {
    const end = text.indexOf('\n## ', at + heading.length);
    next = text.slice(0, at) + section + (end === -1 ? '' : text.slice(end + 1));
  } else {
    const before = text.indexOf('## Warm per-invocation time');
    next =
      before === -1
        ? `${text.trimEnd()}\n\n${section}`
        : text.slice(0, before) + section + text.slice(before);
  }
  writeFileSync(file, next);
}

if (require.main === module) {
  gatewayBench()
    .then((result) => {
      if (!result) {
        console.error('otelcol-gateway is not built: npm run collector:build');
        process.exitCode = 1;
        return;
      }
      const markdown = gatewayMarkdown(result);
      console.log(markdown);
      writeSection(markdown);
    })
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
