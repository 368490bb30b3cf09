// The cost model: pure functions from the trace map, the sampling and the prices to the monthly
// cost of each part. Every assumption is listed in ASSUMPTIONS and written into the file.

import type { TraceMap, TraceMapNode } from '../../trace-map/trace-map';
import type { TracingCostEntry, TracingCostGateway, TracingCostParts } from '../tracing-cost-report';
import { DAYS_PER_MONTH, MEASURED, PRICES, SECONDS_PER_MONTH } from './prices';

export const ASSUMPTIONS: readonly string[] = [
  'Spans per request come from the trace map only: one invocation span per traced function on the path, one producer ' +
    'span per send/publish/put edge of a traced function, one client span per declared HTTP call, and one span per record ' +
    'for a function an SQS queue invokes (processRecords). AWS SDK calls the map does not know (a DynamoDB PutItem) add spans ' +
    'the estimate leaves out: the example makes 8 spans a payment, the map counts 7.',
  'Each message reaches its consumer in an invocation of its own (batches of one): with fuller batches, the invocation ' +
    'spans of a consumer are fewer (one a batch), so the estimate is an upper bound there.',
  'A topic delivers each message to every subscription; a message is sent once per request per producer edge.',
  'A span takes the measured size as stored (one JSON log event with its resource in aws/spans); storage is billed on the ' +
    'ingested size (AWS bills the compressed size, so storage is an upper bound).',
  'Kept share, head sampling: ratio + (1 - ratio) x errorRate with keepErrors (a failed request counted whole, an upper ' +
    "bound: head mode keeps the failed invocation's own spans). Tail sampling: the functions send headSamplingRatio of the " +
    'traces; the gateway keeps every failed one and samplingRatio of the rest (its default samplingPercentage).',
  'Storage in a steady state: a month of data stays retention / 30.4 months; never-expiring groups are counted for 12 months.',
  'The gateway is sized as in BENCHMARKS.md ("What tail sampling costs, on paper"): 1 vCPU / 2 GB tasks used to 60%, at least ' +
    'two a tier, the CPU per span measured there, each export gzip-compressed on its own plus 400 bytes of headers through ' +
    'the NLB (at least one NLCU), 67% of the batched bytes across zones; its memory is not checked.',
  'An OTLP backend other than X-Ray prices spans its own way: the estimate gives its bytes, at $0.',
  "The debug exporter (verbosity basic) writes one line of about 150 bytes per export to the function's log; detailed writes " +
    'each span (counted at the span size).',
];

/** How a request flows from an entry: the spans it makes, and the traced invocations (exports). */
export interface FlowSpans {
  readonly spans: number;
  readonly invocations: number;
  readonly lines: string[];
}

/** The spans one request to the entry function makes, walking the map from it. */
export function flowSpans(map: TraceMap, entryFunction: string): FlowSpans {
  const nodes = new Map(map.nodes.map((n) => [n.id, n]));
  const out = new Map<string, typeof map.edges>();
  for (const edge of map.edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge]);
  const lines: string[] = [];
  let spans = 0;
  let invocations = 0;
  const visit = (id: string, by: 'entry' | 'sqs' | 'sns', path: readonly string[]): void => {
    if (path.includes(id)) return; // a loop in the map: counted once
    const node = nodes.get(id);
    const here = [...path, id];
    if (!node) return;
    if (node.type === 'function') {
      const traced = node.traced === true;
      if (traced) {
        const record = by === 'sqs' ? 1 : 0;
        let own = 1 + record;
        const parts = [by === 'sqs' ? 'invocation + record span' : 'invocation span'];
        for (const edge of out.get(id) ?? []) {
          if (edge.kind === 'http') {
            own += 1;
            parts.push(`client span to ${labelOf(nodes.get(edge.to), edge.to)}`);
          } else if (
            edge.kind === 'sqs-send' ||
            edge.kind === 'sns-publish' ||
            edge.kind === 'eventbridge-put'
          ) {
            own += 1;
            parts.push(`producer span to ${labelOf(nodes.get(edge.to), edge.to)}`);
          }
        }
        spans += own;
        invocations += 1;
        lines.push(`${node.label}: ${own} (${parts.join(', ')})`);
      } else {
        lines.push(`${node.label}: 0 (not traced)`);
      }
    }
    for (const edge of out.get(id) ?? []) {
      if (edge.kind === 'sqs-to-lambda') visit(edge.to, 'sqs', here);
      else if (edge.kind === 'sns-to-lambda') visit(edge.to, 'sns', here);
      else if (edge.kind !== 'api-to-lambda' && edge.kind !== 'http') visit(edge.to, 'entry', here);
    }
  };
  visit(entryFunction, 'entry', []);
  return { spans, invocations, lines };
}

function labelOf(node: TraceMapNode | undefined, id: string): string {
  return node?.label ?? id;
}

