import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { PNG } from 'pngjs';
import { invokeBundle } from '../../bin/local/lambda-process';
import { sqsEvent, sqsRecord } from '../../bin/local/lambda-events';
import { LocalAws } from '../../bin/local/local-aws';
import { OtlpReceiver, SPAN_KIND, STATUS, type ReceivedSpan } from '../../bin/local/otlp-receiver';
import { runLocal, synthExample, type LocalRunResult } from '../../bin/local/local-run';
import { jsonReport } from '../../bin/local/report';
import { WATERFALL, type WaterfallLayout } from '../../bin/local/waterfall';
import { compareTrace, expectedHops, parseOtlpTrace, parseTraceMap } from '../../layer/check';
import { PARENT_SPAN_ID, TRACE_ID, traceparent } from '../helpers/events';
import { hexColor, screenshotPage } from '../helpers/screenshot';
import { CHROMIUM, OTELCOL_GATEWAY, OTELCOL_LAMBDA, testNeeding } from '../helpers/requirements';

// `npm start` in-process: the example synthesized once, then its flow run locally (each
// invocation its bundle in a fresh Node.js process) against the local stand-ins.

const work = mkdtempSync(join(tmpdir(), 'local-run-'));
let assemblyDir: string;
let dev: LocalRunResult;

beforeAll(() => {
  assemblyDir = synthExample(join(work, 'cdk.out'));
}, 180_000);

