import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  AlwaysKeep,
  SamplingMode,
  TracedFunction,
  TracedQueue,
  TracedTopic,
  TraceEdges,
  TracingCost,
  TracingCostReport,
  TracingExporter,
  TracingGateway,
  TracingSettings,
  TracingSettingsProps,
  TracingTraffic,
  TransactionSearch,
} from '../../../lib';
import { fixture } from '../../helpers/stack';

// The estimate on a small app whose map is known:
//
//   POST /orders → Orders ─publish→ Placed ─raw delivery→ Jobs → Worker
//                  Orders ─http→ external:inventory
//
// Spans a request: Orders 3 (invocation, producer span to Placed, client span to inventory),
// Worker 2 (invocation + the record's span, processRecords) = 5. A month is 730 h = 2,628,000 s.
// The span as stored: 1,754 bytes (measured, see prices.ts).

const SPAN_BYTES = 1754;

function newApp(): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'tracing-cost-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
}

/** The small app, its settings on the stack; returns the app. */
function ordersApp(
  settings: TracingSettingsProps,
  options: { gateway?: boolean; ordersSamplingRatio?: number } = {},
): App {
  const app = newApp();
  const stack = new Stack(app, 'Shop');
  if (options.gateway) {
    const gateway = new TracingGateway(stack, 'Gateway', {
      exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.enable() }),
      vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }),
    });
    TracingSettings.set(stack, { ...settings, exporter: TracingExporter.gateway(gateway) });
  } else {
    TracingSettings.set(stack, settings);
  }
  const fn = (id: string, samplingRatio?: number) =>
    new TracedFunction(stack, id, {
      entry: fixture('hello.ts'),
      timeout: Duration.seconds(10),
      samplingRatio,
    });
  const orders = fn('Orders', options.ordersSamplingRatio);
  TraceEdges.of(stack).declareHttpCall(orders, {
    name: 'inventory',
    url: 'https://inventory.example.com/v1',
  });
  new apigwv2.HttpApi(stack, 'Api').addRoutes({
    path: '/orders',
    methods: [apigwv2.HttpMethod.POST],
    integration: new HttpLambdaIntegration('Orders', orders),
  });
  const topic = new TracedTopic(stack, 'Placed');
  topic.grantPublish(orders);
  const queue = new TracedQueue(stack, 'Jobs');
  topic.addQueueSubscription(queue);
  queue.addConsumer(fn('Worker'));
  return app;
}

const xray = (indexingPercentage = 1, spansRetention = logs.RetentionDays.ONE_MONTH) =>
  TracingExporter.xray({
    transactionSearch: TransactionSearch.enable({ indexingPercentage, spansRetention }),
  });

/** Synthesizes the app, returns the file and the lines printed. */
function synth(app: App): { report: TracingCostReport; lines: string[] } {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk).trimEnd());
    return true;
  });
  try {
    const outdir = app.synth().directory;
    const file = path.join(outdir, 'tracing-cost.json');
    return { report: JSON.parse(fs.readFileSync(file, 'utf8')) as TracingCostReport, lines };
  } finally {
    spy.mockRestore();
  }
}

