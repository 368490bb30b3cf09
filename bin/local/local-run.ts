import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { entryEvent, newTraceContext, type CheckTraceContext } from '../../layer/check';
import { paymentApp } from '../example/payment-app';
import { CANARY_PAYMENT, DRILL_PAYMENT, TEST_CURRENCY } from '../example/handlers/payment';
import { CONFIG_ENV as GATEWAY_CONFIG_ENV } from '../../lib/gateway/private/constants';
import {
  deployedCollectors,
  deployedGateway,
  readFlow,
  type LocalFlow,
  type LocalFunction,
} from './assembly';
import {
  collectorPorts,
  CollectorProcess,
  startOnFreePorts,
  deprecationWarnings,
  hasCollector,
  localCollectorConfig,
} from './collector';
import { FraudApiStandIn } from './fraud-api';
import { GATEWAY_COLLECTOR, LocalGateway } from './gateway';
import { httpApiRequest, REGION } from './lambda-events';
import { invokeBundle, type InvocationOutcome } from './lambda-process';
import { LocalAppConfig } from './local-appconfig';
import { LocalAws } from './local-aws';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver';
import { groupTraces, renderTree, treeRows, type TraceGroup, type TreeRow } from './trace-tree';
import { layoutWaterfall, renderWaterfall, type WaterfallLayout } from './waterfall';

/** The repository root (this file is bin/local/local-run.ts). */
const ROOT = join(__dirname, '..', '..');

/** The route the example's flow starts at. */
export const ROUTE = 'POST /payments';

/** How long the local gateway waits for a trace's spans before it decides (the deployed one: 30 s). */
const LOCAL_DECISION_WAIT_SECONDS = 2;

/** The function the failure drill fails at (`canary`). */
const DRILLED = 'Reconcile';

/** The card token the fraud API stand-in fails for (with `fail`). */
const FAILING_CARD = 'tok_fraud_api_down';

/** Options of a local run. */
export interface LocalRunOptions {
  /** The stage of the example to run. @default 'Dev' */
  readonly stage?: string;
  /**
   * Add a payment that fails: at `authorize` the fraud API stand-in answers 503 for it, so
   * authorize answers 502; at `reconcile` it is in the test currency `XTS`, which authorize
   * accepts and reconcile rejects.
   *
   * @default - no payment fails
   */
  readonly failAt?: 'authorize' | 'reconcile';
  /** `failAt: 'authorize'` (kept for callers of the first version). @default false */
  readonly fail?: boolean;
  /**
   * Also send what the example's canary sends: its payment, started as the trace check starts a
   * trace (sampled, with the always-keep `tracestate` entry), and the failure drill's payment
   * (test currency, which reconcile rejects), sent as a request the head sampler did not pick.
   *
   * @default false
   */
  readonly canary?: boolean;
  /** Where `trace.html` (and, when synthesized here, `cdk.out`) go. @default '<repo>/local-run' */
  readonly outDir?: string;
  /** A cloud assembly of the example already synthesized. @default - synthesized into `<outDir>/cdk.out` */
  readonly assemblyDir?: string;
  /** Progress lines. @default - none */
  readonly progress?: (line: string) => void;
  /**
   * Run each function's collector (`otelcol-lambda`) with the configuration its layer holds, and
   * let the function export to it, as in Lambda.
   *
   * @default - when `npm run collector:build` built it on this machine
   */
  readonly collector?: boolean;
}

/** One function's collector in a local run. */
export interface LocalCollector {
  /** The function's label. */
  readonly fn: string;
  /** What the built collector lacks and the local configuration leaves out (`decouple`). */
  readonly removed: readonly string[];
  /** From start to "Everything is ready", in milliseconds. */
  readonly startupMs: number;
  /** Peak resident memory of the collector process, in kilobytes. */
  readonly peakRssKb?: number;
  /** The collector's warnings about deprecated component names (none expected). */
  readonly deprecations: readonly string[];
  /** Its log. */
  readonly log: string;
}

