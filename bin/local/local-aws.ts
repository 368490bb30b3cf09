import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import {
  ACCOUNT,
  REGION,
  md5,
  snsEnvelope,
  sqsRecord,
  type WireAttribute,
  type WireMessage,
} from './lambda-events';
import { LocalServer } from './local-server';

/** One captured API call. */
export interface CapturedCall {
  readonly service: 'sqs' | 'sns' | 'events' | 'dynamodb';
  readonly action: string;
  readonly messages: WireMessage[];
  readonly headers: IncomingMessage['headers'];
  /** The request body as it came (SQS and DynamoDB). */
  readonly body?: string;
  /** The request id answered (`x-amzn-RequestId`; DynamoDB). */
  readonly requestId?: string;
}

/** An SNS → SQS subscription, as the template (or the trace map) declares it. */
export interface QueueSubscription {
  readonly topicArn: string;
  readonly queueArn: string;
  /** Raw message delivery: the message attributes become SQS message attributes; else the SNS envelope is the body. */
  readonly rawMessageDelivery: boolean;
}

/**
 * A local stand-in for the SQS, SNS and EventBridge APIs on 127.0.0.1, enough for real AWS SDK v3
 * clients to send to it: it decodes SQS's JSON protocol, SNS's query protocol and EventBridge's
 * JSON protocol, captures the messages as they are on the wire, and answers what the SDK expects
 * (including SQS's body MD5, which the SDK checks). It also answers DynamoDB's `PutItem` (JSON
 * 1.0, `X-Amz-Target: DynamoDB_20120810.PutItem`, the answer `{}`) and keeps the items written.
 *
 * It also delivers, and only this: a message sent to a queue, or published to a topic with
 * queue subscriptions, waits in that queue as the SQS record Lambda would receive (raw delivery:
 * the SNS message attributes as SQS message attributes; no raw delivery: the SNS JSON envelope as
 * the body), until `receive` takes a batch of them as the event an SQS event source mapping
 * gives its function. No visibility timeout, retries, dead-letter queues, batching window, filter
 * policies or permissions: a message is received once, in the order it was sent.
 */
export class LocalAws extends LocalServer {
  readonly calls: CapturedCall[] = [];
  /** The messages waiting in each queue (by queue ARN). */
  readonly queues = new Map<string, SQSRecord[]>();
  /** The items `PutItem` wrote, by table name, in the order they came (DynamoDB's wire format). */
  readonly tables = new Map<string, Record<string, unknown>[]>();
  private readonly subscriptions: QueueSubscription[] = [];

  /** A queue URL on this endpoint (the SDK sends SQS calls to the queue URL's host). */
  queueUrl(name = 'reconciliation'): string {
    return `${this.endpoint}/${ACCOUNT}/${name}`;
  }

  clear(): void {
    this.calls.length = 0;
    this.queues.clear();
    this.tables.clear();
  }

  /** The messages of the one call captured so far. */
  only(): CapturedCall {
    if (this.calls.length !== 1) throw new Error(`expected one call, got ${this.calls.length}`);
    return this.calls[0];
  }

  /**
   * Takes up to `batchSize` messages waiting in a queue, oldest first, as the SQS event Lambda
   * gives the queue's consumer; `undefined` when the queue is empty.
   */
  receive(queueArn: string, batchSize = 10): SQSEvent | undefined {
    const waiting = this.queues.get(queueArn) ?? [];
    if (waiting.length === 0) return undefined;
    return { Records: waiting.splice(0, batchSize) };
  }

  /** Subscribes queues to topics: what is published to a topic is delivered to its queues. */
  subscribe(...subscriptions: QueueSubscription[]): void {
    this.subscriptions.push(...subscriptions);
  }

  private enqueue(queueArn: string, record: SQSRecord): void {
    this.queues.set(queueArn, [...(this.queues.get(queueArn) ?? []), record]);
  }

