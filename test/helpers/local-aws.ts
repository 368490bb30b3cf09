import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventBridgeEvent, SNSEvent, SQSEvent, SQSRecord } from 'aws-lambda';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:reconciliation`;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:payments`;

/** A message attribute as the SDK sends it and the local endpoint decodes it. */
export interface WireAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
}

/** One message as it went over the wire. */
export interface WireMessage {
  readonly id?: string;
  readonly body: string;
  readonly attributes: Record<string, WireAttribute>;
  /** EventBridge only. */
  readonly source?: string;
  readonly detailType?: string;
}

/** One captured API call. */
export interface CapturedCall {
  readonly service: 'sqs' | 'sns' | 'events';
  readonly action: string;
  readonly messages: WireMessage[];
  readonly headers: IncomingMessage['headers'];
}

/**
 * A local stand-in for the SQS, SNS and EventBridge APIs on 127.0.0.1, enough for real AWS SDK v3
 * clients to send to it: it decodes SQS's JSON protocol, SNS's query protocol and EventBridge's
 * JSON protocol, captures the messages as they are on the wire, and answers what the SDK expects
 * (including SQS's body MD5, which the SDK checks).
 */
export class LocalAws {
  readonly calls: CapturedCall[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.endpoint;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** A queue URL on this endpoint (the SDK sends SQS calls to the queue URL's host). */
  queueUrl(name = 'reconciliation'): string {
    return `${this.endpoint}/${ACCOUNT}/${name}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  clear(): void {
    this.calls.length = 0;
  }

  /** The messages of the one call captured so far. */
  only(): CapturedCall {
    if (this.calls.length !== 1) throw new Error(`expected one call, got ${this.calls.length}`);
    return this.calls[0];
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith('AmazonSQS.')) return this.sqs(target.slice('AmazonSQS.'.length), req, body, res);
    if (target.startsWith('AWSEvents.'))
      return this.events(target.slice('AWSEvents.'.length), req, body, res);
    if (String(req.headers['content-type']).includes('x-www-form-urlencoded'))
      return this.sns(req, body, res);
    res.writeHead(400).end();
  }

  private sqs(action: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    const input = JSON.parse(body) as {
      MessageBody?: string;
      MessageAttributes?: Record<string, WireAttribute>;
      Entries?: { Id: string; MessageBody: string; MessageAttributes?: Record<string, WireAttribute> }[];
    };
    const reply = (payload: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
    };
    if (action === 'SendMessage') {
      const message = { body: input.MessageBody ?? '', attributes: input.MessageAttributes ?? {} };
      this.calls.push({ service: 'sqs', action, messages: [message], headers: req.headers });
      return reply({ MessageId: randomUUID(), MD5OfMessageBody: md5(message.body) });
    }
    if (action === 'SendMessageBatch') {
      const messages = (input.Entries ?? []).map((e) => ({
        id: e.Id,
        body: e.MessageBody,
        attributes: e.MessageAttributes ?? {},
      }));
      this.calls.push({ service: 'sqs', action, messages, headers: req.headers });
      return reply({
        Successful: messages.map((m) => ({
          Id: m.id,
          MessageId: randomUUID(),
          MD5OfMessageBody: md5(m.body),
        })),
        Failed: [],
      });
    }
    // Any other action (DeleteMessage, ChangeMessageVisibility, …): captured as it came, answered empty.
    this.calls.push({ service: 'sqs', action, messages: [{ body, attributes: {} }], headers: req.headers });
    return reply({});
  }

  private sns(req: IncomingMessage, body: string, res: ServerResponse): void {
    const form = new URLSearchParams(body);
    const action = form.get('Action') ?? '';
    const xml = (inner: string): void =>
      void res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
        );
    if (action === 'Publish') {
      const message = {
        body: form.get('Message') ?? '',
        attributes: queryAttributes(form, 'MessageAttributes'),
      };
      this.calls.push({ service: 'sns', action, messages: [message], headers: req.headers });
      return xml(`<MessageId>${randomUUID()}</MessageId>`);
    }
    if (action === 'PublishBatch') {
      const messages: WireMessage[] = [];
      for (let i = 1; form.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) {
        const prefix = `PublishBatchRequestEntries.member.${i}`;
        messages.push({
          id: form.get(`${prefix}.Id`) ?? undefined,
          body: form.get(`${prefix}.Message`) ?? '',
          attributes: queryAttributes(form, `${prefix}.MessageAttributes`),
        });
      }
      this.calls.push({ service: 'sns', action, messages, headers: req.headers });
      const members = messages.map(
        (m) => `<member><Id>${m.id}</Id><MessageId>${randomUUID()}</MessageId></member>`,
      );
      return xml(`<Successful>${members.join('')}</Successful><Failed/>`);
    }
    res.writeHead(400).end();
  }

  private events(action: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    const input = JSON.parse(body) as {
      Entries?: { Detail?: string; DetailType?: string; Source?: string }[];
    };
    const messages = (input.Entries ?? []).map((e) => ({
      body: e.Detail ?? '',
      attributes: {},
      source: e.Source,
      detailType: e.DetailType,
    }));
    this.calls.push({ service: 'events', action, messages, headers: req.headers });
    res
      .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      .end(JSON.stringify({ FailedEntryCount: 0, Entries: messages.map(() => ({ EventId: randomUUID() })) }));
  }
}

/** SNS query protocol: `<prefix>.entry.N.Name` and `<prefix>.entry.N.Value.{DataType,StringValue}`. */
function queryAttributes(form: URLSearchParams, prefix: string): Record<string, WireAttribute> {
  const attributes: Record<string, WireAttribute> = {};
  for (let i = 1; form.has(`${prefix}.entry.${i}.Name`); i++) {
    attributes[form.get(`${prefix}.entry.${i}.Name`)!] = {
      DataType: form.get(`${prefix}.entry.${i}.Value.DataType`) ?? 'String',
      StringValue: form.get(`${prefix}.entry.${i}.Value.StringValue`) ?? undefined,
    };
  }
  return attributes;
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

// ---- The events Lambda delivers, built from what went over the wire ------------------------

/** An SQS record as Lambda delivers it, for a message sent to SQS (or delivered raw by SNS). */
export function sqsRecord(
  message: WireMessage,
  extra: { awsTraceHeader?: string; queueArn?: string } = {},
): SQSRecord {
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    messageAttributes[name] = {
      stringValue: value.StringValue,
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID().replace(/-/g, '')}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1795239136000',
      SenderId: 'AROAEXAMPLE:payments-authorize',
      ApproximateFirstReceiveTimestamp: '1795239136050',
      ...(extra.awsTraceHeader ? { AWSTraceHeader: extra.awsTraceHeader } : {}),
    },
    messageAttributes,
    md5OfBody: md5(message.body),
    eventSource: 'aws:sqs',
    eventSourceARN: extra.queueArn ?? QUEUE_ARN,
    awsRegion: REGION,
  };
}

/** An SQS batch event. */
export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** The SNS envelope SNS writes into the SQS body when raw message delivery is off. */
export function snsEnvelope(message: WireMessage, topicArn = TOPIC_ARN): string {
  const MessageAttributes: Record<string, { Type: string; Value?: string }> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    MessageAttributes[name] = { Type: value.DataType, Value: value.StringValue };
  }
  return JSON.stringify({
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: message.body,
    Timestamp: '2026-11-21T05:32:16.000Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: `https://sns.${REGION}.amazonaws.com/SimpleNotificationService-0000.pem`,
    UnsubscribeURL: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe`,
    MessageAttributes,
  });
}

/** An SQS record of an SNS message delivered without raw delivery: the envelope is the body. */
export function snsEnvelopeRecord(message: WireMessage, queueArn?: string): SQSRecord {
  return sqsRecord({ body: snsEnvelope(message), attributes: {} }, { queueArn });
}

/** An SNS event as Lambda delivers it to a function subscribed to the topic. */
export function snsEvent(message: WireMessage, topicArn = TOPIC_ARN): SNSEvent {
  const MessageAttributes: Record<string, { Type: string; Value: string }> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    MessageAttributes[name] = { Type: value.DataType, Value: value.StringValue ?? '' };
  }
  return {
    Records: [
      {
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${randomUUID()}`,
        EventSource: 'aws:sns',
        Sns: {
          SignatureVersion: '1',
          Timestamp: '2026-11-21T05:32:16.000Z',
          Signature: 'EXAMPLE',
          SigningCertUrl: `https://sns.${REGION}.amazonaws.com/SimpleNotificationService-0000.pem`,
          MessageId: randomUUID(),
          Message: message.body,
          MessageAttributes,
          Type: 'Notification',
          UnsubscribeUrl: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe`,
          TopicArn: topicArn,
          Subject: '',
        },
      },
    ],
  };
}

/** An EventBridge event as a rule target receives it. */
export function eventBridgeEvent(message: WireMessage): EventBridgeEvent<string, Record<string, unknown>> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': message.detailType ?? 'PaymentAuthorized',
    source: message.source ?? 'payments',
    account: ACCOUNT,
    time: '2026-11-21T05:32:16Z',
    region: REGION,
    resources: [],
    detail: JSON.parse(message.body) as Record<string, unknown>,
  };
}