/** One payment sent to `POST /payments`. */
export interface PaymentOutcome {
  readonly label: string;
  /** The consumer that rejects it, when it is built to fail there. */
  readonly failsIn?: string;
  /** Sent as the canary's check (`check`) or its failure drill (`drill`); absent: as a client without tracing. */
  readonly sentAs?: 'check' | 'drill';
  readonly expectedStatus: number;
  readonly statusCode?: number;
  readonly body?: string;
  /** The `traceparent` authorize sent to the fraud API: the trace id and authorize's sampling decision. */
  readonly traceparent?: string;
  readonly traceId?: string;
  readonly sampled?: boolean;
}

/** One consumer's share of the run. */
export interface ConsumerOutcome {
  readonly queue: string;
  readonly fn: string;
  readonly batches: number;
  readonly records: number;
  readonly failedRecords: number;
  readonly errors: string[];
}

/** What a local run did and what arrived. */
export interface LocalRunResult {
  readonly flow: LocalFlow;
  readonly samplingRatio: string;
  readonly keepErrors: boolean;
  readonly payments: PaymentOutcome[];
  readonly consumers: ConsumerOutcome[];
  readonly spans: ReceivedSpan[];
  /** The functions' collectors, when they ran (`collector`). */
  readonly collectors?: LocalCollector[];
  /** The local gateway, when the stage samples at the tail. */
  readonly gateway?: {
    readonly path: string;
    readonly percentage: number;
    readonly loadBalancers: number;
    readonly samplers: number;
  };
  /**
   * Adaptive sampling, when the stage has an `AdaptiveSampling`: the functions that read the boost
   * (from a local AppConfig stand-in serving `{}`, no boost) and how many reads it answered.
   */
  readonly adaptive?: { readonly functions: string[]; readonly reads: number };
  /** The `user-agent` of each export request the receiver got: who sent the spans. */
  readonly exportedBy: string[];
  readonly groups: TraceGroup[];
  readonly rows: TreeRow[];
  readonly tree: string;
  /** The waterfall, when a span arrived. */
  readonly layout?: WaterfallLayout;
  readonly htmlFile?: string;
  /** What did not go as the flow should: empty when it ran. */
  readonly problems: string[];
}

/** Synthesizes the example app (both stages) into `outdir`, afresh; returns it. */
export function synthExample(outdir: string): string {
  rmSync(outdir, { recursive: true, force: true });
  // Path metadata, as `cdk synth` writes it: resources name their construct path.
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  paymentApp(app);
  app.synth();
  return outdir;
}

/**
 * Runs the example's payment flow on this machine: the real bundles, each invocation a fresh
 * Node.js process; a local fraud API, a local SNS/SQS endpoint that delivers as AWS does, and an
 * OTLP receiver the functions export to. Returns the spans as trees and writes the waterfall.
 */