/** The entries of the map: each API route to a function, and each entry function no route reaches. */
export function mapEntries(map: TraceMap): { entry: string; fn: string; route?: string }[] {
  const entries: { entry: string; fn: string; route?: string }[] = [];
  const routed = new Set<string>();
  for (const edge of map.edges) {
    if (edge.kind === 'api-to-lambda' && edge.route !== undefined) {
      entries.push({ entry: edge.route, fn: edge.to, route: edge.route });
      routed.add(edge.to);
    }
  }
  for (const node of map.nodes) {
    if (node.type === 'function' && node.entry && !routed.has(node.id)) {
      entries.push({ entry: node.id, fn: node.id });
    }
  }
  return entries;
}

/** The sampling that applies to an entry's flow. */
export interface EntrySampling {
  readonly mode: 'head' | 'collector' | 'tail';
  readonly ratio: number;
  readonly keepErrors: boolean;
  readonly errorRate: number;
  readonly headSamplingRatio: number;
  readonly alwaysKept: boolean;
}

/** The shares of requests stored (`kept`) and sent out of the functions (`exported`). */
export function keptFraction(s: EntrySampling): { kept: number; exported: number } {
  if (s.alwaysKept) return { kept: 1, exported: 1 };
  const errors = s.keepErrors ? s.errorRate : 0;
  if (s.mode === 'tail') {
    const h = s.headSamplingRatio;
    const kept = h * (s.ratio + (1 - s.ratio) * s.errorRate) + (1 - h) * errors;
    return { kept, exported: h + (1 - h) * errors };
  }
  const kept = s.ratio + (1 - s.ratio) * errors;
  return { kept, exported: kept };
}

/** Where the kept spans are stored and how. */
export interface EntryBackend {
  /** The exporter of the functions. */
  readonly exporter: 'xray' | 'debug' | 'otlp' | 'gateway';
  /** Where the spans end up (the gateway's own exporter with `gateway`). */
  readonly store: 'xray' | 'debug' | 'otlp';
  readonly debugDetailed?: boolean;
  readonly indexingPercentage?: number;
  /** Retention in days of where they are stored; undefined: never expire. */
  readonly retentionDays?: number;
}

/** The input of one entry's estimate. */
export interface EntryInput {
  readonly entry: string;
  readonly fn: string;
  readonly requestsPerSecond: number;
  readonly trafficFrom: string;
  readonly sampling: EntrySampling;
  readonly backend: EntryBackend;
}

const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** Months a month of data stays stored, in a steady state. */
export function monthsStored(retentionDays: number | undefined): number {
  return retentionDays === undefined ? 12 : retentionDays / DAYS_PER_MONTH;
}

/** The estimate of one entry (the gateway is priced on the app's total, not here). */
export function estimateEntry(
  map: TraceMap,
  input: EntryInput,
): TracingCostEntry & { readonly exportsPerSecond: number; readonly spansToGatewayPerSecond: number } {
  const flow = flowSpans(map, input.fn);
  const { kept, exported } = keptFraction(input.sampling);
  const requests = input.requestsPerSecond * SECONDS_PER_MONTH;
  const spansKept = requests * flow.spans * kept;
  const b = input.backend;
  const spanBytes = MEASURED.spanJsonBytes;
  let gbIngested: number;
  let ingestion = 0;
  let indexing = 0;
  let logs = 0;
  if (b.store === 'xray') {
    gbIngested = (spansKept * spanBytes) / 1e9;
    ingestion = gbIngested * PRICES.spansIngestedPerGb.usd;
    const extra = Math.max(0, (b.indexingPercentage ?? 1) - 1) / 100;
    indexing = ((spansKept * extra) / 1e6) * PRICES.indexedSpansPerMillion.usd;
    logs = gbIngested * monthsStored(b.retentionDays) * PRICES.logsStoredPerGbMonth.usd;
  } else if (b.store === 'debug') {
    const bytes = b.debugDetailed
      ? spansKept * spanBytes
      : requests * flow.invocations * kept * MEASURED.debugBasicLineBytes;
    gbIngested = bytes / 1e9;
    logs =
      gbIngested * PRICES.logsIngestedPerGb.usd +
      gbIngested * monthsStored(b.retentionDays) * PRICES.logsStoredPerGbMonth.usd;
  } else {
    gbIngested = (spansKept * spanBytes) / 1e9;
  }
  const gbStored = b.store === 'otlp' ? 0 : gbIngested * monthsStored(b.retentionDays);
  const total = ingestion + indexing + logs;
  return {
    entry: input.entry,
    function: input.fn,
    requestsPerSecond: input.requestsPerSecond,
    trafficFrom: input.trafficFrom,
    spansPerRequest: flow.spans,
    spans: flow.lines,
    bytesPerRequest: flow.spans * spanBytes,
    exporter: b.exporter,
    sampling: {
      mode: input.sampling.mode,
      ratio: input.sampling.ratio,
      keepErrors: input.sampling.keepErrors,
      errorRate: input.sampling.errorRate,
      ...(input.sampling.mode === 'tail' ? { headSamplingRatio: input.sampling.headSamplingRatio } : {}),
      alwaysKept: input.sampling.alwaysKept,
    },
    keptFraction: round(kept, 6),
    exportedFraction: round(exported, 6),
    ...(b.retentionDays !== undefined ? { retentionDays: b.retentionDays } : {}),
    ...(b.store === 'xray' ? { indexingPercentage: b.indexingPercentage ?? 1 } : {}),
    monthly: {
      requests: Math.round(requests),
      spansKept: Math.round(spansKept),
      gbIngested: round(gbIngested, 3),
      gbStored: round(gbStored, 3),
    },
    costUsd: {
      ingestion: round(ingestion),
      indexing: round(indexing),
      logs: round(logs),
      gateway: 0,
      total: round(total),
    },
    exportsPerSecond: b.exporter === 'gateway' ? input.requestsPerSecond * flow.invocations * exported : 0,
    spansToGatewayPerSecond: b.exporter === 'gateway' ? input.requestsPerSecond * flow.spans * exported : 0,
  };
}

