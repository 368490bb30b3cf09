import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, AspectPriority, Aspects, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  DebugExporterVerbosity,
  ExporterHeaderValue,
  SamplingMode,
  TracedFunction,
  TracingExporter,
  TracingPolicy,
  TransactionSearch,
} from '../../../lib';
import type { IGatewayEndpoint } from '../../../lib/core/gateway-endpoint';
import { deployedCollectors, type DeployedCollector } from '../../../bin/local/assembly';
import {
  collectorPorts,
  CollectorProcess,
  deprecationWarnings,
  localCollectorConfig,
  startOnFreePorts,
  validateCollectorConfig,
} from '../../../bin/local/collector';
import { LocalSecretsManager } from '../../../bin/local/local-secrets-manager';
import { synthExample } from '../../../bin/local/local-run';
import { OtlpReceiver } from '../../../bin/local/otlp-receiver';
import { PipelinedHttpClient } from '../../../layer/runtime/http-pipeline';
import { OTELCOL_LAMBDA, testNeeding } from '../../helpers/requirements';
import { fixture, TEST_ENV } from '../../helpers/stack';

// Every collector configuration the library renders, loaded by the collector it is meant for:
// otelcol-lambda, built from the Go modules of the pinned Lambda layer's components. The
// configurations are read from the cloud assembly (the configuration layer of each function), as
// they would be deployed; secrets come from a local Secrets Manager stand-in.