beforeAll(async () => {
  dev = await runLocal({ stage: 'Dev', assemblyDir, outDir: join(work, 'dev') });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const byName = (spans: readonly ReceivedSpan[], name: string, batch = false): ReceivedSpan => {
  const found = spans.filter(
    (s) => s.name === name && (s.attributes['messaging.batch.message_count'] !== undefined) === batch,
  );
  if (found.length !== 1) throw new Error(`expected one span ${name}, got ${found.length}`);
  return found[0];
};

test('the flow comes from the trace map and the templates: bundles, environment, subscriptions', () => {
  const { flow } = dev;
  const authorize = flow.routes.find((r) => r.route === 'POST /payments')!.fn;
  // An ES module on nodejs24.x, whose runtime import()s its handler.
  expect(readdirSync(authorize.bundle.codeDir)).toEqual(['index.mjs']);
  expect(authorize.bundle.environment).toMatchObject({
    OTEL_SERVICE_NAME: 'payments-authorize',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '1',
    TRACING_KEEP_ERRORS: 'true',
    // The topic's Ref, resolved to the topic's local ARN; the declared fraud API, to its stand-in.
    PAYMENTS_TOPIC_ARN: flow.topics[0].arn,
    FRAUD_API_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1\/score$/),
    // AdaptiveSampling: the boost from the local AppConfig stand-in, not the extension's path.
    TRACING_ADAPTIVE_CONFIG: expect.stringMatching(
      /^http:\/\/127\.0\.0\.1:\d+\/applications\/local\/environments\/Dev\/configurations\/boost$/,
    ),
  });
  expect(authorize.bundle).toMatchObject({ timeoutSeconds: 10, logFormat: 'JSON' });
  expect(flow.subscriptions.map((s) => [s.topic.label, s.queue.label, s.rawMessageDelivery]).sort()).toEqual([
    ['Payments', 'AuditQueue', false],
    ['Payments', 'Reconciliation', true],
  ]);
  expect(flow.consumers.map((c) => [c.queue.label, c.fn.label, c.batchSize]).sort()).toEqual([
    ['AuditQueue', 'Audit', 10],
    ['Reconciliation', 'Reconcile', 10],
  ]);
  expect(flow.unresolved).toEqual([]);
});

test('Dev: one trace from POST /payments through the fraud API call and SNS to both consumers', () => {
  expect(dev.problems).toEqual([]);
  // authorize, the flow's entry, read the boost (`{}`) at its init; the consumers follow its decision.
  expect(dev.adaptive?.functions).toEqual(['Authorize']);
  expect(dev.adaptive?.reads).toBeGreaterThanOrEqual(1);
  const [payment] = dev.payments;
  expect(payment).toMatchObject({ statusCode: 201, sampled: true });
  const { spans } = dev;

  const server = byName(spans, 'POST /payments');
  const client = byName(spans, 'POST');
  const publish = byName(spans, 'publish Payments');
  const reconcile = byName(spans, 'process Reconciliation');
  const audit = byName(spans, 'process AuditQueue');
  const traceId = server.traceId;
  expect(traceId).toBe(payment.traceId);
  // The client sent no traceparent: the trace starts in authorize.
  expect(server).toMatchObject({ kind: SPAN_KIND.SERVER, parentSpanId: undefined });
  expect(server.attributes).toMatchObject({ 'faas.coldstart': true, 'http.response.status_code': 201 });
  expect(client).toMatchObject({ kind: SPAN_KIND.CLIENT, traceId, parentSpanId: server.spanId });
  expect(payment.traceparent).toBe(`00-${traceId}-${client.spanId}-01`);
  expect(publish).toMatchObject({ kind: SPAN_KIND.PRODUCER, traceId, parentSpanId: server.spanId });
  // Each record's span is a child of the publish, in the same trace, in the consumer's process.
  expect(reconcile).toMatchObject({ kind: SPAN_KIND.CONSUMER, traceId, parentSpanId: publish.spanId });
  expect(audit).toMatchObject({ kind: SPAN_KIND.CONSUMER, traceId, parentSpanId: publish.spanId });
  expect(reconcile.resource['service.name']).toBe('payments-reconcile');
  expect(reconcile.attributes['serverless_tracing.context_source']).toBe('message-attributes');
  expect(audit.resource['service.name']).toBe('payments-audit');
  expect(audit.attributes['serverless_tracing.context_source']).toBe('sns-envelope');
  // reconcile's DynamoDB write, through traceAwsClient: a CLIENT span under the record's span.
  const put = byName(spans, 'DynamoDB.PutItem');
  expect(put).toMatchObject({ kind: SPAN_KIND.CLIENT, traceId, parentSpanId: reconcile.spanId });
  expect(put.resource['service.name']).toBe('payments-reconcile');
  expect(put.attributes).toMatchObject({
    'rpc.system': 'aws-api',
    'rpc.service': 'DynamoDB',
    'rpc.method': 'PutItem',
    'cloud.region': 'eu-west-1',
    'http.response.status_code': 200,
    'aws.dynamodb.table_names': ['Dev-Payments-reconciled-payments'],
  });
  expect(put.attributes['aws.request_id']).toMatch(/^[0-9a-f-]{36}$/);

  // The batch spans: CONSUMER, linked to the publish, and, each batch's messages being of one
  // trace, its children too: the consumers continue the request's trace even without processRecords.
  for (const name of ['process Reconciliation', 'process AuditQueue']) {
    const batch = byName(spans, name, true);
    expect(batch).toMatchObject({ kind: SPAN_KIND.CONSUMER, traceId, parentSpanId: publish.spanId });
    expect(batch.attributes['messaging.batch.message_count']).toBe(1);
    expect(batch.links).toEqual([expect.objectContaining({ traceId, spanId: publish.spanId })]);
  }
  // One trace holds every span: the request's six (the DynamoDB write included) and the two batches.
  expect(spans).toHaveLength(8);
  expect(dev.groups).toHaveLength(1);
  expect(dev.groups[0].traceId).toBe(traceId);
  expect(dev.groups[0].linked).toEqual([]);
  expect(spans.filter((s) => s.traceId === traceId)).toHaveLength(8);
});

test('Dev: the printed tree, one line per span indented under its parent, links shown', () => {
  const traceId = dev.payments[0].traceId!;
  const lines = dev.tree.split('\n').map((line) => line.replace(/\s+\d+(\.\d+)? (ms|s)\s+/, ' <d> '));
  const short = `…${traceId.slice(-8)}`;
  expect(lines[0]).toBe(`trace ${traceId}  (payment 1: 201)`);
  expect(lines.slice(1, 4)).toEqual([
    expect.stringMatching(/^POST \/payments <d> \[payments-authorize\] {2}server$/),
    expect.stringMatching(/^├─ POST <d> \[payments-authorize\] {2}client$/),
    expect.stringMatching(/^└─ publish Payments <d> \[payments-authorize\] {2}producer$/),
  ]);
  expect(lines).toContainEqual(
    expect.stringMatching(/^ {3}[├└]─ process Reconciliation <d> \[payments-reconcile\] {2}consumer$/),
  );
  expect(lines).toContainEqual(
    expect.stringMatching(/^ {3}[├└]─ process AuditQueue <d> \[payments-audit\] {2}consumer$/),
  );
  expect(lines).toContainEqual(
    expect.stringMatching(/^ {3}[│ ] {2}└─ DynamoDB\.PutItem <d> \[payments-reconcile\] {2}client$/),
  );
  // The batches are in the trace too, under the publish, each with its link.
  expect(lines.some((l) => l.startsWith('linked to this trace'))).toBe(false);
  expect(lines).toContainEqual(
    expect.stringMatching(
      /^ {3}[├└]─ process Reconciliation <d> \[payments-reconcile\] {2}consumer, batch of 1$/,
    ),
  );
  expect(lines).toContainEqual(
    expect.stringMatching(/^ {3}[├└]─ process AuditQueue <d> \[payments-audit\] {2}consumer, batch of 1$/),
  );
  expect(lines.filter((l) => l === `   │     ↳ link to publish Payments (${short})`)).toHaveLength(2);
});

testNeeding(OTELCOL_LAMBDA, 'the local run through the real collector')(
  "Dev: each function exported through its own otelcol-lambda running its layer's configuration (without decouple), no deprecated name",
  () => {
    expect(dev.collectors?.map((c) => c.fn).sort()).toEqual(['Audit', 'Authorize', 'Reconcile']);
    for (const c of dev.collectors!) {
      expect(c.removed).toEqual(['decouple']);
      expect(c.deprecations).toEqual([]);
      expect(c.startupMs).toBeGreaterThan(0);
      // It started and logged no error (an export that failed would be one).
      expect(c.log).toContain('Everything is ready');
      expect(c.log).not.toMatch(/\terror\t/);
    }
    // Every export the receiver got came from a collector, none from a function.
    expect(dev.spans.length).toBeGreaterThan(0);
    expect(dev.exportedBy.length).toBeGreaterThan(0);
    for (const agent of dev.exportedBy)
      expect(agent).toMatch(/^OpenTelemetry Collector .*\/0\.23\.0 \(linux\//);
  },
);

test('without the collector (collector: false) the functions export to the receiver directly, as before', async () => {
  const direct = await runLocal({
    stage: 'Dev',
    assemblyDir,
    outDir: join(work, 'direct'),
    collector: false,
  });
  expect(direct.problems).toEqual([]);
  expect(direct.collectors).toBeUndefined();
  expect(direct.exportedBy.some((agent) => agent.startsWith('OpenTelemetry Collector'))).toBe(false);
  expect(direct.spans.map((s) => s.name).sort()).toEqual(dev.spans.map((s) => s.name).sort());
});

const needsGateway = testNeeding(OTELCOL_GATEWAY, 'the local runs of Prod through the tail-sampling gateway');

/** Prod's run with `options`, again in the rare case that the gateway's 1% kept the good payment. */
async function prodRun(
  options: Partial<Parameters<typeof runLocal>[0]>,
  outDir: string,
): Promise<LocalRunResult> {
  let prod!: LocalRunResult;
  for (let attempt = 0; attempt < 5; attempt++) {
    prod = await runLocal({ stage: 'Prod', assemblyDir, outDir: join(work, outDir), ...options });
    if (!prod.spans.some((s) => s.traceId === prod.payments[0].traceId)) break;
  }
  return prod;
}

/** The services and names of a trace's spans, sorted. */
const spansOfTrace = (result: LocalRunResult, traceId: string | undefined) =>
  result.spans
    .filter((s) => s.traceId === traceId)
    .map((s) => `${s.resource['service.name']} ${s.name}${s.status.code === STATUS.ERROR ? ' ✗' : ''}`)
    .sort();

needsGateway(
  'Prod --fail-at reconcile: the failed payment arrives whole through the gateway (two load-balancing, two sampling collectors), the successful one not at all',
  async () => {
    const prod = await prodRun({ failAt: 'reconcile' }, 'prod-reconcile');
    expect(prod.problems).toEqual([]);
    expect(prod.gateway).toMatchObject({ percentage: 1, loadBalancers: 2, samplers: 2 });
    const [good, failed] = prod.payments;
    expect(good).toMatchObject({ statusCode: 201 });
    expect(failed).toMatchObject({ statusCode: 201, failsIn: 'Reconcile' });
    expect(prod.consumers.map((c) => [c.fn, c.records, c.failedRecords])).toEqual([
      ['Audit', 2, 0],
      ['Reconcile', 2, 1],
    ]);
    // Every span of every function the failed payment reached: authorize's, its fetch and publish,
    // audit's record and reconcile's failed record; the functions' collectors sent them to
    // different load-balancing processes, which routed the trace to one sampling process.
    expect(spansOfTrace(prod, failed.traceId)).toEqual([
      'payments-audit process AuditQueue',
      'payments-authorize POST',
      'payments-authorize POST /payments',
      'payments-authorize publish Payments',
      'payments-reconcile process Reconciliation ✗',
    ]);
    expect(prod.spans.filter((s) => s.traceId === good.traceId)).toEqual([]);
    expect(prod.tree).toContain(`trace ${failed.traceId}  (payment 2: 201)`);
    const report = jsonReport(prod, 'Prod') as {
      stage: string;
      payments: { id: string; status: number; traceId: string }[];
      traces: {
        traceId: string;
        spans: { service: string; kind: string; status: string; sampled: boolean }[];
      }[];
    };
    expect(report.stage).toBe('Prod');
    expect(report.payments.map((p) => [p.status, p.traceId])).toEqual([
      [201, good.traceId],
      [201, failed.traceId],
    ]);
    const trace = report.traces.find((t) => t.traceId === failed.traceId)!;
    expect(trace.spans).toHaveLength(5);
    expect(trace.spans.filter((s) => s.status === 'error').map((s) => [s.service, s.kind])).toEqual([
      ['payments-reconcile', 'consumer'],
    ]);
  },
);

needsGateway(
  'Prod --fail-at authorize: the payment the fraud API failed arrives whole (authorize and its fetch)',
  async () => {
    const prod = await prodRun({ failAt: 'authorize' }, 'prod-authorize');
    expect(prod.problems).toEqual([]);
    const [good, failed] = prod.payments;
    expect(failed).toMatchObject({ statusCode: 502, body: '{"message":"fraud API answered 503"}' });
    expect(spansOfTrace(prod, failed.traceId)).toEqual([
      'payments-authorize POST /payments ✗',
      'payments-authorize POST ✗',
    ]);
    expect(prod.spans.filter((s) => s.traceId === good.traceId)).toEqual([]);
    expect(prod.tree).toMatch(/^POST \/payments .* server, ✗ error \(HTTP 502\)$/m);
  },
);

needsGateway(
  "Prod --canary: the check's trace is kept at every hop at 1%; the drill's failed payment is kept whole",
  async () => {
    const prod = await prodRun({ canary: true }, 'prod-canary');
    expect(prod.problems).toEqual([]);
    const check = prod.payments.find((p) => p.sentAs === 'check')!;
    const drill = prod.payments.find((p) => p.sentAs === 'drill')!;
    expect(check).toMatchObject({ statusCode: 201 });
    // Sent as a request the head sampler dropped; at the tail every trace is sent, and decided whole.
    expect(drill).toMatchObject({ statusCode: 201, sampled: true });

    // The check: compared with the trace map as trace-check compares it, every hop is there.
    const map = parseTraceMap(readFileSync(join(assemblyDir, 'trace-map.json'), 'utf8'), 'trace-map.json');
    const normalised = (traceId: string) =>
      parseOtlpTrace({
        resourceSpans: prod.spans
          .filter((s) => s.traceId === traceId)
          .map((s) => ({
            resource: {
              attributes: [{ key: 'service.name', value: { stringValue: s.resource['service.name'] } }],
            },
            scopeSpans: [{ spans: [{ ...s, attributes: [], links: [], status: s.status }] }],
          })),
      });
    const expected = expectedHops(map, 'Prod/Payments/Authorize');
    for (const traceId of [check.traceId!, drill.traceId!]) {
      const comparison = compareTrace(expected, normalised(traceId), { traceId });
      expect(comparison.missing).toEqual([]);
      expect(comparison.present).toHaveLength(5);
    }
    expect(
      prod.spans.find((s) => s.traceId === check.traceId && s.name === 'POST /payments')?.attributes[
        'serverless_tracing.sampling.rule'
      ],
    ).toBe('tracestate:cdk-serverless-tracing=keep');
    const failed = prod.spans.filter((s) => s.traceId === drill.traceId && s.status.code === STATUS.ERROR);
    expect(failed.map((s) => s.resource['service.name'])).toEqual(['payments-reconcile']);
    expect(failed[0].events.some((e) => String(e.attributes['exception.message']).includes('XTS'))).toBe(
      true,
    );
  },
);

test('the local endpoint delivers a publish to each subscribed queue as AWS does: raw, or the SNS envelope', async () => {
  const aws = new LocalAws();
  await aws.start();
  try {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:Payments';
    const raw = 'arn:aws:sqs:eu-west-1:123456789012:Raw';
    const envelope = 'arn:aws:sqs:eu-west-1:123456789012:Envelope';
    aws.subscribe(
      { topicArn, queueArn: raw, rawMessageDelivery: true },
      { topicArn, queueArn: envelope, rawMessageDelivery: false },
    );
    const sns = new SNSClient({
      region: 'eu-west-1',
      endpoint: aws.endpoint,
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    });
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: '{"amount":1}',
        MessageAttributes: {
          traceparent: { DataType: 'String', StringValue: traceparent(TRACE_ID, PARENT_SPAN_ID) },
        },
      }),
    );
    sns.destroy();
    const [rawRecord] = aws.receive(raw)!.Records;
    expect(rawRecord).toMatchObject({
      body: '{"amount":1}',
      eventSource: 'aws:sqs',
      eventSourceARN: raw,
      messageAttributes: {
        traceparent: { dataType: 'String', stringValue: traceparent(TRACE_ID, PARENT_SPAN_ID) },
      },
    });
    const [envelopeRecord] = aws.receive(envelope)!.Records;
    expect(envelopeRecord).toMatchObject({ eventSourceARN: envelope, messageAttributes: {} });
    expect(JSON.parse(envelopeRecord.body)).toMatchObject({
      Type: 'Notification',
      MessageId,
      TopicArn: topicArn,
      Message: '{"amount":1}',
      MessageAttributes: { traceparent: { Type: 'String', Value: traceparent(TRACE_ID, PARENT_SPAN_ID) } },
    });
    // Received once: the queues are empty now.
    expect([aws.receive(raw), aws.receive(envelope)]).toEqual([undefined, undefined]);
  } finally {
    await aws.stop();
  }
});

