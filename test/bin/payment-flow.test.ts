import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { PaymentStack } from '../../bin/example/payment-stack';
import { PARENT_SPAN_ID, TRACE_ID, httpApiEvent, traceparent } from '../helpers/events';
import { LocalAws, TOPIC_ARN, snsEnvelopeRecord, sqsEvent, sqsRecord } from '../helpers/local-aws';
import { OtlpReceiver, SPAN_KIND, STATUS } from '../helpers/otlp-receiver';

// The example's functions exactly as `cdk synth` bundles them (TracedFunction's entry, esbuild,
// the real runtime), each run the way Lambda runs it: a fresh Node process that loads the bundle
// and is invoked once, with the environment from the template. Local stand-ins replace what is
// outside: the collector (an OTLP receiver), the fraud API, and SNS (a local endpoint the real
// SNS client publishes to, whose captured message becomes the SQS events of the two
// subscriptions: raw delivery for reconcile, the SNS envelope for audit). The AWS SDK comes from
// node_modules, as the Lambda runtime provides it.

interface FunctionResource {
  Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, string> } };
}

interface Bundle {
  readonly file: string;
  readonly env: Record<string, string>;
}

const RECONCILIATION_ARN = 'arn:aws:sqs:eu-west-1:123456789012:reconciliation';
const AUDIT_ARN = 'arn:aws:sqs:eu-west-1:123456789012:audit';

const bundles: Record<'authorize' | 'reconcile' | 'audit', Bundle> = {} as never;
const receiver = new OtlpReceiver();
const aws = new LocalAws();
let fraud: Server;
let fraudUrl: string;
const fraudRequests: IncomingHttpHeaders[] = [];
let fraudStatus = 200;

function bundleOf(app: { outdir: string }, stack: Stack, fn: IConstruct, template: Template): Bundle {
  const resources = (template.toJSON() as { Resources: Record<string, FunctionResource> }).Resources;
  const resource = resources[stack.getLogicalId(fn.node.defaultChild as never)];
  const dir = join(app.outdir, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  expect(readdirSync(dir)).toEqual(['index.js']);
  return { file: join(dir, 'index.js'), env: resource.Properties.Environment.Variables };
}

beforeAll(async () => {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'payment-app-')) });
  const stack = new PaymentStack(app, 'PaymentStack');
  app.synth();
  const template = Template.fromStack(stack);
  bundles.authorize = bundleOf(app, stack, stack.authorize, template);
  bundles.reconcile = bundleOf(app, stack, stack.reconcile, template);
  bundles.audit = bundleOf(app, stack, stack.audit, template);

  await receiver.start();
  await aws.start();
  fraud = createServer((req, res) => {
    fraudRequests.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(fraudStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ score: 0.1 }));
    });
  });
  await new Promise<void>((resolve) => fraud.listen(0, '127.0.0.1', resolve));
  fraudUrl = `http://127.0.0.1:${(fraud.address() as AddressInfo).port}/v1/score`;
}, 180_000);

afterAll(async () => {
  await receiver.stop();
  await aws.stop();
  fraud.closeAllConnections();
  await new Promise((resolve) => fraud.close(resolve));
});

beforeEach(() => {
  receiver.clear();
  aws.clear();
  fraudRequests.length = 0;
  fraudStatus = 200;
});

/** One cold invocation of a bundle in a fresh process; returns the handler's result. */
async function invoke(bundle: Bundle, name: string, event: unknown): Promise<Record<string, unknown>> {
  const eventFile = join(mkdtempSync(join(tmpdir(), 'event-')), 'event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const harness = `
    const started = Date.now();
    const { handler } = require(${JSON.stringify(bundle.file)});
    const event = require(${JSON.stringify(eventFile)});
    const context = {
      functionName: ${JSON.stringify(name)}, awsRequestId: require('crypto').randomUUID(),
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:' + ${JSON.stringify(name)},
      getRemainingTimeInMillis: () => 10000 - (Date.now() - started),
    };
    // Lambda freezes the sandbox after the response; here the process ends (keep-alive sockets
    // of the SDK and the exporter would hold it open).
    // The result goes to fd 3: stdout carries the function's own log lines.
    handler(event, context).then((result) => {
      require('fs').writeSync(3, JSON.stringify(result ?? null));
      process.exit(0);
    });`;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_PATH: join(__dirname, '..', '..', 'node_modules'),
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SNS: aws.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: name,
    ...bundle.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    PAYMENTS_TOPIC_ARN: TOPIC_ARN,
    FRAUD_API_URL: fraudUrl,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', harness], {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill(), 20_000);
    let out = '';
    let err = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdout!.resume();
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${name} exited with ${code}: ${err}`));
        return;
      }
      // The bundles export as they would to the collector extension on localhost: they do not
      // wait for the receiver's answer, so let the receiver read what was sent.
      receiver.idle(50).then(() => {
        try {
          resolve(JSON.parse(out) as Record<string, unknown>);
        } catch (error) {
          reject(error as Error);
        }
      }, reject);
    });
  });
}