const needsCollector = testNeeding(OTELCOL_LAMBDA, 'the tests that run the real collector');
const REGION = TEST_ENV.region;
const IMPORTED_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:otlp-key-AbCdEf`;
const WHOLE_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:whole-key-GhIjKl`;
/** The ARN the stack's own secret gets at deploy time (its `Ref`), here. */
const OWN_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:own-key-XyZ123`;
const SECRETS = [
  { arn: IMPORTED_ARN, secretString: JSON.stringify({ apiKey: 'imported-api-key', dataset: 'payments' }) },
  { arn: WHOLE_ARN, secretString: 'whole-secret-value' },
  { arn: OWN_ARN, secretString: 'own-secret-value' },
];
/** What the plain header and the endpoint's path hold: `$`, `$$` and `${...}` that must arrive as written. */
const DOLLARS = 'a$b $$c ${env:AWS_SECRET_ACCESS_KEY} ${HOME} d}';
const AWS_SECRET_ACCESS_KEY = 'the-function-secret-access-key';

let receiver: OtlpReceiver;
let secrets: LocalSecretsManager;
let outdir: string;
let collectors: Map<string, DeployedCollector>;

/** The app: one stack per exporter and sampling mode, and a plain function under a TracingPolicy. */
function testApp(receiverEndpoint: string): App {
  const app = new App({
    outdir,
    context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true },
  });
  const traced = (id: string, props: Partial<ConstructorParameters<typeof TracedFunction>[2]>) => {
    const stack = new Stack(app, id, { env: TEST_ENV });
    return new TracedFunction(stack, 'Fn', { entry: fixture('hello.ts'), ...props });
  };
  traced('Debug', {});
  traced('DebugDetailed', {
    exporter: TracingExporter.debug({ verbosity: DebugExporterVerbosity.DETAILED }),
  });
  traced('Otlp', { exporter: TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }) });
  const headers = new Stack(app, 'OtlpHeaders', { env: TEST_ENV });
  new TracedFunction(headers, 'Fn', {
    entry: fixture('hello.ts'),
    exporter: TracingExporter.otlp({
      endpoint: 'https://otlp.example.com',
      headers: {
        'x-plain': ExporterHeaderValue.plain('plain-value'),
        'x-api-key': ExporterHeaderValue.fromSecret(
          secretsmanager.Secret.fromSecretCompleteArn(headers, 'Imported', IMPORTED_ARN),
          'apiKey',
        ),
        'x-whole': ExporterHeaderValue.fromSecret(
          secretsmanager.Secret.fromSecretCompleteArn(headers, 'Whole', WHOLE_ARN),
        ),
        'x-own': ExporterHeaderValue.fromSecret(new secretsmanager.Secret(headers, 'Own')),
      },
    }),
  });
  traced('Escaping', {
    exporter: TracingExporter.otlp({
      endpoint: `${receiverEndpoint}/${DOLLARS.replace(/ /g, '_')}`,
      headers: { 'x-dollars': ExporterHeaderValue.plain(DOLLARS) },
    }),
  });
  traced('XRay', { exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.enable() }) });
  traced('XRayAlreadyEnabled', {
    exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.alreadyEnabled() }),
  });
  traced('CollectorSampling', {
    samplingMode: SamplingMode.COLLECTOR,
    samplingRatio: 0,
    exporter: TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }),
  });
  // SamplingMode.TAIL: the collector sends to a gateway's HTTPS endpoint, signed for execute-api.
  const gateway = new Stack(app, 'Gateway', { env: TEST_ENV });
  const endpoint: IGatewayEndpoint = {
    tracesUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/traces',
    auth: { kind: 'sigv4', region: REGION, service: 'execute-api' },
    grantExport: () => undefined,
    node: gateway.node,
  };
  new TracedFunction(gateway, 'Fn', {
    entry: fixture('hello.ts'),
    samplingMode: SamplingMode.TAIL,
    exporter: TracingExporter.gateway(endpoint),
  });
  const policy = new Stack(app, 'Policy', { env: TEST_ENV });
  new lambda.Function(policy, 'Plain', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => "ok";'),
  });
  Aspects.of(policy).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
  return app;
}

/** The collector's environment as Lambda gives it: the function's variables (deploy-time references resolved) and the runtime's. */
function environmentOf(collector: DeployedCollector): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: '/home/sbx_user1051',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
  };
  for (const [name, value] of Object.entries(collector.environment)) {
    // The only deploy-time reference a collector reads is the ARN of a secret of the stack.
    env[name] = typeof value === 'string' ? value : OWN_ARN;
  }
  return env;
}

function collector(path: string): DeployedCollector {
  const found = collectors.get(path);
  if (!found) throw new Error(`no collector for ${path}: ${[...collectors.keys()].join(', ')}`);
  return found;
}

/** Starts a function's collector here (ports of 127.0.0.1, the exporter pointed where asked). */
async function start(
  path: string,
  options: { exporterEndpoint?: string; jsonEncoding?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<{ process: CollectorProcess; port: number }> {
  const deployed = collector(path);
  const { env, ...exporter } = options;
  const { process, ports } = await startOnFreePorts(collectorPorts, (chosen) => {
    const local = localCollectorConfig(deployed.yaml, { ...chosen, ...exporter });
    expect(local.removed).toEqual(['decouple']);
    return new CollectorProcess(local.yaml, { ...environmentOf(deployed), ...env });
  });
  return { process, port: ports.httpPort };
}

/**
 * Waits until the receiver holds `expected` export requests (the collector exports on its own
 * schedule, and a loaded machine can be slow), then stops the collector; fails with its log when
 * they never came.
 */
async function stopWhenExported(process: CollectorProcess, expected = 1): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (receiver.requests.length < expected && Date.now() < deadline) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
  await process.stop();
  if (receiver.requests.length < expected) {
    throw new Error(
      `the collector made ${receiver.requests.length} of ${expected} export requests; its log:\n${process.log}`,
    );
  }
}

let nextTrace = 0;
/** One span as OTLP/JSON, in a new trace; with its trace id. */
function spanRequest(
  name: string,
  attributes: Record<string, number> = {},
): { traceId: string; json: string } {
  const traceId = `4bf92f3577b34da6a3ce929d0e0e${String(4736 + nextTrace++).padStart(4, '0')}`;
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId,
                spanId: '00f067aa0ba902b7',
                name,
                kind: 2,
                startTimeUnixNano: '1764000000000000000',
                endTimeUnixNano: '1764000000100000000',
                attributes: Object.entries(attributes).map(([key, v]) => ({
                  key,
                  value: { intValue: String(v) },
                })),
              },
            ],
          },
        ],
      },
    ],
  };
  return { traceId, json: JSON.stringify(body) };
}

/** Sends one span to a collector over OTLP/HTTP (JSON), as the runtime does; returns its trace id. */
async function sendSpan(
  port: number,
  name: string,
  attributes: Record<string, number> = {},
): Promise<string> {
  const { traceId, json } = spanRequest(name, attributes);
  const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: json,
  });
  expect(res.status).toBe(200);
  return traceId;
}

beforeAll(async () => {
  receiver = new OtlpReceiver();
  await receiver.start();
  secrets = new LocalSecretsManager(SECRETS, REGION);
  await secrets.start();
  outdir = mkdtempSync(join(tmpdir(), 'collector-run-'));
  testApp(receiver.endpoint).synth();
  const example = synthExample(join(outdir, 'example'));
  collectors = new Map(
    [...deployedCollectors(outdir), ...deployedCollectors(example)].map((c) => [c.path, c]),
  );
});

afterAll(async () => {
  await receiver?.stop();
  await secrets?.stop();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

beforeEach(() => receiver.clear());

test('the assemblies hold a collector configuration for every traced function of the cases', () => {
  expect([...collectors.keys()].sort()).toEqual([
    'CollectorSampling/Fn',
    'Debug/Fn',
    'DebugDetailed/Fn',
    'Dev/Payments/Audit',
    'Dev/Payments/Authorize',
    'Dev/Payments/Reconcile',
    'Escaping/Fn',
    'Gateway/Fn',
    'Otlp/Fn',
    'OtlpHeaders/Fn',
    'Policy/Plain',
    'Prod/Payments/Audit',
    'Prod/Payments/Authorize',
    'Prod/Payments/Reconcile',
    'XRay/Fn',
    'XRayAlreadyEnabled/Fn',
  ]);
});

needsCollector(
  'each loads in otelcol-lambda (validate, secrets resolved), without a deprecated name',
  async () => {
    const failures: string[] = [];
    for (const [path, deployed] of collectors) {
      const local = localCollectorConfig(deployed.yaml, {
        ...(await collectorPorts()),
      });
      expect(local.removed).toEqual(['decouple']);
      const outcome = await validateCollectorConfig(local.yaml, environmentOf(deployed));
      if (!outcome.ok) failures.push(`${path}: ${outcome.output}`);
      expect(deprecationWarnings(outcome.output)).toEqual([]);
    }
    expect(failures).toEqual([]);
    // validate resolved the secret references of OtlpHeaders: through the stand-in, in the function's region.
    expect(
      new Set(secrets.requests.map((r) => `${r.secretId} ${r.signedRegion} ${r.signedService}`)),
    ).toEqual(new Set([IMPORTED_ARN, WHOLE_ARN, OWN_ARN].map((arn) => `${arn} ${REGION} secretsmanager`)));
  },
);

needsCollector(
  'the debug exporter: the span is written to the collector log, and no deprecated name is warned about',
  async () => {
    for (const path of ['Debug/Fn', 'Policy/Plain']) {
      const { process, port } = await start(path);
      await sendSpan(port, 'GET /debug');
      const written = /"otelcol.component.id": "debug".*"spans": 1|Traces.*"spans": 1/;
      const deadline = Date.now() + 15_000;
      while (!written.test(process.log) && Date.now() < deadline) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 25));
      }
      await process.stop();
      expect(process.log).toMatch(written);
      expect(deprecationWarnings(process.log)).toEqual([]);
    }
  },
);

needsCollector(
  'otlp with plain and secret headers: each header arrives with the secret value (imported, JSON field, of the stack)',
  async () => {
    const { process, port } = await start('OtlpHeaders/Fn', {
      exporterEndpoint: receiver.endpoint,
      jsonEncoding: true,
    });
    const traceId = await sendSpan(port, 'POST /payments');
    await stopWhenExported(process);
    expect(receiver.trace(traceId).map((s) => s.name)).toEqual(['POST /payments']);
    const [request] = receiver.requests;
    expect(request.headers).toMatchObject({
      'x-plain': 'plain-value',
      'x-api-key': 'imported-api-key',
      'x-whole': 'whole-secret-value',
      'x-own': 'own-secret-value',
    });
    expect(deprecationWarnings(process.log)).toEqual([]);
    // No secret value in the configuration, the template or the function's environment.
    const deployed = collector('OtlpHeaders/Fn');
    const template = readFileSync(join(outdir, 'OtlpHeaders.template.json'), 'utf8');
    for (const { secretString } of SECRETS) {
      for (const text of [deployed.yaml, template, JSON.stringify(deployed.environment)]) {
        expect(text).not.toContain('imported-api-key');
        expect(text).not.toContain(secretString);
      }
    }
  },
);

needsCollector(
  'a literal $, $$ and ${...} in a plain header and in the endpoint arrive exactly as written; nothing of the environment leaks',
  async () => {
    const { process, port } = await start('Escaping/Fn');
    await sendSpan(port, 'escaping');
    await stopWhenExported(process);
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.headers['x-dollars']).toBe(DOLLARS);
    expect(decodeURIComponent(request.path)).toBe(`/${DOLLARS.replace(/ /g, '_')}/v1/traces`);
    expect(JSON.stringify(request.headers)).not.toContain(AWS_SECRET_ACCESS_KEY);
    expect(request.body.includes('escaping')).toBe(true);
  },
);

needsCollector(
  "the runtime's transport: 40 exports pipelined on one connection are each answered 200 and exported",
  async () => {
    const { process, port } = await start('OtlpHeaders/Fn', {
      exporterEndpoint: receiver.endpoint,
      jsonEncoding: true,
    });
    const client = new PipelinedHttpClient(new URL(`http://127.0.0.1:${port}/v1/traces`), {
      'Content-Type': 'application/json',
    });
    try {
      const requests = Array.from({ length: 40 }, (_, i) => spanRequest(`POST /pipelined/${i}`));
      // Written back to back, none waiting for an earlier answer; each resolves on its own 200.
      await Promise.all(
        requests.map(({ json }) =>
          client.post(new TextEncoder().encode(json), 'acknowledged', performance.now() + 10_000),
        ),
      );
      const deadline = Date.now() + 15_000;
      while (requests.some(({ traceId }) => receiver.trace(traceId).length === 0) && Date.now() < deadline) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 25));
      }
      for (const [i, { traceId }] of requests.entries()) {
        expect(receiver.trace(traceId).map((span) => span.name)).toEqual([`POST /pipelined/${i}`]);
      }
    } finally {
      client.close();
      await process.stop();
    }
  },
);