test('a record that is not a payment fails alone; the others are reconciled', async () => {
  const receiver = new OtlpReceiver();
  const aws = new LocalAws();
  await Promise.all([receiver.start(), aws.start()]);
  try {
    const consumer = dev.flow.consumers.find((c) => c.fn.label === 'Reconcile')!;
    const context = {
      traceparent: { DataType: 'String', StringValue: traceparent(TRACE_ID, PARENT_SPAN_ID) },
    };
    const payment = {
      paymentId: 'p-1',
      amount: 1250,
      currency: 'EUR',
      score: 0.1,
      authorizedAt: '2026-11-21T05:32:16Z',
    };
    const good = sqsRecord(
      { body: JSON.stringify(payment), attributes: context },
      { queueArn: consumer.queue.arn },
    );
    const bad = sqsRecord(
      { body: '{"not":"a payment"}', attributes: context },
      { queueArn: consumer.queue.arn },
    );
    const outcome = await invokeBundle(consumer.fn.bundle, sqsEvent([good, bad]), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      AWS_ENDPOINT_URL: aws.endpoint,
    });
    expect(outcome.result).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
    await receiver.idle(100);
    // The good payment was written, once, by a PutItem under its record's span; the bad one never.
    const table = consumer.fn.bundle.environment.RECONCILED_PAYMENTS_TABLE;
    expect(aws.tables.get(table)).toEqual([
      expect.objectContaining({ paymentId: { S: 'p-1' }, amount: { N: '1250' }, currency: { S: 'EUR' } }),
    ]);
    const reconciled = receiver.spans.find((s) => s.attributes['messaging.message.id'] === good.messageId)!;
    const puts = receiver.spans.filter((s) => s.name === 'DynamoDB.PutItem');
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: reconciled.spanId,
      kind: SPAN_KIND.CLIENT,
    });
    expect(puts[0].attributes['aws.dynamodb.table_names']).toEqual([table]);
    const failed = receiver.spans.find((s) => s.attributes['messaging.message.id'] === bad.messageId)!;
    expect(failed).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: PARENT_SPAN_ID,
      status: { code: STATUS.ERROR },
    });
    // The function's JSON log line carries the trace of the record it was written in.
    const lines = outcome.logs
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => String(l.message).includes('reconciled'))).toMatchObject({
      trace_id: TRACE_ID,
      level: 'INFO',
    });
  } finally {
    await Promise.all([receiver.stop(), aws.stop()]);
  }
});