export async function runLocal(options: LocalRunOptions = {}): Promise<LocalRunResult> {
  const stage = options.stage ?? 'Dev';
  const outDir = options.outDir ?? join(ROOT, 'local-run');
  const progress = options.progress ?? (() => undefined);
  mkdirSync(outDir, { recursive: true });
  let assemblyDir = options.assemblyDir;
  if (!assemblyDir) {
    progress(
      `synthesizing the example (Prod and Dev) into ${relative(process.cwd(), join(outDir, 'cdk.out'))}`,
    );
    assemblyDir = synthExample(join(outDir, 'cdk.out'));
  }

  const receiver = new OtlpReceiver();
  const collectors = new Map<LocalFunction, RunningCollector>();
  const aws = new LocalAws();
  const fraud = new FraudApiStandIn(FAILING_CARD);
  // The AppConfig Agent extension's endpoint for the functions that read an adaptive sampling
  // boost: `{}` deployed, as the stack deploys it (no boost).
  const appConfig = new LocalAppConfig();
  const adaptiveFunctions = new Set<string>();
  let localGateway: LocalGateway | undefined;
  try {
    await Promise.all([receiver.start(), aws.start(), fraud.start(), appConfig.start()]);
    appConfig.deploy('local', stage, 'boost', '{}');
    const flow = readFlow(assemblyDir, stage, {
      queueUrl: (name) => aws.queueUrl(name),
      // The example's one outside service.
      outsideUrl: (service, url) =>
        service === 'fraud-api' ? fraud.endpoint + new URL(url).pathname : undefined,
      adaptiveConfigUrl: (label) => {
        adaptiveFunctions.add(label);
        return appConfig.extensionUrl('local', stage, 'boost');
      },
    });
    aws.subscribe(...flow.subscriptions);
    const entry = flow.routes.find((r) => r.route === ROUTE)?.fn;
    if (!entry) throw new Error(`stage ${stage} has no route ${ROUTE} in its trace map`);
    // SamplingMode.TAIL (the runtime samples by trace id alone): the stage's gateway decides per
    // trace; here two load-balancing and two sampling otelcol-gateway processes with its policies.
    const tail = entry.bundle.environment.OTEL_TRACES_SAMPLER === 'traceidratio';
    const gateway = tail ? deployedGateway(assemblyDir, stage, GATEWAY_CONFIG_ENV) : undefined;
    if (tail && !gateway)
      throw new Error(`stage ${stage} samples at the tail, but its cloud assembly has no TracingGateway`);
    const useCollector = options.collector ?? hasCollector();
    if (gateway && !(useCollector && hasCollector(GATEWAY_COLLECTOR))) {
      throw new Error(
        `stage ${stage} samples at the tail: its run needs otelcol-lambda and otelcol-gateway (npm run collector:build)`,
      );
    }
    if (gateway) {
      localGateway = new LocalGateway({
        exporterEndpoint: receiver.endpoint,
        // The deployed policies; decided 2 s after a trace's first span instead of 30 s.
        sampling: {
          percentage: gateway.percentage,
          ...(gateway.latencyThresholdMs !== undefined
            ? { latencyThresholdMs: gateway.latencyThresholdMs }
            : {}),
          decisionWaitSeconds: LOCAL_DECISION_WAIT_SECONDS,
        },
      });
      await localGateway.start();
      progress(
        `the gateway (${gateway.path}): ${localGateway.endpoints.length} load-balancing and ${localGateway.samplers.length} sampling otelcol-gateway processes, keeping failed and marked traces and ${gateway.percentage}% of the rest`,
      );
    }
    if (options.collector === undefined && !useCollector) {
      progress(
        'otelcol-lambda is not built on this machine (npm run collector:build): the functions export to the receiver directly',
      );
    }
    const functions = [entry, ...flow.consumers.map((c) => c.fn)];
    // With a gateway, the functions' collectors take turns over its load-balancing processes, so
    // the spans of one trace enter it through different ones, as behind the load balancer.
    const endpoints = useCollector
      ? await startCollectors(
          assemblyDir,
          functions,
          localGateway?.endpoints ?? [receiver.endpoint],
          collectors,
          progress,
        )
      : new Map<LocalFunction, string>();
    const invoke = (fn: LocalFunction, event: unknown): Promise<InvocationOutcome> => {
      progress(`${fn.label}: ${describe(event)}`);
      return invokeBundle(fn.bundle, event, {
        // Its collector, as the collector extension on localhost:4318 in Lambda; else the receiver.
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.get(fn) ?? receiver.endpoint,
        // Every AWS service the functions call goes to the local endpoint (it answers SNS, SQS, EventBridge).
        AWS_ENDPOINT_URL: aws.endpoint,
      });
    };

    const payments: LocalPayment[] = [
      {
        label: 'payment 1',
        payment: { amount: 1250, currency: 'EUR', cardToken: 'tok_visa' },
        expectedStatus: 201,
      },
    ];
    const failAt = options.failAt ?? (options.fail ? 'authorize' : undefined);
    if (failAt === 'authorize') {
      payments.push({
        label: 'payment 2',
        payment: { amount: 310, currency: 'EUR', cardToken: FAILING_CARD },
        expectedStatus: 502,
      });
    } else if (failAt === 'reconcile') {
      payments.push({
        label: 'payment 2',
        payment: { amount: 310, currency: TEST_CURRENCY, cardToken: 'tok_visa' },
        expectedStatus: 201,
        failsIn: DRILLED,
      });
    }
    if (options.canary) {
      payments.push(
        { label: 'canary check', payment: CANARY_PAYMENT, expectedStatus: 201, sentAs: 'check' },
        {
          label: 'canary drill',
          payment: DRILL_PAYMENT,
          expectedStatus: 201,
          sentAs: 'drill',
          failsIn: DRILLED,
        },
      );
    }
    const paid: PaymentOutcome[] = [];
    for (const payment of payments) {
      const calls = fraud.requests.length;
      const outcome = await invoke(entry, paymentEvent(payment, entry));
      paid.push(paymentOutcome(payment, outcome, fraud.requests[calls]?.traceparent));
    }

    // Each consumer receives what its queue got, in batches of its event source mapping's size.
    const consumers: ConsumerOutcome[] = [];
    for (const { queue, fn, batchSize } of flow.consumers) {
      const outcome = {
        queue: queue.label,
        fn: fn.label,
        batches: 0,
        records: 0,
        failedRecords: 0,
        errors: [] as string[],
      };
      for (let event = aws.receive(queue.arn, batchSize); event; event = aws.receive(queue.arn, batchSize)) {
        const { result, error } = await invoke(fn, event);
        outcome.batches += 1;
        outcome.records += event.Records.length;
        outcome.failedRecords +=
          (result as { batchItemFailures?: unknown[] } | null)?.batchItemFailures?.length ?? 0;
        if (error) outcome.errors.push(`${error.errorType}: ${error.errorMessage}`);
      }
      consumers.push(outcome);
    }

    const adaptive =
      adaptiveFunctions.size > 0
        ? { functions: [...adaptiveFunctions], reads: appConfig.reads.length }
        : undefined;
    if (adaptive) {
      progress(
        `adaptive sampling: ${adaptive.functions.join(', ')} read the boost from the AppConfig stand-in ${adaptive.reads} time(s) ({}: no boost, the stage's own sampling)`,
      );
    }

    // The functions export as they would to the collector extension: done once written, not
    // answered. Each collector exports its batch on its own timer (200 ms): let it, so the spans do
    // not depend on the flush at shut-down; stopped, each exports what it still holds.
    if (useCollector && !localGateway) await receiver.idle(400);
    const collected = await stopCollectors(collectors);
    if (localGateway) {
      // The load balancers forward what they hold; each sampling process decides what it holds
      // when it stops (and would have after its decision wait).
      await new Promise((resolveWait) => setTimeout(resolveWait, LOCAL_DECISION_WAIT_SECONDS * 1000 + 500));
      await localGateway.stop();
    }
    await receiver.idle(100);
    const spans = [...receiver.spans];
    const groups = groupTraces(spans);
    const labels = new Map(paid.map((p) => [p.traceId ?? '', `${p.label}: ${p.statusCode ?? 'no answer'}`]));
    const rows = treeRows(groups, spans, labels);
    const keepErrors = entry.bundle.environment.TRACING_KEEP_ERRORS === 'true';
    // SamplingMode.TAIL: the functions send every trace; the gateway keeps its percentage of the rest.
    const samplingRatio = gateway
      ? String(gateway.percentage / 100)
      : (entry.bundle.environment.OTEL_TRACES_SAMPLER_ARG ?? '1');
    const result: LocalRunResult = {
      flow,
      samplingRatio,
      keepErrors,
      payments: paid,
      consumers,
      spans,
      ...(useCollector ? { collectors: collected } : {}),
      ...(gateway && localGateway
        ? {
            gateway: {
              path: gateway.path,
              percentage: gateway.percentage,
              loadBalancers: localGateway.loadBalancers.length,
              samplers: localGateway.samplers.length,
            },
          }
        : {}),
      ...(adaptive ? { adaptive } : {}),
      exportedBy: receiver.requests.map((r) => String(r.headers['user-agent'] ?? '')),
      groups,
      rows,
      tree: renderTree(rows),
      problems: [
        ...problemsOf(flow, paid, consumers, spans, keepErrors, tail),
        ...collectorProblems(collected),
        // Each function of an AdaptiveSampling flow reads the boost from its first init on.
        ...(adaptive && adaptive.reads < adaptive.functions.length
          ? [
              `adaptive sampling: ${adaptive.reads} read(s) of the boost from ${adaptive.functions.join(', ')} (expected one at each init)`,
            ]
          : []),
      ],
    };
    const htmlFile = join(outDir, 'trace.html');
    if (spans.length === 0) {
      rmSync(htmlFile, { force: true }); // not an earlier run's
      return result;
    }

    const layout = layoutWaterfall(rows);
    const traces = `${groups.length} trace${groups.length === 1 ? '' : 's'}`;
    const subtitle =
      `local run of ${new Date().toISOString()}, sampling ratio ${samplingRatio}, keep errors ${keepErrors ? 'on' : 'off'}; ` +
      `${spans.length} spans from ${layout.services.length} services`;
    writeFileSync(
      htmlFile,
      renderWaterfall(rows, layout, `Payment flow, stage ${stage}: ${traces}`, subtitle),
    );
    return { ...result, layout, htmlFile };
  } finally {
    await Promise.all([...collectors.values()].map((c) => c.process.stop()));
    await localGateway?.stop();
    await Promise.all([receiver.stop(), aws.stop(), fraud.stop(), appConfig.stop()]);
  }
}

