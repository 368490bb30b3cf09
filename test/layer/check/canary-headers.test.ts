import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { XRayClient } from '@aws-sdk/client-xray';
import { LocalSecretsManager } from '../../../bin/local/local-secrets-manager';
import type { TraceMapDocument } from '../../../layer/check';
import { CANARY_ENV, createCanaryHandler } from '../../../layer/check/canary-handler';
import {
  fixture,
  LocalEndpoint,
  localClientConfig,
  LogsInsightsStandIn,
  sentIds,
  spanLogEvents,
  withIds,
  type Answer,
  type RecordedRequest,
} from './local-endpoint';

// The canary's handler reading a Jaeger query API with headers, plain and from Secrets Manager
// (the local stand-in of bin/local), and reading aws/spans with Logs Insights: the real clients,
// local endpoints.

const map = fixture<TraceMapDocument>('trace-map.json');
const jaegerAnswer = JSON.stringify(fixture('jaeger-trace.json'));
const SCHEDULED = '2026-11-21T05:45:00Z';
const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jaeger-token-AbCdEf';
const PLAIN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jaeger-key-GhIjKl';
const GONE_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-MnOpQr';
const TOKEN = 'Bearer s3cr3t-t0ken';

const invocations: RecordedRequest[] = [];
const lastIds = () => sentIds(invocations[invocations.length - 1]);
const logsInsights = new LogsInsightsStandIn((traceId) =>
  invocations.length > 0 && traceId === lastIds().traceId ? spanLogEvents(lastIds()) : [],
);
const endpoint = new LocalEndpoint((request): Answer => {
  if (request.url.startsWith('/2015-03-31/functions/')) {
    invocations.push(request);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"statusCode":201}' };
  }
  if (request.url.startsWith('/jaeger/api/traces/')) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: withIds(jaegerAnswer, lastIds(), 'w3c'),
    };
  }
  if (request.headers['x-amz-target'] === 'GraniteServiceVersion20100801.PutMetricData') {
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
  }
  return logsInsights.handle(request) ?? { status: 404, body: '' };
});
let secretString = JSON.stringify({ authorization: TOKEN });
const secrets = new LocalSecretsManager(
  [
    {
      arn: TOKEN_ARN,
      get secretString() {
        return secretString;
      },
    },
    { arn: PLAIN_ARN, secretString: 'k3y-v4lue' },
  ],
  'eu-west-1',
);

let clients: {
  lambda: LambdaClient;
  xray: XRayClient;
  cloudWatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  secretsManager: SecretsManagerClient;
};
const lines: string[] = [];

beforeAll(async () => {
  const url = await endpoint.start();
  const secretsUrl = await secrets.start();
  clients = {
    lambda: new LambdaClient(localClientConfig(url)),
    xray: new XRayClient(localClientConfig(url)),
    cloudWatch: new CloudWatchClient(localClientConfig(url)),
    logs: new CloudWatchLogsClient(localClientConfig(url)),
    secretsManager: new SecretsManagerClient(localClientConfig(secretsUrl)),
  };
});

afterAll(async () => {
  for (const client of Object.values(clients)) client.destroy();
  await Promise.all([endpoint.stop(), secrets.stop()]);
});

beforeEach(() => {
  endpoint.requests.length = 0;
  secrets.requests.length = 0;
  invocations.length = 0;
  lines.length = 0;
  logsInsights.reset();
  secretString = JSON.stringify({ authorization: TOKEN });
});

function handler(env: Record<string, string>) {
  let now = Date.parse('2026-11-21T05:45:02Z');
  return createCanaryHandler({
    lambda: clients.lambda,
    xray: () => clients.xray,
    logs: () => clients.logs,
    secretsManager: () => clients.secretsManager,
    cloudWatch: clients.cloudWatch,
    env: {
      [CANARY_ENV.FUNCTION_NAME]: 'Prod-Payments-AuthorizeD8507075-kG4mNp7QxR2s',
      [CANARY_ENV.ENTRY]: 'Prod/Payments/Authorize',
      [CANARY_ENV.MAP]: JSON.stringify(map),
      [CANARY_ENV.TIMEOUT_MS]: '20000',
      [CANARY_ENV.POLL_INTERVAL_MS]: '5000',
      [CANARY_ENV.METRIC_NAMESPACE]: 'CdkServerlessTracing',
      ...env,
    },
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    log: (line) => lines.push(line),
  });
}

const jaegerEnv = () => ({
  [CANARY_ENV.BACKEND]: `jaeger=${endpoint.url}/jaeger`,
  [CANARY_ENV.HEADERS]: 'x-scope-orgid=payments%2Cprod',
  [CANARY_ENV.HEADER_SECRETS]: JSON.stringify([
    { header: 'Authorization', secret: TOKEN_ARN, field: 'authorization' },
    { header: 'X-Api-Key', secret: PLAIN_ARN },
  ]),
});

