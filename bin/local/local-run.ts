import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { paymentApp } from '../example/payment-app';
import { readFlow, type LocalFlow, type LocalFunction } from './assembly';
import { FraudApiStandIn } from './fraud-api';
import { httpApiRequest } from './lambda-events';
import { invokeBundle, type InvocationOutcome } from './lambda-process';
import { LocalAws } from './local-aws';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver';
import { groupTraces, renderTree, treeRows, type TraceGroup, type TreeRow } from './trace-tree';
import { layoutWaterfall, renderWaterfall, type WaterfallLayout } from './waterfall';

/** The repository root (this file is bin/local/local-run.ts). */
const ROOT = join(__dirname, '..', '..');

/** The route the example's flow starts at. */
export const ROUTE = 'POST /payments';

/** The card token the fraud API stand-in fails for (with `fail`). */
const FAILING_CARD = 'tok_fraud_api_down';

/** Options of a local run. */
export interface LocalRunOptions {
  /** The stage of the example to run. @default 'Dev' */
  readonly stage?: string;
  /** Add a payment that fails: the fraud API stand-in answers 503 for it, so authorize answers 502. @default false */
  readonly fail?: boolean;
  /** Where `trace.html` (and, when synthesized here, `cdk.out`) go. @default '<repo>/local-run' */
  readonly outDir?: string;
  /** A cloud assembly of the example already synthesized. @default - synthesized into `<outDir>/cdk.out` */
  readonly assemblyDir?: string;
  /** Progress lines. @default - none */
  readonly progress?: (line: string) => void;
}

/** One payment sent to `POST /payments`. */
export interface PaymentOutcome {
  readonly label: string;
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
  const app = new App({ outdir });
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
  const aws = new LocalAws();
  const fraud = new FraudApiStandIn(FAILING_CARD);
  try {
    await Promise.all([receiver.start(), aws.start(), fraud.start()]);
    const flow = readFlow(assemblyDir, stage, {
      queueUrl: (name) => aws.queueUrl(name),
      // The example's one outside service.
      outsideUrl: (service, url) =>
        service === 'fraud-api' ? fraud.endpoint + new URL(url).pathname : undefined,
    });
    aws.subscribe(...flow.subscriptions);
    const entry = flow.routes.find((r) => r.route === ROUTE)?.fn;
    if (!entry) throw new Error(`stage ${stage} has no route ${ROUTE} in its trace map`);
    const invoke = (fn: LocalFunction, event: unknown): Promise<InvocationOutcome> => {
      progress(`${fn.label}: ${describe(event)}`);
      return invokeBundle(fn.bundle, event, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        // Every AWS service the functions call goes to the local endpoint (it answers SNS, SQS, EventBridge).
        AWS_ENDPOINT_URL: aws.endpoint,
      });
    };

    const payments = [{ label: 'payment 1', cardToken: 'tok_visa', amount: 1250, expectedStatus: 201 }];
    if (options.fail) {
      payments.push({ label: 'payment 2', cardToken: FAILING_CARD, amount: 310, expectedStatus: 502 });
    }
    const paid: PaymentOutcome[] = [];
    for (const payment of payments) {
      // A client without tracing (curl): the trace starts in authorize, which makes the sampling decision.
      const body = JSON.stringify({ amount: payment.amount, currency: 'EUR', cardToken: payment.cardToken });
      const calls = fraud.requests.length;
      const outcome = await invoke(entry, httpApiRequest({ routeKey: ROUTE, body }));
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

    // The functions export as they would to the collector extension: done once written, not
    // answered. Let the receiver read what was sent.
    await receiver.idle(100);
    const spans = [...receiver.spans];
    const groups = groupTraces(spans);
    const labels = new Map(paid.map((p) => [p.traceId ?? '', `${p.label}: ${p.statusCode ?? 'no answer'}`]));
    const rows = treeRows(groups, spans, labels);
    const samplingRatio = entry.bundle.environment.OTEL_TRACES_SAMPLER_ARG ?? '1';
    const keepErrors = entry.bundle.environment.TRACING_KEEP_ERRORS === 'true';
    const result: LocalRunResult = {
      flow,
      samplingRatio,
      keepErrors,
      payments: paid,
      consumers,
      spans,
      groups,
      rows,
      tree: renderTree(rows),
      problems: problemsOf(flow, paid, consumers, spans, keepErrors),
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
    await Promise.all([receiver.stop(), aws.stop(), fraud.stop()]);
  }
}

function describe(event: unknown): string {
  const records = (event as { Records?: { eventSourceARN?: string }[] }).Records;
  if (!records) return ROUTE;
  return `a batch of ${records.length} from ${records[0]?.eventSourceARN?.split(':').pop()}`;
}

/** A payment's answer, and its trace as the fraud API saw it (`00-<trace id>-<span id>-<flags>`). */
function paymentOutcome(
  payment: { label: string; expectedStatus: number },
  outcome: InvocationOutcome,
  traceparent: string | undefined,
): PaymentOutcome {
  const response = outcome.result as { statusCode?: number; body?: string } | undefined;
  const [, traceId, , flags] = traceparent?.split('-') ?? [];
  return {
    label: payment.label,
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
): string[] {
  const problems: string[] = [];
  for (const p of payments) {
    if (p.statusCode !== p.expectedStatus) {
      problems.push(
        `${p.label}: ${ROUTE} answered ${p.statusCode ?? 'nothing'} (expected ${p.expectedStatus}): ${p.body}`,
      );
    }
    const exported = spans.some((s) => s.traceId === p.traceId);
    const mustExport = p.sampled || (keepErrors && p.expectedStatus >= 500);
    if (!p.traceId) problems.push(`${p.label}: the fraud API call carried no traceparent`);
    else if (mustExport && !exported) problems.push(`${p.label}: no span of trace ${p.traceId} arrived`);
    else if (!mustExport && exported)
      problems.push(`${p.label}: trace ${p.traceId} was not sampled, yet spans of it arrived`);
  }
  const published = payments.filter((p) => p.expectedStatus === 201).length;
  for (const c of consumers) {
    if (c.records !== published) {
      problems.push(`${c.fn}: received ${c.records} messages from ${c.queue} (expected ${published})`);
    }
    if (c.failedRecords > 0) problems.push(`${c.fn}: ${c.failedRecords} records failed`);
    for (const error of c.errors) problems.push(`${c.fn}: ${error}`);
  }
  for (const unresolved of flow.unresolved) problems.push(`${unresolved} has no local value`);
  return problems;
}