needsCollector(
  'xray: the export is signed with SigV4 for X-Ray in the function region and sent as OTLP/protobuf',
  async () => {
    const { process, port } = await start('XRay/Fn', { exporterEndpoint: receiver.endpoint });
    await sendSpan(port, 'GET /xray');
    await stopWhenExported(process);
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.path).toBe('/v1/traces');
    expect(request.contentType).toBe('application/x-protobuf');
    expect(String(request.headers.authorization)).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/${REGION}/xray/aws4_request, SignedHeaders=`,
      ),
    );
    expect(request.body.includes('GET /xray')).toBe(true);
    expect(deprecationWarnings(process.log)).toEqual([]);
  },
);

needsCollector(
  "a gateway's HTTPS endpoint: the export is signed with SigV4 for execute-api in the gateway's region",
  async () => {
    const { process, port } = await start('Gateway/Fn', { exporterEndpoint: receiver.endpoint });
    await sendSpan(port, 'POST /payments');
    await stopWhenExported(process);
    const [request] = receiver.requests;
    expect(request.path).toBe('/v1/traces');
    expect(String(request.headers.authorization)).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/${REGION}/execute-api/aws4_request, SignedHeaders=`,
      ),
    );
    expect(request.body.includes('POST /payments')).toBe(true);
  },
);