const jaegerReads = () => endpoint.requests.filter((r) => r.url.startsWith('/jaeger/'));
const published = () =>
  endpoint.requests
    .filter((r) => r.headers['x-amz-target'] === 'GraniteServiceVersion20100801.PutMetricData')
    .map((r) => (JSON.parse(r.body) as { MetricData: { MetricName: string; Value: number }[] }).MetricData);

test('Jaeger with headers from the environment and Secrets Manager: sent with every read, read once, never logged', async () => {
  const run = handler(jaegerEnv());
  await expect(run({ time: SCHEDULED })).resolves.toMatchObject({ ok: true, status: 'complete' });
  expect(jaegerReads().length).toBeGreaterThan(0);
  for (const read of jaegerReads()) {
    expect(read.headers).toMatchObject({
      authorization: TOKEN,
      'x-api-key': 'k3y-v4lue',
      'x-scope-orgid': 'payments,prod',
    });
  }
  // Each secret read once, by its ARN, in the canary's region.
  expect(secrets.requests).toEqual([
    { secretId: TOKEN_ARN, signedRegion: 'eu-west-1', signedService: 'secretsmanager' },
    { secretId: PLAIN_ARN, signedRegion: 'eu-west-1', signedService: 'secretsmanager' },
  ]);

  // The next run (same cold start) does not read them again.
  await run({ time: SCHEDULED });
  expect(secrets.requests).toHaveLength(2);
  expect(lines.join('\n')).not.toMatch(/s3cr3t|k3y-v4lue/);
});

test('an unreadable secret: every hop missing, then an error naming the secret and the header, never a value', async () => {
  const run = handler({
    ...jaegerEnv(),
    [CANARY_ENV.HEADER_SECRETS]: JSON.stringify([
      { header: 'X-Api-Key', secret: PLAIN_ARN },
      { header: 'Authorization', secret: GONE_ARN },
    ]),
  });
  await expect(run({ time: SCHEDULED })).rejects.toThrow(
    `the secret ${GONE_ARN} of header 'Authorization' could not be read (ResourceNotFoundException: Secrets Manager can't find the specified secret.)`,
  );
  expect(published()).toEqual([
    [
      expect.objectContaining({ MetricName: 'MissingHops', Value: 5 }),
      expect.objectContaining({ MetricName: 'TraceFound', Value: 0 }),
    ],
  ]);
  expect(invocations).toEqual([]);
  expect(JSON.parse(lines[0])).toMatchObject({
    level: 'ERROR',
    message: 'the trace check could not run',
    error: expect.stringContaining(`the secret ${GONE_ARN} of header 'Authorization' could not be read`),
  });
  expect(lines.join('\n')).not.toContain('k3y-v4lue');
});

test('a secret that is not JSON, or without the field: the error names the field, never the value; read again after', async () => {
  const run = handler(jaegerEnv());
  secretString = 'Bearer s3cr3t-plain';
  await expect(run({ time: SCHEDULED })).rejects.toThrow(
    `the secret ${TOKEN_ARN} of header 'Authorization' is not JSON, so it has no field 'authorization'`,
  );
  secretString = JSON.stringify({ other: 's3cr3t' });
  await expect(run({ time: SCHEDULED })).rejects.toThrow(
    `the secret ${TOKEN_ARN} of header 'Authorization' has no field 'authorization' holding a string or a number`,
  );
  secretString = JSON.stringify({ authorization: 'Bearer s3cr3t\r\nX-Injected: 1' });
  await expect(run({ time: SCHEDULED })).rejects.toThrow(
    `the value of header 'Authorization' from secret ${TOKEN_ARN} has a control character (CR or LF, say)`,
  );
  // Fixed: the next run reads the secret again and runs.
  secretString = JSON.stringify({ authorization: TOKEN });
  await expect(run({ time: SCHEDULED })).resolves.toMatchObject({ ok: true });
  expect(secrets.requests.filter((r) => r.secretId === TOKEN_ARN)).toHaveLength(4);
  expect(lines.join('\n')).not.toContain('s3cr3t');
});

test('logs-insights: the canary reads aws/spans with its CloudWatch Logs client', async () => {
  logsInsights.pending = ['Running'];
  const summary = await handler({ [CANARY_ENV.BACKEND]: 'logs-insights' })({ time: SCHEDULED });
  expect(summary).toMatchObject({ ok: true, status: 'complete', missingHops: 0 });
  const [query] = [...logsInsights.queries.values()];
  expect(query).toMatchObject({ logGroupName: 'aws/spans', traceIds: [summary.traceId, expect.any(String)] });
});