/** A function's collector while the run goes on. */
interface RunningCollector {
  readonly process: CollectorProcess;
  readonly removed: readonly string[];
}

/**
 * Starts one collector per function with the configuration of its configuration layer, its
 * receiver on a free port of 127.0.0.1 and its exporter pointed at the local receiver (OTLP/JSON);
 * returns the endpoint each function exports to.
 */
async function startCollectors(
  assemblyDir: string,
  functions: readonly LocalFunction[],
  exporterEndpoints: readonly string[],
  started: Map<LocalFunction, RunningCollector>,
  progress: (line: string) => void,
): Promise<Map<LocalFunction, string>> {
  const deployed = new Map(deployedCollectors(assemblyDir).map((c) => [c.path, c]));
  const endpoints = new Map<LocalFunction, string>();
  for (const [index, fn] of [...new Set(functions)].entries()) {
    const config = deployed.get(fn.id);
    if (!config) throw new Error(`${fn.id} runs no collector in the cloud assembly`);
    let removed: readonly string[] = [];
    const { process: collector, ports } = await startOnFreePorts(collectorPorts, (chosen) => {
      const local = localCollectorConfig(config.yaml, {
        ...chosen,
        exporterEndpoint: exporterEndpoints[index % exporterEndpoints.length],
        jsonEncoding: true,
      });
      removed = local.removed;
      const made = new CollectorProcess(local.yaml, {
        PATH: process.env.PATH,
        ...fn.bundle.environment,
        AWS_REGION: REGION,
        // The X-Ray exporter signs with SigV4: credentials of the local run, never real ones.
        AWS_ACCESS_KEY_ID: 'AKIDLOCALRUN',
        AWS_SECRET_ACCESS_KEY: 'local-run-secret-access-key',
      });
      // Stopped with the others if the run fails from here on.
      started.set(fn, { process: made, removed: local.removed });
      return made;
    });
    const httpPort = ports.httpPort;
    progress(
      `${fn.label}: otelcol-lambda ready in ${collector.startupMs!.toFixed(0)} ms on 127.0.0.1:${httpPort}` +
        (removed.length > 0 ? ` (without ${removed.join(', ')})` : ''),
    );
    endpoints.set(fn, `http://127.0.0.1:${httpPort}`);
  }
  return endpoints;
}

