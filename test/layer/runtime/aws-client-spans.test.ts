import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { traceAwsClient, traced } from '../../../layer/runtime';
import { LocalSecretsManager } from '../../../bin/local/local-secrets-manager';
import { StaticServer } from '../../../bin/local/local-server';
import { PARENT_SPAN_ID, TRACE_ID, httpApiEvent, lambdaContext, traceparent } from '../../helpers/events';
import { LocalAws, REGION } from '../../helpers/local-aws';
import { SPAN_KIND, STATUS, type ReceivedSpan } from '../../helpers/otlp-receiver';
import { closedPort, freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// Every AWS SDK v3 command that carries no message is a CLIENT span through traceAwsClient, with
// the attributes of the OpenTelemetry conventions for AWS SDK calls. Real clients send to local
// endpoints on 127.0.0.1 (the local run's DynamoDB/SQS stand-in and Secrets Manager stand-in, or
// a server a test sets up to answer one thing); spans arrive at a real OTLP receiver.

const receiver = useReceiver();
const aws = new LocalAws();
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };
let dynamodb: DynamoDBClient;

/** A server answering every request with one fixed response, and what came. */
class FixedServer extends StaticServer {
  readonly requests: { url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  constructor(status: number, headers: Record<string, string>, body: string) {
    super((req, reqBody, res: ServerResponse) => {
      this.requests.push({ url: req.url, headers: req.headers, body: reqBody });
      res.writeHead(status, headers).end(body);
    });
  }
}

beforeAll(async () => {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  await aws.start();
  dynamodb = traceAwsClient(new DynamoDBClient({ region: REGION, endpoint: aws.endpoint, credentials }));
});
afterAll(async () => {
  dynamodb.destroy();
  await aws.stop();
});
beforeEach(async () => {
  aws.clear();
  await freshRuntime(lambdaEnvironment(receiver.endpoint));
});

/** Runs `work` inside an invocation of a traced HTTP handler; returns what it returned. */
async function invoke<T>(work: () => Promise<T>): Promise<T> {
  let result!: T;
  await traced(async () => {
    result = await work();
    return { statusCode: 200 };
  })(httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID) } }), lambdaContext());
  return result;
}

/** The outcome of a call, to compare a traced client's with an untraced one's. */
async function outcome(call: () => Promise<unknown>): Promise<{ result?: unknown; error?: unknown }> {
  try {
    return { result: await call() };
  } catch (error) {
    return { error };
  }
}

const clientSpans = (): ReceivedSpan[] => receiver.spans.filter((s) => s.kind === SPAN_KIND.CLIENT);

function onlyClientSpan(): ReceivedSpan {
  const spans = clientSpans();
  expect(spans).toHaveLength(1);
  return spans[0];
}

const payment: PutItemCommandInput = {
  TableName: 'payments',
  Item: {
    paymentId: { S: 'p-1' },
    cardToken: { S: 'tok_secret_4242' },
    amount: { N: '1250' },
  },
};