describe('tracing-cost.json', () => {
  test('X-Ray at 10 req/s, everything sampled: the numbers by hand', () => {
    const { report, lines } = synth(
      ordersApp({ exporter: xray(), traffic: TracingTraffic.perEntry({ 'POST /orders': 10 }) }),
    );
    expect(report.entries).toHaveLength(1);
    const e = report.entries[0];
    expect(e.entry).toBe('POST /orders');
    expect(e.function).toBe('Shop/Orders');
    expect(e.spansPerRequest).toBe(5);
    expect(e.spans).toEqual([
      'Orders: 3 (invocation span, producer span to Placed, client span to inventory)',
      'Worker: 2 (invocation + record span)',
    ]);
    expect(e.bytesPerRequest).toBe(5 * SPAN_BYTES); // 8,770
    // ratio 1, keep errors: everything kept.
    expect(e.keptFraction).toBe(1);
    // 10 req/s × 2,628,000 s = 26,280,000 requests; × 5 spans = 131,400,000 spans.
    expect(e.monthly.requests).toBe(26_280_000);
    expect(e.monthly.spansKept).toBe(131_400_000);
    // × 1,754 bytes = 230.4756 GB; ingestion at $0.50 = $115.24.
    expect(e.monthly.gbIngested).toBeCloseTo(230.476, 3);
    expect(e.costUsd.ingestion).toBeCloseTo(115.24, 2);
    // Indexing 1%: free.
    expect(e.costUsd.indexing).toBe(0);
    // One month retention (30 days = 30 / 30.4167 months) × 230.4756 GB × $0.03 = $6.82.
    expect(e.costUsd.logs).toBeCloseTo(6.82, 2);
    expect(e.costUsd.total).toBeCloseTo(122.06, 2);
    expect(report.totalUsd.total).toBeCloseTo(122.06, 2);
    expect(lines).toEqual([
      'tracing cost: POST /orders at 10 req/s ≈ $122.06/month (ingestion $115.24, indexing $0.00, logs $6.82, ' +
        'gateway $0.00); details in tracing-cost.json',
    ]);
  });

  test('the file has its version, prices with dates and sources, the assumptions', () => {
    const { report } = synth(ordersApp({ exporter: xray(), traffic: TracingTraffic.requestsPerSecond(1) }));
    expect(report).toMatchObject({ version: 1, currency: 'USD', region: 'us-east-1', hoursPerMonth: 730 });
    expect(report.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(report.prices.map((p) => p.id)).toEqual(
      expect.arrayContaining([
        'spansIngestedPerGb',
        'indexedSpansPerMillion',
        'logsIngestedPerGb',
        'logsStoredPerGbMonth',
      ]),
    );
    for (const price of report.prices) {
      expect(price.asOf).toBe(report.pricesAsOf);
      expect(price.sources.length).toBeGreaterThan(0);
      expect(price.usd).toBeGreaterThan(0);
    }
    expect(report.measured.spanJsonBytes).toBe(SPAN_BYTES);
    expect(report.assumptions.length).toBeGreaterThan(3);
    expect(report.gateways).toEqual([]);
    expect(report.unmatched).toEqual([]);
    expect(Object.keys(report.entries[0]).sort()).toEqual(
      [
        'bytesPerRequest',
        'costUsd',
        'entry',
        'exportedFraction',
        'exporter',
        'function',
        'indexingPercentage',
        'keptFraction',
        'monthly',
        'requestsPerSecond',
        'retentionDays',
        'sampling',
        'spans',
        'spansPerRequest',
        'trafficFrom',
      ].sort(),
    );
  });

  test('a sampling ratio scales what is kept: 0.1 with 1% errors keeps 0.109', () => {
    const all = synth(ordersApp({ exporter: xray(), traffic: TracingTraffic.requestsPerSecond(10) })).report
      .entries[0];
    const some = synth(
      ordersApp({ exporter: xray(), samplingRatio: 0.1, traffic: TracingTraffic.requestsPerSecond(10) }),
    ).report.entries[0];
    // 0.1 + 0.9 × 0.01 = 0.109 of the requests.
    expect(some.keptFraction).toBeCloseTo(0.109, 6);
    expect(some.monthly.spansKept).toBe(Math.round(131_400_000 * 0.109));
    expect(some.costUsd.ingestion / all.costUsd.ingestion).toBeCloseTo(0.109, 2);
    // Without keepErrors the failures are not added: exactly 0.1.
    const noErrors = synth(
      ordersApp({
        exporter: xray(),
        samplingRatio: 0.1,
        keepErrors: false,
        traffic: TracingTraffic.requestsPerSecond(10),
      }),
    ).report.entries[0];
    expect(noErrors.keptFraction).toBe(0.1);
    // The error rate is the traffic's to say.
    const failing = synth(
      ordersApp({
        exporter: xray(),
        samplingRatio: 0.1,
        traffic: TracingTraffic.requestsPerSecond(10, { errorRate: 0.5 }),
      }),
    ).report.entries[0];
    expect(failing.keptFraction).toBeCloseTo(0.55, 6);
  });

  test("the entry function's own samplingRatio wins over the settings", () => {
    const { report } = synth(
      ordersApp(
        {
          exporter: xray(),
          samplingRatio: 0.5,
          keepErrors: false,
          traffic: TracingTraffic.requestsPerSecond(10),
        },
        { ordersSamplingRatio: 0.2 },
      ),
    );
    expect(report.entries[0].sampling).toMatchObject({ mode: 'head', ratio: 0.2, keepErrors: false });
    expect(report.entries[0].keptFraction).toBe(0.2);
  });

  test('an always-keep route keeps every request whatever the ratio', () => {
    const { report } = synth(
      ordersApp({
        exporter: xray(),
        samplingRatio: 0.01,
        alwaysKeep: [AlwaysKeep.route('POST /orders')],
        traffic: TracingTraffic.requestsPerSecond(10),
      }),
    );
    expect(report.entries[0].keptFraction).toBe(1);
    expect(report.entries[0].sampling.alwaysKept).toBe(true);
  });

  test('retention scales storage: a year costs 12 times a month; ingestion does not change', () => {
    const month = synth(ordersApp({ exporter: xray(), traffic: TracingTraffic.requestsPerSecond(10) })).report
      .entries[0];
    const year = synth(
      ordersApp({
        exporter: xray(1, logs.RetentionDays.ONE_YEAR),
        traffic: TracingTraffic.requestsPerSecond(10),
      }),
    ).report.entries[0];
    // 365 days against 30 days.
    expect(year.monthly.gbStored / month.monthly.gbStored).toBeCloseTo(365 / 30, 3);
    expect(year.costUsd.logs / month.costUsd.logs).toBeCloseTo(365 / 30, 1);
    expect(year.costUsd.ingestion).toBe(month.costUsd.ingestion);
    // Never expiring: counted for 12 months.
    const forever = synth(
      ordersApp({
        exporter: xray(1, logs.RetentionDays.INFINITE),
        traffic: TracingTraffic.requestsPerSecond(10),
      }),
    ).report.entries[0];
    expect(forever.retentionDays).toBeUndefined();
    expect(forever.monthly.gbStored).toBeCloseTo(forever.monthly.gbIngested * 12, 1);
  });

  test('indexing above the free 1% costs $5 per million spans', () => {
    const { report } = synth(
      ordersApp({ exporter: xray(11), traffic: TracingTraffic.requestsPerSecond(10) }),
    );
    // 10% above the free 1% of 131,400,000 spans = 13,140,000 × $5 / 1,000,000 = $65.70.
    expect(report.entries[0].costUsd.indexing).toBeCloseTo(65.7, 2);
  });

  test('the debug exporter: one log line per export into the function log group, by its retention', () => {
    const { report } = synth(
      ordersApp({
        logRetention: logs.RetentionDays.TWO_WEEKS,
        traffic: TracingTraffic.requestsPerSecond(10),
      }),
    );
    const e = report.entries[0];
    expect(e.exporter).toBe('debug');
    // 26,280,000 requests × 2 invocations × 150 bytes = 7.884 GB; × $0.50 = $3.942;
    // stored 14 / 30.4167 months × 7.884 GB × $0.03 = $0.1089; $4.05 in all, all logs.
    expect(e.monthly.gbIngested).toBeCloseTo(7.884, 3);
    expect(e.costUsd.ingestion).toBe(0);
    expect(e.costUsd.logs).toBeCloseTo(4.05, 2);
  });

  test('tail sampling adds the gateway, sized as BENCHMARKS.md sizes it', () => {
    const { report, lines } = synth(
      ordersApp(
        {
          samplingMode: SamplingMode.TAIL,
          samplingRatio: 0.01,
          traffic: TracingTraffic.requestsPerSecond(100),
        },
        { gateway: true },
      ),
    );
    const e = report.entries[0];
    expect(e.exporter).toBe('gateway');
    // The functions send every trace (head ratio 1); the gateway keeps errors and 1% of the rest:
    // 0.01 + 0.99 × 0.01 = 0.0199.
    expect(e.exportedFraction).toBe(1);
    expect(e.keptFraction).toBeCloseTo(0.0199, 6);
    expect(report.gateways).toHaveLength(1);
    const g = report.gateways[0];
    // 100 req/s × 5 spans = 500 spans/s; 2 invocations = 200 exports/s; IAM access (HTTP API).
    expect(g).toMatchObject({
      path: 'Shop/Gateway',
      access: 'iam',
      spansPerSecond: 500,
      exportsPerSecond: 200,
    });
    // Two tasks a tier (the floor): 4 × (0.04048 + 2 × 0.004445) × 730 = $144.16.
    expect(g.loadBalancingTasks).toBe(2);
    expect(g.samplingTasks).toBe(2);
    expect(g.costUsd.fargate).toBeCloseTo(144.16, 2);
    // NLB: 730 × (0.0225 + 0.006 × 1 NLCU) = $20.81 (0.31 GB an hour, below one NLCU).
    expect(g.costUsd.loadBalancer).toBeCloseTo(20.81, 2);
    // HTTP API: 200 × 2,628,000 / 1e6 × $1 = $525.60.
    expect(g.costUsd.httpApi).toBeCloseTo(525.6, 2);
    // Across zones: 500 × 45.3 B × 0.67 × 2,628,000 s = 39.88 GB × $0.02 = $0.80.
    expect(g.costUsd.crossZone).toBeCloseTo(0.8, 2);
    expect(report.totalUsd.gateway).toBeCloseTo(g.costUsd.total, 2);
    expect(report.totalUsd.total).toBeCloseTo(report.totalUsd.gateway + e.costUsd.total, 1);
    // $144.16 + $20.81 + $525.60 + $0.80, summed before rounding: $691.36.
    expect(lines[0]).toMatch(/gateway \$691\.36\)/);
  });

  test('without a traffic figure: no file, no line, no error', () => {
    const app = ordersApp({ exporter: xray() });
    const { lines, outdir } = (() => {
      const printed: string[] = [];
      const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk));
        return true;
      });
      try {
        return { lines: printed, outdir: app.synth().directory };
      } finally {
        spy.mockRestore();
      }
    })();
    expect(fs.existsSync(path.join(outdir, 'tracing-cost.json'))).toBe(false);
    expect(lines.filter((l) => l.includes('tracing cost'))).toEqual([]);
    // The estimate can still be asked for: no entry has traffic.
    expect(TracingCost.estimate(app).entries).toEqual([]);
  });

  test('a traffic key that matches no entry is reported, not an error', () => {
    const { report, lines } = synth(
      ordersApp({
        exporter: xray(),
        traffic: TracingTraffic.perEntry({ 'POST /orders': 1, 'GET /nothing': 5 }),
      }),
    );
    expect(report.unmatched).toEqual(["'GET /nothing' under Shop"]);
    expect(lines[0]).toContain("(traffic for 'GET /nothing' under Shop matched no entry)");
  });

  test('traffic by entry function path, and the nearest scope wins', () => {
    const app = newApp();
    TracingSettings.set(app, { traffic: TracingTraffic.requestsPerSecond(1000) });
    const stack = new Stack(app, 'Jobs');
    TracingSettings.set(stack, { exporter: xray(), traffic: TracingTraffic.perEntry({ 'Jobs/Nightly': 2 }) });
    new TracedFunction(stack, 'Nightly', { entry: fixture('hello.ts') });
    const { report } = synth(app);
    expect(
      report.entries.map((e) => [e.entry, e.requestsPerSecond, e.trafficFrom, e.spansPerRequest]),
    ).toEqual([['Jobs/Nightly', 2, 'Jobs', 1]]);
  });
});