/** Stops the collectors (each exports what it holds) and says how each ran. */
async function stopCollectors(collectors: Map<LocalFunction, RunningCollector>): Promise<LocalCollector[]> {
  const outcomes: LocalCollector[] = [];
  for (const [fn, { process: collector, removed }] of collectors) {
    const peakRssKb = collector.peakRssKb();
    await collector.stop();
    outcomes.push({
      fn: fn.label,
      removed,
      startupMs: collector.startupMs ?? NaN,
      peakRssKb,
      deprecations: deprecationWarnings(collector.log),
      log: collector.log,
    });
  }
  collectors.clear();
  return outcomes;
}

/** What the collectors did that they should not: warn about deprecated names, fail to export. */
function collectorProblems(collectors: readonly LocalCollector[]): string[] {
  return collectors.flatMap((c) => [
    ...c.deprecations.map((line) => `${c.fn}'s collector: ${line}`),
    ...c.log
      .split('\n')
      .filter((line) => /\terror\t/.test(line))
      .map((line) => `${c.fn}'s collector: ${line}`),
  ]);
}

/** The service name a function's spans carry. */
function serviceOf(fn: LocalFunction): string {
  return fn.bundle.environment.OTEL_SERVICE_NAME ?? fn.label;
}

/** A payment the local run sends. */
interface LocalPayment {
  readonly label: string;
  readonly payment: { readonly amount: number; readonly currency: string; readonly cardToken: string };
  readonly expectedStatus: number;
  readonly sentAs?: 'check' | 'drill';
  /** The consumer that rejects it (its record fails there). */
  readonly failsIn?: string;
}

