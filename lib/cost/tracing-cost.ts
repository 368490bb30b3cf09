import * as fs from 'fs';
import * as path from 'path';
import { attachCustomSynthesis } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { buildTraceMap } from '../trace-map/trace-map';
import { functionSampling } from './private/function-env';
import { readSettings } from './private/settings-reader';
import {
  ASSUMPTIONS,
  estimateEntry,
  estimateGateway,
  EntryBackend,
  mapEntries,
  summaryLine,
  totalOf,
} from './private/model';
import { MEASURED, PRICES, PRICES_AS_OF, PRICES_REGION } from './private/prices';
import {
  TRACING_COST_FILE,
  TracingCostEntry,
  TracingCostGateway,
  TracingCostReport,
} from './tracing-cost-report';

/** The id of the cost estimate's construct on the app root. */
const COST_ID = 'CdkServerlessTracingCost';

/** Lambda's log retention value for "never expire". */
const INFINITE_RETENTION = 9999;

/**
 * The tracing cost estimate of an app: at synth, for the traffic given in `TracingSettings`
 * (`traffic`), it writes `tracing-cost.json` into the cloud assembly directory, next to the trace
 * map, and prints one line (to stderr, which `cdk synth` shows). `TracingSettings.set` with a
 * `traffic` creates it; you need not.
 */
export class TracingCost extends Construct {
  /** The estimate of the app that `scope` belongs to (created on first use, a child of the root). */
  public static of(scope: IConstruct): TracingCost {
    const root = scope.node.root;
    const existing = root.node.tryFindChild(COST_ID);
    if (existing instanceof TracingCost) return existing;
    if (existing) {
      throw new Error(
        `cdk-serverless-tracing: the id '${COST_ID}' on the app root is taken by another construct`,
      );
    }
    return new TracingCost(root as Construct, COST_ID);
  }

  /** The estimate of the whole app, as `tracing-cost.json` holds it (call it once the app is complete). */
  public static estimate(scope: IConstruct): TracingCostReport {
    return estimateApp(scope.node.root);
  }

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    attachCustomSynthesis(this, {
      onSynthesize: (session) => {
        const report = estimateApp(this.node.root);
        fs.mkdirSync(session.outdir, { recursive: true });
        fs.writeFileSync(
          path.join(session.outdir, TRACING_COST_FILE),
          `${JSON.stringify(report, undefined, 2)}\n`,
        );
        process.stderr.write(`${costLine(report)}\n`);
      },
    });
  }
}

/** The line printed at synth. */
export function costLine(report: TracingCostReport): string {
  const unmatched =
    report.unmatched.length > 0 ? ` (traffic for ${report.unmatched.join(', ')} matched no entry)` : '';
  if (report.entries.length === 0) {
    return `tracing cost: no entry has a traffic figure${unmatched}; set TracingSettings traffic (TracingTraffic.perEntry({ 'POST /payments': 50 })) for an estimate`;
  }
  return `${summaryLine(report.entries, report.totalUsd, TRACING_COST_FILE)}${unmatched}`;
}

