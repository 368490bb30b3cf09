import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { processRecords, traceAwsClient, traced } from '../../../layer/runtime';
import { PARENT_SPAN_ID, TRACE_ID, httpApiEvent, lambdaContext, traceparent } from '../../helpers/events';
import {
  LocalAws,
  REGION,
  TOPIC_ARN,
  eventBridgeEvent,
  snsEnvelopeRecord,
  snsEvent,
  sqsEvent,
  sqsRecord,
  type WireMessage,
} from '../../helpers/local-aws';
import { SPAN_KIND, STATUS, type ReceivedSpan } from '../../helpers/otlp-receiver';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// Producer → wire → consumer, all real: a producer handler wrapped by traced() sends with real
// AWS SDK v3 clients (wrapped by traceAwsClient) to a local endpoint that captures the request;
// the captured message becomes the event Lambda would deliver; the consumer runs on it; the spans
// arrive over OTLP/HTTP at a local receiver.

const receiver = useReceiver();
const aws = new LocalAws();
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };
let sqs: SQSClient;
let sns: SNSClient;
let events: EventBridgeClient;

beforeAll(async () => {
  await aws.start();
  sqs = traceAwsClient(new SQSClient({ region: REGION, endpoint: aws.endpoint, credentials }));
  sns = traceAwsClient(new SNSClient({ region: REGION, endpoint: aws.endpoint, credentials }));
  events = traceAwsClient(new EventBridgeClient({ region: REGION, endpoint: aws.endpoint, credentials }));
});
afterAll(async () => {
  sqs.destroy();
  sns.destroy();
  events.destroy();
  await aws.stop();
});
beforeEach(async () => {
  aws.clear();
  await freshRuntime(lambdaEnvironment(receiver.endpoint));
});

/** Runs `send` inside an invocation of a traced HTTP handler whose caller sent `parent`. */
async function produce(
  send: () => Promise<unknown>,
  parent = traceparent(TRACE_ID, PARENT_SPAN_ID),
  tracestate?: string,
) {
  const headers: Record<string, string> = { traceparent: parent };
  if (tracestate) headers.tracestate = tracestate;
  await traced(async () => {
    await send();
    return { statusCode: 202 };
  })(httpApiEvent({ headers }), lambdaContext());
}

/** A consumer of SQS batches that records what it saw and fails the records `fail` picks. */
function sqsConsumer(fail: (record: SQSRecord) => boolean = () => false) {
  const seen: string[] = [];
  const handler = traced(async (event: SQSEvent) =>
    processRecords(event, async (record) => {
      seen.push(record.messageId);
      if (fail(record)) throw new Error(`cannot reconcile ${record.messageId}`);
    }),
  );
  return { seen, handler };
}

const attrs = (n: number): Record<string, MessageAttributeValue> =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`attr${i}`, { DataType: 'String', StringValue: `value-${i}` }]),
  );

