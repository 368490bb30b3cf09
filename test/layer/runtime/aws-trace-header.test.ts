import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { processRecords, traceAwsClient, traced } from '../../../layer/runtime';
import { PARENT_SPAN_ID, TRACE_ID, httpApiEvent, lambdaContext, traceparent } from '../../helpers/events';
import { LocalAws, QUEUE_ARN, REGION, TOPIC_ARN } from '../../helpers/local-aws';
import { SPAN_KIND, STATUS, isSampled, type ReceivedSpan } from '../../helpers/otlp-receiver';
import { freshRuntime, lambdaEnvironment, useReceiver } from '../../helpers/runtime';

// SQS allows 10 message attributes. When a message's own attributes fill that budget,
// traceAwsClient carries the context in the AWSTraceHeader message system attribute (X-Ray
// format, outside the budget), and the consumer reads it back as the same W3C trace. All real:
// SDK v3 clients on a local endpoint that decodes SQS's JSON protocol (and, as SQS does, keeps
// AWSTraceHeader for the record Lambda delivers), spans read from an OTLP receiver.

const receiver = useReceiver();
const aws = new LocalAws();
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };
let sqs: SQSClient;
let sns: SNSClient;

/** The X-Ray header of a W3C trace id and span id: `1-<first 8 hex>-<other 24>`. */
const xrayHeader = (traceId: string, spanId: string, sampled: boolean): string =>
  `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${spanId};Sampled=${sampled ? 1 : 0}`;

const attrs = (n: number): Record<string, MessageAttributeValue> =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`attr${i}`, { DataType: 'String', StringValue: `value-${i}` }]),
  );

beforeAll(async () => {
  await aws.start();
  sqs = traceAwsClient(new SQSClient({ region: REGION, endpoint: aws.endpoint, credentials }));
  sns = traceAwsClient(new SNSClient({ region: REGION, endpoint: aws.endpoint, credentials }));
});
afterAll(async () => {
  sqs.destroy();
  sns.destroy();
  await aws.stop();
});
beforeEach(async () => {
  aws.clear();
  await freshRuntime(lambdaEnvironment(receiver.endpoint));
});

/** Runs `send` inside an invocation of a traced HTTP handler whose caller sent `parent`. */
async function produce(send: () => Promise<unknown>, parent = traceparent(TRACE_ID, PARENT_SPAN_ID)) {
  await traced(async () => {
    await send();
    return { statusCode: 202 };
  })(httpApiEvent({ headers: { traceparent: parent } }), lambdaContext());
}

/** Runs a processRecords consumer on what the queue holds; fails the records `fail` picks. */
async function consume(fail: (record: SQSRecord) => boolean = () => false): Promise<SQSEvent> {
  const event = aws.receive(QUEUE_ARN)!;
  await traced(async (e: SQSEvent) =>
    processRecords(e, async (record) => {
      if (fail(record)) throw new Error(`cannot reconcile ${record.messageId}`);
    }),
  )(event, lambdaContext());
  return event;
}