/**
 * The event of a payment: as a client without tracing sends it (curl: the trace starts in
 * authorize, which makes the sampling decision), or, for the canary's, the event the trace check
 * builds, with the context it starts (kept for the check, unsampled for the drill).
 */
function paymentEvent(payment: LocalPayment, entry: LocalFunction): unknown {
  const body = JSON.stringify(payment.payment);
  if (!payment.sentAs) return httpApiRequest({ routeKey: ROUTE, body });
  const context: CheckTraceContext = newTraceContext(
    Date.now(),
    undefined,
    payment.sentAs === 'drill' ? 'drill' : 'kept',
  );
  return entryEvent({
    entry: { node: entry.id, label: entry.label, route: ROUTE, api: 'http-api' },
    traceparent: context.traceparent,
    tracestate: context.tracestate,
    body: payment.payment,
    nowMs: Date.now(),
    requestId: `${payment.sentAs === 'drill' ? 'trace-check-drill' : 'trace-check'}-${context.traceId}`,
  });
}

function describe(event: unknown): string {
  const records = (event as { Records?: { eventSourceARN?: string }[] }).Records;
  if (!records) return ROUTE;
  return `a batch of ${records.length} from ${records[0]?.eventSourceARN?.split(':').pop()}`;
}

/** A payment's answer, and its trace as the fraud API saw it (`00-<trace id>-<span id>-<flags>`). */
function paymentOutcome(
  payment: LocalPayment,
  outcome: InvocationOutcome,
  traceparent: string | undefined,
): PaymentOutcome {
  const response = outcome.result as { statusCode?: number; body?: string } | undefined;
  const [, traceId, , flags] = traceparent?.split('-') ?? [];
  return {
    label: payment.label,
    ...(payment.sentAs ? { sentAs: payment.sentAs } : {}),
    ...(payment.failsIn ? { failsIn: payment.failsIn } : {}),
    expectedStatus: payment.expectedStatus,
    statusCode: response?.statusCode,
    body: outcome.error ? `${outcome.error.errorType}: ${outcome.error.errorMessage}` : response?.body,
    traceparent,
    traceId,
    sampled: flags === undefined ? undefined : (parseInt(flags, 16) & 1) === 1,
  };
}