function producerSpan(): ReceivedSpan {
  const found = receiver.spans.filter((s) => s.kind === SPAN_KIND.PRODUCER);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('SQS: SendMessage → SQS → Lambda', () => {
  test('one trace from the producer to each record; the batch span links the messages', async () => {
    await produce(() =>
      sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl(), MessageBody: '{"paymentId":"p-1"}' })),
    );
    const invocation = receiver.span('POST /payments');
    const producer = producerSpan();
    expect(producer).toMatchObject({
      name: 'send reconciliation',
      traceId: TRACE_ID,
      parentSpanId: invocation.spanId,
    });
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'aws_sqs',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'reconciliation',
      'rpc.system': 'aws-api',
      'rpc.service': 'SQS',
      'rpc.method': 'SendMessage',
    });
    expect(producer.attributes['messaging.message.id']).toMatch(/^[0-9a-f-]{36}$/);
    const [message] = aws.only().messages;
    expect(message.attributes).toEqual({
      traceparent: { DataType: 'String', StringValue: `00-${TRACE_ID}-${producer.spanId}-01` },
    });

    receiver.clear();
    const { seen, handler } = sqsConsumer();
    const event = sqsEvent([sqsRecord(message), sqsRecord(message)]);
    expect(await handler(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(event.Records.map((r) => r.messageId));

    const batch = receiver.spans.find((s) => s.attributes['messaging.batch.message_count'] === 2)!;
    expect(batch).toMatchObject({ name: 'process reconciliation', kind: SPAN_KIND.CONSUMER });
    // Both messages are of one trace: the batch continues it (a child of the send), linked too.
    expect(batch).toMatchObject({ traceId: TRACE_ID, parentSpanId: producer.spanId });
    expect(batch.attributes).toMatchObject({
      'faas.trigger': 'pubsub',
      'messaging.system': 'aws_sqs',
      'messaging.batch.message_count': 2,
    });
    expect(batch.links.map((l) => [l.traceId, l.spanId])).toEqual([
      [TRACE_ID, producer.spanId],
      [TRACE_ID, producer.spanId],
    ]);
    const records = receiver.spans.filter((s) => s !== batch);
    expect(records).toHaveLength(2);
    for (const [i, record] of records.entries()) {
      expect(record).toMatchObject({
        kind: SPAN_KIND.CONSUMER,
        traceId: TRACE_ID,
        parentSpanId: producer.spanId,
      });
      expect(record.attributes).toMatchObject({
        'messaging.message.id': event.Records[i].messageId,
        'serverless_tracing.context_source': 'message-attributes',
      });
      expect(record.links).toEqual([
        expect.objectContaining({ traceId: batch.traceId, spanId: batch.spanId }),
      ]);
    }
  });

  test('tracestate travels with traceparent', async () => {
    await produce(
      () => sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl(), MessageBody: 'x' })),
      traceparent(TRACE_ID, PARENT_SPAN_ID),
      'vendor=abc',
    );
    expect(aws.only().messages[0].attributes.tracestate).toEqual({
      DataType: 'String',
      StringValue: 'vendor=abc',
    });
  });

  test('the AWSTraceHeader system attribute is the fallback when Sampled=1, ignored when Sampled=0', async () => {
    const { handler } = sqsConsumer();
    const plain = { body: 'no context', attributes: {} };
    const sampled = sqsRecord(plain, {
      awsTraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    });
    const unsampled = sqsRecord(plain, {
      awsTraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272794;Parent=53995c3f42cd8ad8;Sampled=0',
    });
    await handler(sqsEvent([sampled, unsampled]), lambdaContext());
    const byId = (id: string) => receiver.spans.find((s) => s.attributes['messaging.message.id'] === id)!;
    expect(byId(sampled.messageId)).toMatchObject({
      traceId: '5759e988bd862e3fe1be46a994272793',
      parentSpanId: '53995c3f42cd8ad8',
    });
    expect(byId(sampled.messageId).attributes['serverless_tracing.context_source']).toBe('aws-trace-header');
    // No usable context: the record joins the invocation's own trace.
    const batch = receiver.spans.find((s) => s.attributes['messaging.batch.message_count'] === 2)!;
    expect(byId(unsampled.messageId)).toMatchObject({ traceId: batch.traceId, parentSpanId: batch.spanId });
    expect(byId(unsampled.messageId).attributes['serverless_tracing.context_source']).toBe('none');
    expect(batch.links).toEqual([expect.objectContaining({ traceId: '5759e988bd862e3fe1be46a994272793' })]);
  });
});

