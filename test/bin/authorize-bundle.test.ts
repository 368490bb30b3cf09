import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PaymentStack } from '../../bin/example/payment-stack';
import { PARENT_SPAN_ID, TRACE_ID, httpApiEvent, traceparent } from '../helpers/events';
import { OtlpReceiver, SPAN_KIND, STATUS } from '../helpers/otlp-receiver';

// The example's authorize function exactly as `cdk synth` bundles it (TracedFunction's entry,
// esbuild, the real runtime), run the way Lambda runs it: a fresh Node process that loads the
// bundle and is invoked with an HTTP API event, with the environment from the template. Only the
// OTLP endpoint (the collector extension is not here) and the fraud API URL point at local stand-ins.

interface FunctionResource {
  Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, string> } };
}

let bundleFile: string;
let templateEnv: Record<string, string>;
const receiver = new OtlpReceiver();
let fraud: Server;
let fraudUrl: string;
const fraudRequests: IncomingHttpHeaders[] = [];
let fraudScore = 0.1;
let fraudStatus = 200;

beforeAll(async () => {
  const outdir = mkdtempSync(join(tmpdir(), 'payment-app-'));
  const app = new App({ outdir });
  const stack = new PaymentStack(app, 'PaymentStack');
  const assembly = app.synth();
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, FunctionResource> };
  const id = stack.getLogicalId(stack.authorize.node.defaultChild as never);
  const fn = template.Resources[id];
  const assetDir = join(assembly.directory, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  expect(readdirSync(assetDir)).toEqual(['index.js']);
  bundleFile = join(assetDir, 'index.js');
  templateEnv = fn.Properties.Environment.Variables;

  await receiver.start();
  fraud = createServer((req, res) => {
    fraudRequests.push(req.headers);
    req.resume();
    req.on('end', () => {
      res
        .writeHead(fraudStatus, { 'content-type': 'application/json' })
        .end(JSON.stringify({ score: fraudScore }));
    });
  });
  await new Promise<void>((resolve) => fraud.listen(0, '127.0.0.1', resolve));
  fraudUrl = `http://127.0.0.1:${(fraud.address() as AddressInfo).port}/v1/score`;
}, 120_000);

afterAll(async () => {
  await receiver.stop();
  fraud.closeAllConnections();
  await new Promise((resolve) => fraud.close(resolve));
});

beforeEach(() => {
  receiver.clear();
  fraudRequests.length = 0;
  fraudScore = 0.1;
  fraudStatus = 200;
});

/** Runs one cold invocation of the bundle in a fresh process; returns the handler's result. */
async function invokeBundle(event: unknown): Promise<{ statusCode: number; body: string }> {
  const eventFile = join(mkdtempSync(join(tmpdir(), 'event-')), 'event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const harness = `
    const started = Date.now();
    const { handler } = require(${JSON.stringify(bundleFile)});
    const event = require(${JSON.stringify(eventFile)});
    const context = {
      functionName: 'PaymentStack-Authorize', awsRequestId: '8f7c2a10-0d4e-4c56-9a43-1c2d3e4f5a6b',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:PaymentStack-Authorize',
      getRemainingTimeInMillis: () => 10000 - (Date.now() - started),
    };
    handler(event, context).then((result) => process.stdout.write(JSON.stringify(result)));`;
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'eu-west-1',
    AWS_LAMBDA_FUNCTION_NAME: 'PaymentStack-Authorize',
    ...templateEnv,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    FRAUD_API_URL: fraudUrl,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', harness], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`bundle exited with ${code}: ${err}`));
      else resolve(JSON.parse(out) as { statusCode: number; body: string });
    });
  });
}

const payment = (headers: Record<string, string> = {}) => {
  const event = httpApiEvent({ headers });
  event.body = JSON.stringify({ amount: 1250, currency: 'EUR', cardToken: 'tok_visa' });
  return event;
};

test('the template configures the runtime the bundle reads', () => {
  expect(templateEnv).toMatchObject({
    OTEL_SERVICE_NAME: 'payments-authorize',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    TRACING_KEEP_ERRORS: 'true',
  });
});

test('an authorized payment: SERVER span, fetch CLIENT span child of it, traceparent sent to the fraud API', async () => {
  const result = await invokeBundle(payment({ traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) }));
  expect(result.statusCode).toBe(201);
  expect(JSON.parse(result.body)).toMatchObject({ status: 'authorized', score: 0.1 });

  const server = receiver.span('POST /payments');
  const client = receiver.span('POST');
  expect(server).toMatchObject({ kind: SPAN_KIND.SERVER, traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
  expect(server.attributes).toMatchObject({
    'faas.trigger': 'http',
    'faas.coldstart': true,
    'http.response.status_code': 201,
    'cloud.account.id': '123456789012',
  });
  expect(server.resource['service.name']).toBe('payments-authorize');
  expect(client).toMatchObject({ kind: SPAN_KIND.CLIENT, traceId: TRACE_ID, parentSpanId: server.spanId });
  expect(client.attributes['url.full']).toBe(fraudUrl);
  expect(fraudRequests[0].traceparent).toBe(`00-${TRACE_ID}-${client.spanId}-01`);
});

test('the fraud API failing: 502 returned as the handler made it, both spans errors', async () => {
  fraudStatus = 500;
  const result = await invokeBundle(payment({ traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) }));
  expect(result).toEqual({
    statusCode: 502,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'fraud API answered 500' }),
  });
  expect(receiver.span('POST /payments').status.code).toBe(STATUS.ERROR);
  expect(receiver.span('POST').status.code).toBe(STATUS.ERROR);
});

test('an unsampled caller: a failed payment is still exported (keep errors), a good one is not', async () => {
  await invokeBundle(payment({ traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false) }));
  expect(receiver.spans).toHaveLength(0);
  fraudStatus = 503;
  const result = await invokeBundle(payment({ traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, false) }));
  expect(result.statusCode).toBe(502);
  expect(receiver.names().sort()).toEqual(['POST', 'POST /payments']);
  // The sampled flag propagated to the fraud API matches the decision: not sampled.
  expect(fraudRequests[1].traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
});