const paymentRequest = (sampled = true) => {
  const event = httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, sampled) } });
  event.body = JSON.stringify({ amount: 1250, currency: 'EUR', cardToken: 'tok_visa' });
  return event;
};

test('the template configures the runtime the bundles read', () => {
  expect(bundles.authorize.env).toMatchObject({
    OTEL_SERVICE_NAME: 'payments-authorize',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    TRACING_KEEP_ERRORS: 'true',
    PAYMENTS_TOPIC_ARN: expect.anything(),
  });
  expect(bundles.reconcile.env.OTEL_SERVICE_NAME).toBe('payments-reconcile');
});

test('one trace from the HTTP request through the fraud API call and SNS to reconcile and audit', async () => {
  const result = await invoke(bundles.authorize, 'PaymentStack-Authorize', paymentRequest());
  expect(result.statusCode).toBe(201);

  const [message] = aws.only().messages;
  expect(JSON.parse(message.body)).toMatchObject({ amount: 1250, currency: 'EUR' });
  await invoke(
    bundles.reconcile,
    'PaymentStack-Reconcile',
    sqsEvent([sqsRecord(message, { queueArn: RECONCILIATION_ARN })]),
  );
  await invoke(bundles.audit, 'PaymentStack-Audit', sqsEvent([snsEnvelopeRecord(message, AUDIT_ARN)]));

  const server = receiver.span('POST /payments');
  const client = receiver.span('POST');
  const publish = receiver.span('publish payments');
  expect(server).toMatchObject({ kind: SPAN_KIND.SERVER, traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
  expect(server.attributes).toMatchObject({ 'faas.coldstart': true, 'http.response.status_code': 201 });
  expect(server.resource['service.name']).toBe('payments-authorize');
  expect(client).toMatchObject({ kind: SPAN_KIND.CLIENT, traceId: TRACE_ID, parentSpanId: server.spanId });
  expect(fraudRequests[0].traceparent).toBe(`00-${TRACE_ID}-${client.spanId}-01`);
  expect(publish).toMatchObject({ kind: SPAN_KIND.PRODUCER, traceId: TRACE_ID, parentSpanId: server.spanId });
  expect(message.attributes.traceparent.StringValue).toBe(`00-${TRACE_ID}-${publish.spanId}-01`);

  const recordSpans = receiver.spans.filter((s) => s.parentSpanId === publish.spanId);
  expect(
    recordSpans
      .map((s) => [s.name, s.resource['service.name'], s.attributes['serverless_tracing.context_source']])
      .sort(),
  ).toEqual([
    ['process audit', 'payments-audit', 'sns-envelope'],
    ['process reconciliation', 'payments-reconcile', 'message-attributes'],
  ]);
  for (const span of recordSpans) expect(span).toMatchObject({ kind: SPAN_KIND.CONSUMER, traceId: TRACE_ID });
  // The batch spans of reconcile and audit start their own traces and link to the publish.
  const batches = receiver.spans.filter((s) => s.attributes['messaging.batch.message_count'] === 1);
  expect(batches).toHaveLength(2);
  for (const batch of batches) {
    expect(batch.links).toEqual([expect.objectContaining({ traceId: TRACE_ID, spanId: publish.spanId })]);
  }
});

test('a record that is not a payment fails alone; the others are reconciled', async () => {
  await invoke(bundles.authorize, 'PaymentStack-Authorize', paymentRequest());
  const [message] = aws.only().messages;
  const good = sqsRecord(message, { queueArn: RECONCILIATION_ARN });
  const bad = sqsRecord({ ...message, body: '{"not":"a payment"}' }, { queueArn: RECONCILIATION_ARN });
  const result = await invoke(bundles.reconcile, 'PaymentStack-Reconcile', sqsEvent([good, bad]));
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
  const failed = receiver.spans.find((s) => s.attributes['messaging.message.id'] === bad.messageId)!;
  expect(failed).toMatchObject({ traceId: TRACE_ID, status: { code: STATUS.ERROR } });
});

test('the fraud API failing: 502 as the handler made it, nothing published, the spans are errors', async () => {
  fraudStatus = 500;
  const result = await invoke(bundles.authorize, 'PaymentStack-Authorize', paymentRequest());
  expect(result).toEqual({
    statusCode: 502,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'fraud API answered 500' }),
  });
  expect(aws.calls).toHaveLength(0);
  expect(receiver.span('POST /payments').status.code).toBe(STATUS.ERROR);
  expect(receiver.span('POST').status.code).toBe(STATUS.ERROR);
});

test('an unsampled caller: a failed payment is still exported (keep errors), a good one is not', async () => {
  await invoke(bundles.authorize, 'PaymentStack-Authorize', paymentRequest(false));
  expect(receiver.spans).toHaveLength(0);
  // The sampled flag propagated downstream matches the decision: not sampled.
  expect(aws.only().messages[0].attributes.traceparent.StringValue).toMatch(
    new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`),
  );
  fraudStatus = 503;
  const result = await invoke(bundles.authorize, 'PaymentStack-Authorize', paymentRequest(false));
  expect(result.statusCode).toBe(502);
  expect(receiver.names().sort()).toEqual(['POST', 'POST /payments']);
  expect(fraudRequests[1].traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
});