  /** Delivers a published message to every queue subscribed to the topic. */
  private deliver(topicArn: string, message: WireMessage, snsMessageId: string): void {
    const sentAt = Date.now();
    for (const subscription of this.subscriptions.filter((s) => s.topicArn === topicArn)) {
      const { queueArn } = subscription;
      this.enqueue(
        queueArn,
        subscription.rawMessageDelivery
          ? sqsRecord(message, { queueArn, sentAt })
          : sqsRecord(
              {
                body: snsEnvelope(message, topicArn, { messageId: snsMessageId, publishedAt: sentAt }),
                attributes: {},
              },
              { queueArn, sentAt },
            ),
      );
    }
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith('AmazonSQS.')) return this.sqs(target.slice('AmazonSQS.'.length), req, body, res);
    if (target.startsWith('AWSEvents.'))
      return this.events(target.slice('AWSEvents.'.length), req, body, res);
    if (target.startsWith('DynamoDB_20120810.'))
      return this.dynamodb(target.slice('DynamoDB_20120810.'.length), req, body, res);
    if (String(req.headers['content-type']).includes('x-www-form-urlencoded'))
      return this.sns(req, body, res);
    res.writeHead(400).end();
  }

  private sqs(action: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    type Message = {
      MessageBody?: string;
      MessageAttributes?: Record<string, WireAttribute>;
      MessageSystemAttributes?: Record<string, WireAttribute>;
    };
    const input = JSON.parse(body) as { QueueUrl?: string; Entries?: (Message & { Id: string })[] } & Message;
    const reply = (payload: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
    };
    const queueArn = queueArnOf(input.QueueUrl);
    // As SQS does: the AWSTraceHeader system attribute sent with a message, else the request's
    // X-Ray header (the SDK sends Lambda's _X_AMZN_TRACE_ID as X-Amzn-Trace-Id).
    const xrayHeader = req.headers['x-amzn-trace-id'];
    const sent = (message: WireMessage): string => {
      const messageId = randomUUID();
      const awsTraceHeader =
        message.systemAttributes?.AWSTraceHeader?.StringValue ??
        (typeof xrayHeader === 'string' ? xrayHeader : undefined);
      if (queueArn) {
        this.enqueue(
          queueArn,
          sqsRecord(message, { queueArn, messageId, sentAt: Date.now(), awsTraceHeader }),
        );
      }
      return messageId;
    };
    const wire = (m: Message): WireMessage => ({
      body: m.MessageBody ?? '',
      attributes: m.MessageAttributes ?? {},
      ...(m.MessageSystemAttributes ? { systemAttributes: m.MessageSystemAttributes } : {}),
    });
    if (action === 'SendMessage') {
      const message = wire(input);
      this.calls.push({ service: 'sqs', action, messages: [message], headers: req.headers, body });
      return reply({ MessageId: sent(message), MD5OfMessageBody: md5(message.body) });
    }
    if (action === 'SendMessageBatch') {
      const messages = (input.Entries ?? []).map((e) => ({ id: e.Id, ...wire(e) }));
      this.calls.push({ service: 'sqs', action, messages, headers: req.headers, body });
      return reply({
        Successful: messages.map((m) => ({ Id: m.id, MessageId: sent(m), MD5OfMessageBody: md5(m.body) })),
        Failed: [],
      });
    }
    // Any other action (DeleteMessage, ChangeMessageVisibility, …): captured as it came, answered empty.
    this.calls.push({
      service: 'sqs',
      action,
      messages: [{ body, attributes: {} }],
      headers: req.headers,
      body,
    });
    return reply({});
  }

  /**
   * DynamoDB's JSON 1.0 protocol, `PutItem` only, as its API reference documents it: `TableName`
   * and `Item` required (else `400 ValidationException`), the answer `{}` (no `ReturnValues`);
   * any other action is `400 UnknownOperationException`. No tables to create first, no
   * conditions, no capacity: the item is kept under its table name.
   */
  private dynamodb(action: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    const requestId = randomUUID();
    const answer = (status: number, payload: unknown): void => {
      res
        .writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId })
        .end(JSON.stringify(payload));
    };
    const error = (type: string, message: string): void =>
      answer(400, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
    this.calls.push({ service: 'dynamodb', action, messages: [], headers: req.headers, body, requestId });
    if (action !== 'PutItem') return error('UnknownOperationException', `Unsupported operation ${action}`);
    let input: { TableName?: unknown; Item?: unknown };
    try {
      input = JSON.parse(body) as typeof input;
    } catch {
      return error('SerializationException', 'The request body is not valid JSON');
    }
    const { TableName: table, Item: item } = input ?? {};
    if (typeof table !== 'string' || table === '' || typeof item !== 'object' || item === null) {
      return error('ValidationException', 'PutItem needs a TableName and an Item');
    }
    this.tables.set(table, [...(this.tables.get(table) ?? []), item as Record<string, unknown>]);
    answer(200, {});
  }

  private sns(req: IncomingMessage, body: string, res: ServerResponse): void {
    const form = new URLSearchParams(body);
    const action = form.get('Action') ?? '';
    const topicArn = form.get('TopicArn') ?? '';
    const xml = (inner: string): void =>
      void res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
        );
    const published = (message: WireMessage): string => {
      const messageId = randomUUID();
      this.deliver(topicArn, message, messageId);
      return messageId;
    };
    if (action === 'Publish') {
      const message = {
        body: form.get('Message') ?? '',
        attributes: queryAttributes(form, 'MessageAttributes'),
      };
      this.calls.push({ service: 'sns', action, messages: [message], headers: req.headers });
      return xml(`<MessageId>${published(message)}</MessageId>`);
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
        (m) => `<member><Id>${m.id}</Id><MessageId>${published(m)}</MessageId></member>`,
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

/** The ARN of the queue of a queue URL (`…/<account>/<name>`), in this endpoint's region. */
function queueArnOf(queueUrl: string | undefined): string | undefined {
  const match = /\/(\d{12})\/([^/?]+)$/.exec(queueUrl ?? '');
  return match ? `arn:aws:sqs:${REGION}:${match[1]}:${match[2]}` : undefined;
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