/** What did not go as the flow should. */
function problemsOf(
  flow: LocalFlow,
  payments: readonly PaymentOutcome[],
  consumers: readonly ConsumerOutcome[],
  spans: readonly ReceivedSpan[],
  keepErrors: boolean,
  tail: boolean,
): string[] {
  const problems: string[] = [];
  for (const p of payments) {
    if (p.statusCode !== p.expectedStatus) {
      problems.push(
        `${p.label}: ${ROUTE} answered ${p.statusCode ?? 'nothing'} (expected ${p.expectedStatus}): ${p.body}`,
      );
    }
    const exported = spans.some((s) => s.traceId === p.traceId);
    const failed = p.expectedStatus >= 500 || p.failsIn !== undefined;
    const mustExport = p.sampled || (keepErrors && p.expectedStatus >= 500);
    const services = new Set(
      spans.filter((s) => s.traceId === p.traceId).map((s) => s.resource['service.name']),
    );
    if (!p.traceId) problems.push(`${p.label}: the fraud API call carried no traceparent`);
    else if (tail) {
      // The gateway sees whole traces: a failed or checked one arrives whole (every function it
      // reached), any other whole or not at all.
      const reached = [
        flow.routes.find((r) => r.route === ROUTE)!.fn,
        ...(p.expectedStatus === 201 ? flow.consumers.map((c) => c.fn) : []),
      ];
      const missing = reached.map(serviceOf).filter((service) => !services.has(service));
      if ((failed || p.sentAs === 'check') && !exported) {
        problems.push(
          `${p.label}: trace ${p.traceId} failed or was checked, yet the gateway did not keep it`,
        );
      } else if (exported && missing.length > 0) {
        problems.push(`${p.label}: trace ${p.traceId} arrived without the spans of ${missing.join(', ')}`);
      }
    } else if (p.failsIn !== undefined && !p.sampled) {
      // Not sampled at the head: what is kept is the failure in the consumer (keep errors), or nothing.
      const consumer = flow.consumers.find((c) => c.fn.label === p.failsIn)?.fn;
      const kept = spans.some(
        (s) =>
          s.traceId === p.traceId &&
          s.status.code === 2 &&
          consumer !== undefined &&
          s.resource['service.name'] === serviceOf(consumer),
      );
      if (keepErrors && !kept)
        problems.push(`${p.label}: ${p.failsIn}'s failure in trace ${p.traceId} was not kept`);
    } else if (mustExport && !exported) problems.push(`${p.label}: no span of trace ${p.traceId} arrived`);
    else if (!mustExport && exported)
      problems.push(`${p.label}: trace ${p.traceId} was not sampled, yet spans of it arrived`);
  }
  const published = payments.filter((p) => p.expectedStatus === 201).length;
  for (const c of consumers) {
    if (c.records !== published) {
      problems.push(`${c.fn}: received ${c.records} messages from ${c.queue} (expected ${published})`);
    }
    // The payments built to fail in a consumer (the drill's, --fail-at reconcile) fail there; nothing else does.
    const drilled = payments.filter((p) => p.failsIn === c.fn).length;
    if (c.failedRecords !== drilled) {
      problems.push(`${c.fn}: ${c.failedRecords} records failed (expected ${drilled})`);
    }
    for (const error of c.errors) problems.push(`${c.fn}: ${error}`);
  }
  for (const unresolved of flow.unresolved) problems.push(`${unresolved} has no local value`);
  return problems;
}