describe('DynamoDB', () => {
  test('PutItem: a CLIENT span DynamoDB.PutItem, child of the invocation, with the conventions and no item', async () => {
    const output = await invoke(() => dynamodb.send(new PutItemCommand(payment)));
    const call = aws.only();
    expect(call.headers['x-amz-target']).toBe('DynamoDB_20120810.PutItem');
    // The request is what the caller asked for, the item as it was.
    expect(JSON.parse(call.body!)).toEqual(payment);
    expect(aws.tables.get('payments')).toEqual([payment.Item]);
    expect(output.$metadata).toMatchObject({ httpStatusCode: 200, requestId: call.requestId });

    const invocation = receiver.span('POST /payments');
    const span = onlyClientSpan();
    expect(span).toMatchObject({
      name: 'DynamoDB.PutItem',
      traceId: TRACE_ID,
      parentSpanId: invocation.spanId,
      status: { code: STATUS.UNSET },
    });
    expect(span.attributes).toEqual({
      'rpc.system': 'aws-api',
      'rpc.service': 'DynamoDB',
      'rpc.method': 'PutItem',
      'cloud.region': REGION,
      'aws.request_id': call.requestId,
      'http.response.status_code': 200,
      'aws.dynamodb.table_names': ['payments'],
    });
    expect(JSON.stringify(receiver.spans)).not.toMatch(/tok_secret_4242|1250/);
  });

  test('GetItem: the output is the one an untraced client gets; query attributes and consumed capacity, no item', async () => {
    const answer = {
      Item: { paymentId: { S: 'p-1' }, cardToken: { S: 'tok_secret_4242' } },
      ConsumedCapacity: { TableName: 'payments', CapacityUnits: 0.5 },
    };
    const server = new FixedServer(
      200,
      { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ-GET-1' },
      JSON.stringify(answer),
    );
    await server.start();
    const make = () => new DynamoDBClient({ region: REGION, endpoint: server.endpoint, credentials });
    const plain = make();
    const traced_ = traceAwsClient(make());
    try {
      const input = {
        TableName: 'payments',
        Key: { paymentId: { S: 'p-1' } },
        ConsistentRead: true,
        ProjectionExpression: 'paymentId, cardToken',
        ReturnConsumedCapacity: 'TOTAL' as const,
      };
      const untracedOutput = await plain.send(new GetItemCommand(input));
      const tracedOutput = await invoke(() => traced_.send(new GetItemCommand(input)));
      expect(tracedOutput).toEqual(untracedOutput);
      expect(tracedOutput.Item).toEqual(answer.Item);
      // The same request went out.
      expect(server.requests[1].body).toBe(server.requests[0].body);

      expect(onlyClientSpan().attributes).toEqual({
        'rpc.system': 'aws-api',
        'rpc.service': 'DynamoDB',
        'rpc.method': 'GetItem',
        'cloud.region': REGION,
        'aws.request_id': 'REQ-GET-1',
        'http.response.status_code': 200,
        'aws.dynamodb.table_names': ['payments'],
        'aws.dynamodb.consistent_read': true,
        'aws.dynamodb.projection': 'paymentId, cardToken',
        'aws.dynamodb.consumed_capacity': ['{"TableName":"payments","CapacityUnits":0.5}'],
      });
      expect(JSON.stringify(receiver.spans)).not.toContain('tok_secret_4242');
    } finally {
      plain.destroy();
      traced_.destroy();
      await server.stop();
    }
  });

  test('a failed call: the same error reaches the caller; the span ends with error.type, status, request id and HTTP status', async () => {
    const server = new FixedServer(
      400,
      { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ-COND-1' },
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
      }),
    );
    await server.start();
    const make = () => new DynamoDBClient({ region: REGION, endpoint: server.endpoint, credentials });
    const plain = make();
    const client = traceAwsClient(make());
    try {
      const input = { ...payment, ConditionExpression: 'attribute_not_exists(paymentId)' };
      const untraced = await outcome(() => plain.send(new PutItemCommand(input)));
      const tracedOutcome = await invoke(() => outcome(() => client.send(new PutItemCommand(input))));
      const error = tracedOutcome.error as Error & { $metadata: { requestId: string } };
      expect(error.name).toBe('ConditionalCheckFailedException');
      expect(error.constructor).toBe((untraced.error as Error).constructor);
      expect(error.message).toBe((untraced.error as Error).message);
      expect(error.$metadata.requestId).toBe('REQ-COND-1');

      const span = onlyClientSpan();
      expect(span).toMatchObject({
        name: 'DynamoDB.PutItem',
        status: { code: STATUS.ERROR, message: 'The conditional request failed' },
      });
      expect(span.attributes).toMatchObject({
        'error.type': 'ConditionalCheckFailedException',
        'aws.request_id': 'REQ-COND-1',
        'http.response.status_code': 400,
        'aws.dynamodb.table_names': ['payments'],
      });
      expect(span.events).toEqual([
        expect.objectContaining({
          name: 'exception',
          attributes: expect.objectContaining({ 'exception.type': 'ConditionalCheckFailedException' }),
        }),
      ]);
      expect(JSON.stringify(receiver.spans)).not.toContain('tok_secret_4242');
    } finally {
      plain.destroy();
      client.destroy();
      await server.stop();
    }
  });

  test('nothing answers: the span still ends, with the error; the caller gets the error an untraced client gets', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const make = () => new DynamoDBClient({ region: REGION, endpoint, credentials, maxAttempts: 1 });
    const plain = make();
    const client = traceAwsClient(make());
    try {
      const untraced = await outcome(() => plain.send(new QueryCommand({ TableName: 'payments', Limit: 5 })));
      const result = await invoke(() =>
        outcome(() => client.send(new QueryCommand({ TableName: 'payments', Limit: 5 }))),
      );
      expect(result.error).toBeInstanceOf(Error);
      expect((result.error as Error).message).toBe((untraced.error as Error).message);
      const span = onlyClientSpan();
      expect(span).toMatchObject({ name: 'DynamoDB.Query', status: { code: STATUS.ERROR } });
      expect(span.attributes).toMatchObject({
        'aws.dynamodb.table_names': ['payments'],
        'aws.dynamodb.limit': 5,
        'error.type': expect.any(String),
      });
      expect(span.attributes['http.response.status_code']).toBeUndefined();
    } finally {
      plain.destroy();
      client.destroy();
    }
  });
});