function estimateApp(root: IConstruct): TracingCostReport {
  const map = buildTraceMap(root);
  const byPath = new Map<string, IConstruct>();
  for (const c of root.node.findAll()) byPath.set(c.node.path, c);

  const entries: (TracingCostEntry & { exportsPerSecond: number; spansToGatewayPerSecond: number })[] = [];
  const used = new Set<string>();
  const gateways = new Map<string, { construct: IConstruct; spans: number; exports: number }>();
  for (const { entry, fn, route } of mapEntries(map)) {
    const construct = byPath.get(fn);
    if (!construct) continue;
    const settings = readSettings(construct);
    const traffic = settings.traffic;
    if (!traffic) continue;
    const key = traffic.value.perEntry[entry] !== undefined ? entry : fn;
    const rate = traffic.value.requestsPerSecond ?? traffic.value.perEntry[key];
    if (rate === undefined) continue;
    used.add(`${traffic.from}\n${key}`);
    const options = settings.options;
    const exporter = options.exporter;
    const backend = backendOf(exporter, options.logRetention);
    const alwaysKept = (options.alwaysKeep ?? []).some(
      (rule) => route !== undefined && rule.kind === 'route' && routeMatches(rule.value, route),
    );
    const own = functionSampling(construct);
    const estimate = estimateEntry(map, {
      entry,
      fn,
      requestsPerSecond: rate,
      trafficFrom: traffic.from,
      // The entry function's own environment first (its props, a policy's settings), then the settings.
      sampling: {
        mode: own.mode ?? options.samplingMode ?? 'head',
        ratio: (own.mode === 'head' ? own.ratio : undefined) ?? options.samplingRatio ?? 1,
        keepErrors: own.keepErrors ?? options.keepErrors ?? true,
        errorRate: traffic.value.errorRate ?? 0.01,
        headSamplingRatio: own.headSamplingRatio ?? options.headSamplingRatio ?? 1,
        alwaysKept,
      },
      backend,
    });
    entries.push(estimate);
    const gateway = exporter?.gateway as unknown as IConstruct | undefined;
    if (backend.exporter === 'gateway' && gateway?.node) {
      const known = gateways.get(gateway.node.path) ?? { construct: gateway, spans: 0, exports: 0 };
      known.spans += estimate.spansToGatewayPerSecond;
      known.exports += estimate.exportsPerSecond;
      gateways.set(gateway.node.path, known);
    }
  }
  const gatewayEstimates: TracingCostGateway[] = [...gateways.entries()].map(([p, g]) => {
    const access =
      (g.construct as unknown as { access?: { kind?: string } }).access?.kind === 'vpc' ? 'vpc' : 'iam';
    return estimateGateway(p, access, g.spans, g.exports);
  });

  const unmatched: string[] = [];
  for (const c of byPath.values()) {
    const own = readSettings(c, true).traffic;
    if (!own || own.from !== (c.node.path || '<app>')) continue;
    for (const key of Object.keys(own.value.perEntry)) {
      if (!used.has(`${own.from}\n${key}`)) unmatched.push(`'${key}' under ${own.from}`);
    }
  }

  const clean: TracingCostEntry[] = entries.map(
    ({ exportsPerSecond: _e, spansToGatewayPerSecond: _s, ...rest }) => rest,
  );
  return {
    version: 1,
    currency: 'USD',
    region: PRICES_REGION,
    pricesAsOf: PRICES_AS_OF,
    hoursPerMonth: 730,
    prices: Object.values(PRICES).map((p) => ({ ...p, sources: [...p.sources] })),
    measured: { ...MEASURED },
    assumptions: [...ASSUMPTIONS],
    entries: clean,
    gateways: gatewayEstimates,
    unmatched,
    totalUsd: totalOf(clean, gatewayEstimates),
  };
}

/** A route rule (`POST /payments`, `/payments` for any method, `ANY /payments`) against a route key. */
function routeMatches(rule: string, route: string): boolean {
  if (rule === route) return true;
  const [method, routePath] = route.includes(' ') ? route.split(' ', 2) : ['', route];
  const [ruleMethod, rulePath] = rule.includes(' ') ? rule.split(' ', 2) : ['ANY', rule];
  return rulePath === routePath && (ruleMethod === 'ANY' || ruleMethod === method);
}

interface ExporterView {
  readonly kind: string;
  readonly verbosity?: string;
  readonly transactionSearch?: { readonly indexingPercentage?: number; readonly spansRetention?: number };
  readonly gateway?: unknown;
}

/** Where an exporter stores the spans, and for how long. */
function backendOf(exporter: ExporterView | undefined, logRetention: number | undefined): EntryBackend {
  const days = (value: number | undefined) =>
    value === undefined || value === INFINITE_RETENTION ? undefined : value;
  const kind = exporter?.kind ?? 'debug';
  if (kind === 'gateway') {
    const gatewayExporter = (exporter?.gateway as { exporter?: ExporterView } | undefined)?.exporter;
    const inner = backendOf(gatewayExporter ?? { kind: 'xray' }, logRetention);
    return { ...inner, exporter: 'gateway' };
  }
  if (kind === 'xray') {
    const ts = exporter?.transactionSearch;
    return {
      exporter: 'xray',
      store: 'xray',
      indexingPercentage: ts?.indexingPercentage ?? 1,
      retentionDays: days(ts?.spansRetention),
    };
  }
  if (kind === 'otlp') return { exporter: 'otlp', store: 'otlp' };
  return {
    exporter: 'debug',
    store: 'debug',
    debugDetailed: exporter?.verbosity === 'detailed' || exporter?.verbosity === 'normal',
    retentionDays: days(logRetention ?? 30),
  };
}