// ---- The waterfall page, rendered by headless Chromium -------------------------------------

/** The problems of the bars in a screenshot: a bar colour missing at its centre, or drawn where the background should be. */
function missingBars(png: PNG, layout: WaterfallLayout): string[] {
  const at = (x: number, y: number): [number, number, number] => {
    const i = (png.width * y + x) * 4;
    return [png.data[i], png.data[i + 1], png.data[i + 2]];
  };
  const near = (a: number[], b: number[]): boolean => a.every((v, i) => Math.abs(v - b[i]) <= 8);
  const background = hexColor(WATERFALL.background);
  const problems: string[] = [];
  for (const bar of layout.bars) {
    const cx = Math.floor(bar.x + bar.width / 2);
    const cy = Math.floor(bar.y + bar.height / 2);
    if (!near(at(cx, cy), hexColor(bar.color))) {
      problems.push(
        `span ${bar.spanId}: rgb(${at(cx, cy)}) at its bar's centre (${cx},${cy}), not ${bar.color}`,
      );
    }
    // Also the bar's own ends, one pixel in.
    for (const x of [bar.x + 1, bar.x + bar.width - 2]) {
      if (!near(at(x, cy), hexColor(bar.color)))
        problems.push(`span ${bar.spanId}: its bar does not reach x=${x}`);
    }
    const around: [number, number][] = [
      [cx, bar.y - 3],
      [cx, bar.y + bar.height + 2],
      [bar.x - 3, cy],
      [bar.x + bar.width + 2, cy],
    ];
    for (const [x, y] of around) {
      if (!near(at(x, y), background))
        problems.push(`span ${bar.spanId}: rgb(${at(x, y)}) around its bar at (${x},${y})`);
    }
  }
  return problems;
}