describe('other services: the attributes their conventions name, never a payload', () => {
  test('S3 PutObject: aws.s3.bucket and aws.s3.key, not the body', async () => {
    const server = new FixedServer(
      200,
      { etag: '"abc"', 'x-amz-request-id': 'S3REQ1', 'x-amz-id-2': 'S3EXT1' },
      '',
    );
    await server.start();
    const s3 = traceAwsClient(
      new S3Client({ region: REGION, endpoint: server.endpoint, credentials, forcePathStyle: true }),
    );
    try {
      const output = await invoke(() =>
        s3.send(
          new PutObjectCommand({ Bucket: 'receipts', Key: 'p-1.json', Body: '{"card":"tok_secret_4242"}' }),
        ),
      );
      expect(output.ETag).toBe('"abc"');
      expect(server.requests[0]).toMatchObject({ url: expect.stringMatching(/^\/receipts\/p-1\.json/) });
      expect(server.requests[0].body).toBe('{"card":"tok_secret_4242"}');
      const span = onlyClientSpan();
      expect(span.name).toBe('S3.PutObject');
      expect(span.attributes).toMatchObject({
        'rpc.system': 'aws-api',
        'rpc.service': 'S3',
        'rpc.method': 'PutObject',
        'cloud.region': REGION,
        'aws.s3.bucket': 'receipts',
        'aws.s3.key': 'p-1.json',
        'aws.request_id': 'S3REQ1',
        'aws.extended_request_id': 'S3EXT1',
        'http.response.status_code': 200,
      });
      expect(JSON.stringify(receiver.spans)).not.toContain('tok_secret_4242');
    } finally {
      s3.destroy();
      await server.stop();
    }
  });

  test('Secrets Manager GetSecretValue by name: aws.secretsmanager.secret.arn from the answer, never the secret', async () => {
    const arn = `arn:aws:secretsmanager:${REGION}:123456789012:secret:payments/api-key-AbCdEf`;
    const secrets = new LocalSecretsManager([{ arn, secretString: 'sk_live_very_secret' }], REGION);
    await secrets.start();
    const client = traceAwsClient(
      new SecretsManagerClient({ region: REGION, endpoint: secrets.endpoint, credentials }),
    );
    try {
      const output = await invoke(() =>
        client.send(new GetSecretValueCommand({ SecretId: 'payments/api-key' })),
      );
      expect(output.SecretString).toBe('sk_live_very_secret');
      const span = onlyClientSpan();
      expect(span.name).toBe('SecretsManager.GetSecretValue');
      expect(span.attributes).toMatchObject({
        'rpc.service': 'SecretsManager',
        'rpc.method': 'GetSecretValue',
        'aws.secretsmanager.secret.arn': arn,
        'http.response.status_code': 200,
      });
      expect(JSON.stringify(receiver.spans)).not.toContain('sk_live_very_secret');
    } finally {
      client.destroy();
      await secrets.stop();
    }
  });

  test("a messaging client's other command (SQS DeleteMessage) is a CLIENT span too; the request is untouched", async () => {
    const sqs = traceAwsClient(new SQSClient({ region: REGION, endpoint: aws.endpoint, credentials }));
    try {
      await invoke(() =>
        sqs.send(new DeleteMessageCommand({ QueueUrl: aws.queueUrl(), ReceiptHandle: 'rh-1' })),
      );
      expect(JSON.parse(aws.only().body!)).toEqual({ QueueUrl: aws.queueUrl(), ReceiptHandle: 'rh-1' });
      const span = onlyClientSpan();
      expect(span.name).toBe('SQS.DeleteMessage');
      expect(span.attributes).toMatchObject({ 'rpc.service': 'SQS', 'aws.sqs.queue.url': aws.queueUrl() });
      expect(receiver.spans.filter((s) => s.kind === SPAN_KIND.PRODUCER)).toEqual([]);
    } finally {
      sqs.destroy();
    }
  });
});