describe('SNS', () => {
  async function publishOne(): Promise<{ message: WireMessage; producer: ReceivedSpan }> {
    await produce(() =>
      sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: '{"paymentId":"p-2"}' })),
    );
    const producer = producerSpan();
    const [message] = aws.only().messages;
    receiver.clear();
    return { message, producer };
  }

  test('Publish: a PRODUCER span and traceparent in the SNS message attributes', async () => {
    await produce(() => sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'm' })));
    const producer = producerSpan();
    expect(producer.name).toBe('publish payments');
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'aws.sns',
      'messaging.destination.name': 'payments',
      'rpc.method': 'Publish',
    });
    expect(aws.only().messages[0].attributes.traceparent.StringValue).toBe(
      `00-${TRACE_ID}-${producer.spanId}-01`,
    );
  });

  test('SNS → Lambda: the message is the parent of the invocation span', async () => {
    const { message, producer } = await publishOne();
    const seen: unknown[] = [];
    await traced(async (event: unknown) => seen.push(event))(snsEvent(message), lambdaContext());
    const invocation = receiver.span('process payments');
    expect(invocation).toMatchObject({
      kind: SPAN_KIND.CONSUMER,
      traceId: TRACE_ID,
      parentSpanId: producer.spanId,
    });
    expect(invocation.attributes).toMatchObject({ 'faas.trigger': 'pubsub', 'messaging.system': 'aws.sns' });
    expect(seen).toHaveLength(1);
  });

  test('SNS → SQS with raw delivery: the SNS attributes are SQS attributes', async () => {
    const { message, producer } = await publishOne();
    const { handler } = sqsConsumer();
    await handler(sqsEvent([sqsRecord(message)]), lambdaContext());
    const record = receiver.spans.find((s) => s.parentSpanId === producer.spanId)!;
    expect(record).toMatchObject({ name: 'process reconciliation', traceId: TRACE_ID });
    expect(record.attributes['serverless_tracing.context_source']).toBe('message-attributes');
  });

  test('SNS → SQS without raw delivery: the context is read from the envelope in the body', async () => {
    const { message, producer } = await publishOne();
    const { handler } = sqsConsumer();
    const audit = 'arn:aws:sqs:eu-west-1:123456789012:audit';
    const record = snsEnvelopeRecord(message, audit);
    expect(record.messageAttributes).toEqual({});
    await handler(sqsEvent([record]), lambdaContext());
    const span = receiver.spans.find((s) => s.parentSpanId === producer.spanId)!;
    expect(span).toMatchObject({ name: 'process audit', traceId: TRACE_ID });
    expect(span.attributes['serverless_tracing.context_source']).toBe('sns-envelope');
    const batch = receiver.spans.find((s) => s.attributes['messaging.batch.message_count'] === 1)!;
    expect(batch.name).toBe('process audit');
    expect(batch.links).toEqual([expect.objectContaining({ traceId: TRACE_ID, spanId: producer.spanId })]);
  });

  test('PublishBatch: every entry carries the context', async () => {
    await produce(() =>
      sns.send(
        new PublishBatchCommand({
          TopicArn: TOPIC_ARN,
          PublishBatchRequestEntries: [
            { Id: 'a', Message: 'one' },
            { Id: 'b', Message: 'two', MessageAttributes: attrs(3) },
          ],
        }),
      ),
    );
    const producer = producerSpan();
    expect(producer.attributes['messaging.batch.message_count']).toBe(2);
    const [a, b] = aws.only().messages;
    expect(a.attributes.traceparent.StringValue).toBe(`00-${TRACE_ID}-${producer.spanId}-01`);
    expect(b.attributes.traceparent.StringValue).toBe(`00-${TRACE_ID}-${producer.spanId}-01`);
    expect(Object.keys(b.attributes).sort()).toEqual(['attr0', 'attr1', 'attr2', 'traceparent']);
  });

  test('an SMS publish (PhoneNumber) is sent without context', async () => {
    await produce(() => sns.send(new PublishCommand({ PhoneNumber: '+15555550100', Message: 'code 1234' })));
    expect(aws.only().messages[0].attributes).toEqual({});
  });
});

describe('EventBridge', () => {
  test('PutEvents: context in Detail._tracecontext, removed before the consumer sees the event', async () => {
    await produce(() =>
      events.send(
        new PutEventsCommand({
          Entries: [
            { Source: 'payments', DetailType: 'PaymentAuthorized', Detail: '{"paymentId":"p-3"}' },
            { Source: 'payments', DetailType: 'PaymentAuthorized', Detail: '[1,2]' },
          ],
        }),
      ),
    );
    const producer = producerSpan();
    expect(producer.name).toBe('publish default');
    expect(producer.events).toEqual([
      expect.objectContaining({
        name: 'serverless_tracing.context_not_injected',
        attributes: expect.objectContaining({ reason: 'Detail is not a JSON object' }),
      }),
    ]);
    const [first, second] = aws.only().messages;
    expect(JSON.parse(first.body)).toEqual({
      paymentId: 'p-3',
      _tracecontext: { traceparent: `00-${TRACE_ID}-${producer.spanId}-01` },
    });
    expect(second.body).toBe('[1,2]');

    receiver.clear();
    const details: unknown[] = [];
    await traced(async (event: { detail: unknown }) => details.push(event.detail))(
      eventBridgeEvent(first),
      lambdaContext(),
    );
    expect(details).toEqual([{ paymentId: 'p-3' }]);
    expect(receiver.span('process PaymentAuthorized')).toMatchObject({
      kind: SPAN_KIND.CONSUMER,
      traceId: TRACE_ID,
      parentSpanId: producer.spanId,
    });
  });
});