needsCollector(
  'SamplingMode.COLLECTOR at ratio 0: the collector drops a plain span and keeps one marked sampling.priority',
  async () => {
    const { process, port } = await start('CollectorSampling/Fn', {
      exporterEndpoint: receiver.endpoint,
      jsonEncoding: true,
    });
    const dropped = await sendSpan(port, 'unsampled');
    const kept = await sendSpan(port, 'failed', { 'sampling.priority': 1 });
    await stopWhenExported(process);
    expect(receiver.trace(dropped)).toEqual([]);
    expect(receiver.trace(kept).map((s) => s.name)).toEqual(['failed']);
  },
);

needsCollector(
  "a secret the collector cannot read stops it from starting (in Lambda: the function's init fails)",
  async () => {
    const deployed = collector('OtlpHeaders/Fn');
    const local = localCollectorConfig(deployed.yaml, {
      ...(await collectorPorts()),
    });
    const env = { ...environmentOf(deployed), AWS_REGION: 'us-east-1' }; // the stand-in holds the secrets in eu-west-1
    const outcome = await validateCollectorConfig(local.yaml, env);
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/ResourceNotFoundException/);
  },
);

needsCollector(
  'a secret value is expanded by the collector too: a $ in a secret must be written $$ (README)',
  async () => {
    const held = new LocalSecretsManager(
      SECRETS.map((s) => (s.arn === WHOLE_ARN ? { ...s, secretString: 'x ${env:AWS_REGION} $$y' } : s)),
      REGION,
    );
    await held.start();
    try {
      const { process, port } = await start('OtlpHeaders/Fn', {
        exporterEndpoint: receiver.endpoint,
        env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: held.endpoint },
      });
      await sendSpan(port, 'expanded');
      await stopWhenExported(process);
      expect(receiver.requests[0].headers['x-whole']).toBe(`x ${REGION} $y`);
    } finally {
      await held.stop();
    }
  },
);

needsCollector(
  'a port taken between choosing it and starting: the collector starts again on other ports',
  async () => {
    const deployed = collector('Debug/Fn');
    // Hold a port, as another process of the machine would, and offer it first.
    const taken = createServer();
    await new Promise<void>((resolveListen) => taken.listen(0, '127.0.0.1', resolveListen));
    const takenPort = (taken.address() as AddressInfo).port;
    const offered: number[] = [];
    try {
      const { process, ports } = await startOnFreePorts(
        async () => {
          const free = await collectorPorts();
          const chosen = offered.length === 0 ? { ...free, httpPort: takenPort } : free;
          offered.push(chosen.httpPort);
          return chosen;
        },
        (chosen) =>
          new CollectorProcess(localCollectorConfig(deployed.yaml, chosen).yaml, environmentOf(deployed)),
      );
      await process.stop();
      expect(offered).toHaveLength(2);
      expect(offered[0]).toBe(takenPort);
      expect(ports.httpPort).toBe(offered[1]);
      expect(ports.httpPort).not.toBe(takenPort);
    } finally {
      await new Promise((resolveClose) => taken.close(resolveClose));
    }
  },
);