describe('the middleware never changes a call and never throws', () => {
  test('outside an invocation: no span, the call goes out as it is', async () => {
    await dynamodb.send(new PutItemCommand(payment));
    expect(JSON.parse(aws.only().body!)).toEqual(payment);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.spans).toEqual([]);
  });

  test.each([
    ['no input', undefined],
    ['an empty input', {}],
    ['a table name that is not a string', { TableName: 42, Item: { id: { S: '1' } } }],
    [
      'RequestItems, TransactItems and Item of the wrong shapes',
      { RequestItems: null, TransactItems: [1, null, { Put: 7 }], Item: 'x' },
    ],
    ['an input that is an array', [1, 2]],
  ])('odd input (%s): the same outcome as an untraced client, one span, ended', async (_name, input) => {
    const plain = new DynamoDBClient({ region: REGION, endpoint: aws.endpoint, credentials });
    try {
      const untraced = await outcome(() => plain.send(new PutItemCommand(input as never)));
      const tracedOutcome = await invoke(() =>
        outcome(() => dynamodb.send(new PutItemCommand(input as never))),
      );
      const strip = (o: { result?: unknown; error?: unknown }) =>
        o.error
          ? { error: [(o.error as Error).name, (o.error as Error).message] }
          : { result: { ...(o.result as object), $metadata: undefined } };
      expect(strip(tracedOutcome)).toEqual(strip(untraced));
      // Both requests (if any) went out the same.
      const bodies = aws.calls.map((c) => c.body);
      expect(bodies.length % 2).toBe(0);
      expect(bodies.slice(bodies.length / 2)).toEqual(bodies.slice(0, bodies.length / 2));
      const span = onlyClientSpan();
      expect(span.name).toBe('DynamoDB.PutItem');
      expect(span.status.code).toBe(tracedOutcome.error ? STATUS.ERROR : STATUS.UNSET);
    } finally {
      plain.destroy();
    }
  });

  test("a client without a region: the SDK's own error reaches the caller, the span ends without cloud.region", async () => {
    const saved = { ...process.env };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
    const plain = new DynamoDBClient({ endpoint: aws.endpoint, credentials });
    const client = traceAwsClient(new DynamoDBClient({ endpoint: aws.endpoint, credentials }));
    try {
      const untraced = await outcome(() => plain.send(new PutItemCommand(payment)));
      const result = await invoke(() => outcome(() => client.send(new PutItemCommand(payment))));
      expect(untraced.error).toBeInstanceOf(Error);
      expect((result.error as Error).message).toBe((untraced.error as Error).message);
      expect(aws.calls).toEqual([]);
      const span = onlyClientSpan();
      expect(span).toMatchObject({ name: 'DynamoDB.PutItem', status: { code: STATUS.ERROR } });
      expect(span.attributes['cloud.region']).toBeUndefined();
    } finally {
      plain.destroy();
      client.destroy();
      for (const key of ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  test('64 overlapping calls on one client, in one invocation: one span each, each with its own table and request id', async () => {
    const outputs = await invoke(() =>
      Promise.all(
        Array.from({ length: 64 }, (_, i) =>
          dynamodb.send(new PutItemCommand({ TableName: `t-${i}`, Item: { id: { S: String(i) } } })),
        ),
      ),
    );
    const invocation = receiver.span('POST /payments');
    const spans = clientSpans();
    expect(spans).toHaveLength(64);
    const requestIds = new Map(aws.calls.map((c) => [JSON.parse(c.body!).TableName as string, c.requestId]));
    for (const [i, output] of outputs.entries()) {
      const [span] = spans.filter(
        (s) => (s.attributes['aws.dynamodb.table_names'] as string[])[0] === `t-${i}`,
      );
      expect(span).toMatchObject({ traceId: TRACE_ID, parentSpanId: invocation.spanId });
      expect(span.attributes['aws.request_id']).toBe(requestIds.get(`t-${i}`));
      expect(output.$metadata.requestId).toBe(requestIds.get(`t-${i}`));
      expect(aws.tables.get(`t-${i}`)).toEqual([{ id: { S: String(i) } }]);
    }
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(64);
  });

  test('64 overlapping calls from 4 concurrent invocations on one client: each span under its own invocation', async () => {
    const traceIds = ['a', 'b', 'c', 'd'].map((c) => c.repeat(32));
    await Promise.all(
      traceIds.map((traceId) =>
        traced(async () => {
          await Promise.all(
            Array.from({ length: 16 }, (_, i) =>
              dynamodb.send(
                new PutItemCommand({ TableName: `${traceId.slice(0, 4)}-${i}`, Item: { id: { S: '1' } } }),
              ),
            ),
          );
          return { statusCode: 200 };
        })(httpApiEvent({ headers: { traceparent: traceparent(traceId, PARENT_SPAN_ID) } }), lambdaContext()),
      ),
    );
    const spans = clientSpans();
    expect(spans).toHaveLength(64);
    const invocations = receiver.spans.filter((s) => s.kind === SPAN_KIND.SERVER);
    expect(invocations.map((s) => s.traceId).sort()).toEqual(traceIds);
    for (const span of spans) {
      const table = (span.attributes['aws.dynamodb.table_names'] as string[])[0];
      const invocation = invocations.find((s) => s.traceId.startsWith(table.slice(0, 4)))!;
      expect(span).toMatchObject({ traceId: invocation.traceId, parentSpanId: invocation.spanId });
    }
  });
});