/** A tail-sampling gateway sized for the spans and exports it gets (BENCHMARKS.md's model). */
export function estimateGateway(
  path: string,
  access: 'iam' | 'vpc',
  spansPerSecond: number,
  exportsPerSecond: number,
): TracingCostGateway {
  const m = MEASURED;
  const tasks = (microsPerSpan: number) =>
    Math.max(
      m.minTasksPerTier,
      Math.ceil((spansPerSecond * microsPerSpan) / 1e6 / (m.taskVcpu * m.taskCpuTarget)),
    );
  const loadBalancingTasks = tasks(m.loadBalancingCpuMicrosPerSpan);
  const samplingTasks = tasks(m.samplingCpuMicrosPerSpan);
  const taskHour = m.taskVcpu * PRICES.fargateVcpuHour.usd + m.taskGb * PRICES.fargateGbHour.usd;
  const fargate = (loadBalancingTasks + samplingTasks) * taskHour * 730;
  const gbPerHour =
    ((spansPerSecond * m.gzipSpanInExportBytes + exportsPerSecond * m.exportHeaderBytes) * 3600) / 1e9;
  const loadBalancer = 730 * (PRICES.nlbHour.usd + PRICES.nlcuHour.usd * Math.max(1, gbPerHour));
  const httpApi =
    access === 'iam' ? ((exportsPerSecond * SECONDS_PER_MONTH) / 1e6) * PRICES.httpApiPerMillion.usd : 0;
  const crossZone =
    ((spansPerSecond * m.gzipSpanInBatchBytes * m.crossZoneShare * SECONDS_PER_MONTH) / 1e9) *
    2 *
    PRICES.crossZonePerGb.usd;
  return {
    path,
    access,
    spansPerSecond: round(spansPerSecond, 3),
    exportsPerSecond: round(exportsPerSecond, 3),
    loadBalancingTasks,
    samplingTasks,
    costUsd: {
      fargate: round(fargate),
      loadBalancer: round(loadBalancer),
      httpApi: round(httpApi),
      crossZone: round(crossZone),
      total: round(fargate + loadBalancer + httpApi + crossZone),
    },
  };
}

/** The sum of the entries' and the gateways' costs. */
export function totalOf(
  entries: readonly TracingCostEntry[],
  gateways: readonly TracingCostGateway[],
): TracingCostParts {
  const sum = (f: (e: TracingCostEntry) => number) => entries.reduce((a, e) => a + f(e), 0);
  const ingestion = sum((e) => e.costUsd.ingestion);
  const indexing = sum((e) => e.costUsd.indexing);
  const logs = sum((e) => e.costUsd.logs);
  const gateway = gateways.reduce((a, g) => a + g.costUsd.total, 0);
  return {
    ingestion: round(ingestion),
    indexing: round(indexing),
    logs: round(logs),
    gateway: round(gateway),
    total: round(ingestion + indexing + logs + gateway),
  };
}

/** The one line printed at synth. */
export function summaryLine(
  entries: readonly TracingCostEntry[],
  total: TracingCostParts,
  file: string,
): string {
  const money = (v: number) =>
    `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const what =
    entries.length === 1
      ? `${entries[0].entry} at ${entries[0].requestsPerSecond} req/s`
      : `${entries.length} entries at ${round(
          entries.reduce((a, e) => a + e.requestsPerSecond, 0),
          3,
        )} req/s in all`;
  return (
    `tracing cost: ${what} ≈ ${money(total.total)}/month (ingestion ${money(total.ingestion)}, indexing ` +
    `${money(total.indexing)}, logs ${money(total.logs)}, gateway ${money(total.gateway)}); details in ${file}`
  );
}