testNeeding(CHROMIUM, 'the waterfall screenshot test')(
  'the waterfall page draws every span as a bar where its layout puts it',
  async () => {
    const run = await runLocal({ stage: 'Dev', fail: true, assemblyDir, outDir: join(work, 'page') });
    expect(run.problems).toEqual([]);
    const layout = run.layout!;
    const html = readFileSync(run.htmlFile!, 'utf8');
    // Self-contained: no scripts, nothing loaded from elsewhere.
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);
    // One bar per span, each placed with the layout's numbers.
    expect(layout.bars.map((b) => b.spanId).sort()).toEqual(run.spans.map((s) => s.spanId).sort());
    for (const bar of layout.bars) {
      expect(html).toContain(
        `data-span-id="${bar.spanId}" data-trace-id="${run.spans.find((s) => s.spanId === bar.spanId)!.traceId}" style="left:${bar.x}px;top:${bar.y}px;width:${bar.width}px;height:${bar.height}px;background:${bar.color}"`,
      );
    }
    // The failed payment's spans are error-coloured, the others have their service's colour.
    const errors = run.spans.filter((s) => s.status.code === STATUS.ERROR).map((s) => s.spanId);
    expect(errors).toHaveLength(2);
    for (const bar of layout.bars) expect(bar.color === WATERFALL.error).toBe(errors.includes(bar.spanId));

    const { png } = await screenshotPage(html, layout.width, layout.height);
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
    expect(missingBars(png, layout)).toEqual([]);

    // The check sees a bar that is not drawn.
    const [first] = layout.bars;
    const broken = html.replace(`data-span-id="${first.spanId}"`, `data-span-id="${first.spanId}" hidden`);
    const { png: withoutBar } = await screenshotPage(broken, layout.width, layout.height);
    expect(missingBars(withoutBar, layout)).toEqual([
      expect.stringContaining(`span ${first.spanId}: rgb(255,255,255) at its bar's centre`),
      expect.stringContaining(`span ${first.spanId}: its bar does not reach`),
      expect.stringContaining(`span ${first.spanId}: its bar does not reach`),
    ]);
  },
);