function producerSpan(): ReceivedSpan {
  const found = receiver.spans.filter((s) => s.kind === SPAN_KIND.PRODUCER);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The request body the SDK sent, as SQS's JSON protocol has it. */
function wireBody(): {
  MessageAttributes?: Record<string, MessageAttributeValue>;
  MessageSystemAttributes?: Record<string, MessageAttributeValue>;
  Entries?: {
    Id: string;
    MessageAttributes?: Record<string, MessageAttributeValue>;
    MessageSystemAttributes?: Record<string, MessageAttributeValue>;
  }[];
} {
  const call = aws.only();
  expect(call.headers['x-amz-target']).toMatch(/^AmazonSQS\.SendMessage(Batch)?$/);
  expect(call.headers['content-type']).toBe('application/x-amz-json-1.0');
  return JSON.parse(call.body!);
}

describe('SendMessage with a full attribute budget: the context goes into AWSTraceHeader', () => {
  test('sampled: the wire has AWSTraceHeader (X-Ray format); the consumer continues the same trace', async () => {
    const input = {
      QueueUrl: aws.queueUrl(),
      MessageBody: '{"paymentId":"p-1"}',
      MessageAttributes: attrs(10),
    };
    await produce(() => sqs.send(new SendMessageCommand(input)));
    const producer = producerSpan();

    const body = wireBody();
    expect(body.MessageAttributes).toEqual(attrs(10));
    expect(body.MessageSystemAttributes).toEqual({
      AWSTraceHeader: { DataType: 'String', StringValue: xrayHeader(TRACE_ID, producer.spanId, true) },
    });
    // The caller's input is not modified.
    expect(input).toEqual({
      QueueUrl: aws.queueUrl(),
      MessageBody: '{"paymentId":"p-1"}',
      MessageAttributes: attrs(10),
    });
    expect(producer.events).toEqual([
      {
        name: 'serverless_tracing.context_in_aws_trace_header',
        attributes: { reason: 'message has 10 attributes; traceparent would pass the limit of 10' },
      },
    ]);

    receiver.clear();
    const event = await consume();
    expect(event.Records[0].attributes.AWSTraceHeader).toBe(xrayHeader(TRACE_ID, producer.spanId, true));
    const record = receiver.spans.find(
      (s) => s.attributes['messaging.message.id'] === event.Records[0].messageId,
    )!;
    expect(record).toMatchObject({
      kind: SPAN_KIND.CONSUMER,
      traceId: TRACE_ID,
      parentSpanId: producer.spanId,
    });
    expect(isSampled(record)).toBe(true);
    expect(record.attributes['serverless_tracing.context_source']).toBe('aws-trace-header');
  });

  test('not sampled: Sampled=0 on the wire; the consumer keeps the trace id unsampled, and a failed record is kept in it', async () => {
    await produce(
      () =>
        sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: aws.queueUrl(),
            Entries: [
              { Id: 'ok', MessageBody: 'a', MessageAttributes: attrs(10) },
              { Id: 'bad', MessageBody: 'b', MessageAttributes: attrs(10) },
            ],
          }),
        ),
      traceparent(TRACE_ID, PARENT_SPAN_ID, false),
    );
    // Nothing failed in the producer: its unsampled spans are not exported.
    expect(receiver.spans).toEqual([]);
    const headers = wireBody().Entries!.map((e) => e.MessageSystemAttributes?.AWSTraceHeader?.StringValue);
    const parent = /;Parent=([0-9a-f]{16});/.exec(headers[0]!)![1];
    expect(headers).toEqual([xrayHeader(TRACE_ID, parent, false), xrayHeader(TRACE_ID, parent, false)]);

    const event = await consume((record) => record.body === 'b');
    const [ok, bad] = event.Records;
    // Only the failed record is exported (keep errors), in the producer's trace, under its span.
    const spans = receiver.spans.filter((s) => s.attributes['messaging.message.id'] !== undefined);
    expect(spans.map((s) => s.attributes['messaging.message.id'])).toEqual([bad.messageId]);
    expect(spans[0]).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: parent,
      status: { code: STATUS.ERROR },
    });
    expect(isSampled(spans[0])).toBe(false);
    expect(spans[0].attributes['serverless_tracing.context_source']).toBe('aws-trace-header');
    expect(receiver.spans.some((s) => s.attributes['messaging.message.id'] === ok.messageId)).toBe(false);
  });

  test('SendMessageBatch, per entry: traceparent where it fits, AWSTraceHeader where not, a user AWSTraceHeader kept', async () => {
    const own = {
      DataType: 'String',
      StringValue: xrayHeader('5759e988bd862e3fe1be46a994272793', '53995c3f42cd8ad8', true),
    };
    await produce(() =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: aws.queueUrl(),
          Entries: [
            { Id: 'room', MessageBody: 'a', MessageAttributes: attrs(3) },
            { Id: 'full', MessageBody: 'b', MessageAttributes: attrs(10) },
            {
              Id: 'own',
              MessageBody: 'c',
              MessageAttributes: attrs(10),
              MessageSystemAttributes: { AWSTraceHeader: own },
            },
            {
              Id: 'room-own',
              MessageBody: 'd',
              MessageAttributes: attrs(2),
              MessageSystemAttributes: { AWSTraceHeader: own },
            },
          ],
        }),
      ),
    );
    const producer = producerSpan();
    const [room, full, ownFull, roomOwn] = wireBody().Entries!;
    const w3c = { DataType: 'String', StringValue: `00-${TRACE_ID}-${producer.spanId}-01` };
    expect(room.MessageAttributes).toEqual({ ...attrs(3), traceparent: w3c });
    expect(room.MessageSystemAttributes).toBeUndefined();
    expect(full.MessageAttributes).toEqual(attrs(10));
    expect(full.MessageSystemAttributes).toEqual({
      AWSTraceHeader: { DataType: 'String', StringValue: xrayHeader(TRACE_ID, producer.spanId, true) },
    });
    expect(ownFull.MessageAttributes).toEqual(attrs(10));
    expect(ownFull.MessageSystemAttributes).toEqual({ AWSTraceHeader: own });
    expect(roomOwn.MessageAttributes).toEqual({ ...attrs(2), traceparent: w3c });
    expect(roomOwn.MessageSystemAttributes).toEqual({ AWSTraceHeader: own });
    expect(
      producer.events.map((e) => [e.name, e.attributes['messaging.batch.entry_id'], e.attributes.reason]),
    ).toEqual([
      [
        'serverless_tracing.context_in_aws_trace_header',
        'full',
        'message has 10 attributes; traceparent would pass the limit of 10',
      ],
      [
        'serverless_tracing.context_not_injected',
        'own',
        'message has 10 attributes; traceparent would pass the limit of 10, and it has its own AWSTraceHeader',
      ],
    ]);

    receiver.clear();
    const event = await consume();
    const parentOf = (id: number) =>
      receiver.spans.find((s) => s.attributes['messaging.message.id'] === event.Records[id].messageId)!;
    expect(parentOf(0)).toMatchObject({ traceId: TRACE_ID, parentSpanId: producer.spanId });
    expect(parentOf(0).attributes['serverless_tracing.context_source']).toBe('message-attributes');
    expect(parentOf(1)).toMatchObject({ traceId: TRACE_ID, parentSpanId: producer.spanId });
    expect(parentOf(1).attributes['serverless_tracing.context_source']).toBe('aws-trace-header');
    // The user's own header is the user's trace.
    expect(parentOf(2)).toMatchObject({
      traceId: '5759e988bd862e3fe1be46a994272793',
      parentSpanId: '53995c3f42cd8ad8',
    });
    expect(parentOf(3)).toMatchObject({ traceId: TRACE_ID, parentSpanId: producer.spanId });
  });

  test("in Lambda with X-Ray off: the SDK's X-Amzn-Trace-Id (Sampled=0) is overridden where the context needs it, and ignored by the consumer elsewhere", async () => {
    // What Lambda sets with X-Ray off; the SDK sends it as X-Amzn-Trace-Id, SQS keeps it as AWSTraceHeader.
    const lambdaHeader =
      'Root=1-6740a1b2-0123456789abcdef01234567;Parent=1111111111111111;Sampled=0;Lineage=1:a1b2c3d4:0';
    process.env._X_AMZN_TRACE_ID = lambdaHeader;
    try {
      await produce(() =>
        sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: aws.queueUrl(),
            Entries: [
              { Id: 'full', MessageBody: 'a', MessageAttributes: attrs(10) },
              { Id: 'room', MessageBody: 'b', MessageAttributes: attrs(1) },
            ],
          }),
        ),
      );
      // An untraced producer in the same function (no invocation span: the middleware passes it through).
      await sqs.send(
        new SendMessageCommand({ QueueUrl: aws.queueUrl(), MessageBody: 'c', MessageAttributes: attrs(3) }),
      );
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
    }
    const producer = producerSpan();
    expect(aws.calls.map((c) => c.headers['x-amzn-trace-id'])).toEqual([lambdaHeader, lambdaHeader]);

    receiver.clear();
    const event = await consume();
    const [full, room, untraced] = event.Records;
    expect(full.attributes.AWSTraceHeader).toBe(xrayHeader(TRACE_ID, producer.spanId, true));
    expect(room.attributes.AWSTraceHeader).toBe(lambdaHeader);
    expect(untraced.attributes.AWSTraceHeader).toBe(lambdaHeader);
    const span = (record: SQSRecord) =>
      receiver.spans.find((s) => s.attributes['messaging.message.id'] === record.messageId)!;
    expect(span(full)).toMatchObject({ traceId: TRACE_ID, parentSpanId: producer.spanId });
    expect(span(room)).toMatchObject({ traceId: TRACE_ID, parentSpanId: producer.spanId });
    expect(span(room).attributes['serverless_tracing.context_source']).toBe('message-attributes');
    // Lambda's Sampled=0 header on a message with room for traceparent neither silences nor parents it.
    expect(span(untraced).traceId).not.toBe('6740a1b20123456789abcdef01234567');
    expect(span(untraced).attributes['serverless_tracing.context_source']).toBe('none');
    expect(isSampled(span(untraced))).toBe(true);
  });
});

test('SNS has no such carrier: a Publish with 10 attributes goes out as it was, the drop recorded on the span', async () => {
  await produce(() =>
    sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'm', MessageAttributes: attrs(10) })),
  );
  const call = aws.only();
  expect(call.messages[0].attributes).toEqual(attrs(10));
  expect(call.messages[0].systemAttributes).toBeUndefined();
  expect(producerSpan().events).toEqual([
    {
      name: 'serverless_tracing.context_not_injected',
      attributes: { reason: 'message has 10 attributes; traceparent would pass the limit of 10' },
    },
  ]);
});