describe('the 10-attribute limit and the user attributes', () => {
  test.each([
    [0, ['traceparent', 'tracestate']],
    [8, ['traceparent', 'tracestate']],
    [9, ['traceparent']],
    [10, []],
  ])(
    '%i user attributes: context added as far as it fits, user attributes unchanged',
    async (count, added) => {
      const user = attrs(count);
      const input = { QueueUrl: aws.queueUrl(), MessageBody: 'x', MessageAttributes: user };
      await produce(
        () => sqs.send(new SendMessageCommand(input)),
        traceparent(TRACE_ID, PARENT_SPAN_ID),
        'vendor=abc',
      );
      const sent = aws.only().messages[0].attributes;
      expect(Object.keys(sent).sort()).toEqual([...Object.keys(user), ...added].sort());
      for (const [name, value] of Object.entries(user)) expect(sent[name]).toEqual(value);
      expect(Object.keys(sent).length).toBeLessThanOrEqual(10);
      // The caller's input object is never modified.
      expect(input.MessageAttributes).toBe(user);
      expect(Object.keys(user)).toHaveLength(count);
      const reasons = producerSpan().events.map((e) => e.attributes.reason);
      if (added.length === 2) expect(reasons).toEqual([]);
      if (added.length === 1) expect(reasons).toEqual([expect.stringContaining('tracestate left out')]);
      if (added.length === 0)
        expect(reasons).toEqual([expect.stringContaining('would pass the limit of 10')]);
    },
  );

  test('a traceparent the user set is never overwritten', async () => {
    const own = { DataType: 'String', StringValue: traceparent('1'.repeat(32), '2'.repeat(16)) };
    await produce(() =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: aws.queueUrl(),
          MessageBody: 'x',
          MessageAttributes: { traceparent: own },
        }),
      ),
    );
    expect(aws.only().messages[0].attributes).toEqual({ traceparent: own });
    expect(producerSpan().events[0].attributes.reason).toBe('message already has a traceparent');
  });

  test('SendMessageBatch: per entry, with mixed attribute counts', async () => {
    await produce(() =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: aws.queueUrl(),
          Entries: [
            { Id: 'none', MessageBody: 'a' },
            { Id: 'nine', MessageBody: 'b', MessageAttributes: attrs(9) },
            { Id: 'ten', MessageBody: 'c', MessageAttributes: attrs(10) },
          ],
        }),
      ),
    );
    const producer = producerSpan();
    expect(producer.attributes['messaging.batch.message_count']).toBe(3);
    const [none, nine, ten] = aws.only().messages;
    const expected = { DataType: 'String', StringValue: `00-${TRACE_ID}-${producer.spanId}-01` };
    expect(none.attributes).toEqual({ traceparent: expected });
    expect(nine.attributes).toEqual({ ...attrs(9), traceparent: expected });
    expect(ten.attributes).toEqual(attrs(10));
    expect(producer.events).toEqual([
      expect.objectContaining({ attributes: expect.objectContaining({ 'messaging.batch.entry_id': 'ten' }) }),
    ]);
  });
});

describe('what the middleware leaves alone', () => {
  test('another SQS command passes through untouched: its request as sent, a CLIENT span, no PRODUCER span', async () => {
    await produce(() =>
      sqs.send(new DeleteMessageCommand({ QueueUrl: aws.queueUrl(), ReceiptHandle: 'rh-1' })),
    );
    const call = aws.only();
    expect(call.action).toBe('DeleteMessage');
    expect(JSON.parse(call.messages[0].body)).toEqual({ QueueUrl: aws.queueUrl(), ReceiptHandle: 'rh-1' });
    expect(receiver.spans.filter((s) => s.kind === SPAN_KIND.PRODUCER)).toHaveLength(0);
    expect(receiver.spans.filter((s) => s.kind === SPAN_KIND.CLIENT).map((s) => s.name)).toEqual([
      'SQS.DeleteMessage',
    ]);
  });

  test('a send outside an invocation goes out without context', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl(), MessageBody: 'x' }));
    expect(aws.only().messages[0].attributes).toEqual({});
  });

  test('a failing send: the producer span is an error and the very same error reaches the caller', async () => {
    const broken = traceAwsClient(
      new SQSClient({ region: REGION, endpoint: 'http://127.0.0.1:9', credentials, maxAttempts: 1 }),
    );
    let caught: unknown;
    await produce(async () => {
      try {
        await broken.send(new SendMessageCommand({ QueueUrl: 'http://127.0.0.1:9/1/q', MessageBody: 'x' }));
      } catch (error) {
        caught = error;
      }
    });
    broken.destroy();
    expect(caught).toBeInstanceOf(Error);
    const producer = producerSpan();
    expect(producer.status.code).toBe(STATUS.ERROR);
    expect(producer.events[0]).toMatchObject({
      name: 'exception',
      attributes: expect.objectContaining({ 'exception.message': (caught as Error).message }),
    });
  });

  test('wrapping the same client twice adds the middleware once', async () => {
    traceAwsClient(sqs);
    await produce(() => sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl(), MessageBody: 'x' })));
    expect(receiver.spans.filter((s) => s.kind === SPAN_KIND.PRODUCER)).toHaveLength(1);
  });
});
