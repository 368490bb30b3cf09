import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, EventBridgeEvent, SNSEvent, SQSEvent, SQSRecord } from 'aws-lambda';

// The events Lambda delivers, built from what went over the wire, in the exact shapes AWS uses.

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
  /** SQS only: the message system attributes sent (`AWSTraceHeader`, the one SQS supports). */
  readonly systemAttributes?: Record<string, WireAttribute>;
  /** EventBridge only. */
  readonly source?: string;
  readonly detailType?: string;
}

/** What a delivery adds to a message: when it was sent, and the ids AWS gave it. */
export interface DeliveryOptions {
  /** The SQS message id. @default - a random UUID */
  readonly messageId?: string;
  /** When the message was sent (ms since the epoch). @default - a fixed time in 2026 */
  readonly sentAt?: number;
}

const FIXED_TIME = 1795239136000;

export function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * An SQS record as Lambda delivers it, for a message sent to SQS (or delivered raw by SNS). Its
 * `AWSTraceHeader` attribute is `awsTraceHeader`, else the one the message was sent with.
 */
export function sqsRecord(
  message: WireMessage,
  extra: { awsTraceHeader?: string; queueArn?: string } & DeliveryOptions = {},
): SQSRecord {
  const awsTraceHeader = extra.awsTraceHeader ?? message.systemAttributes?.AWSTraceHeader?.StringValue;
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    messageAttributes[name] = {
      stringValue: value.StringValue,
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  const sentAt = extra.sentAt ?? FIXED_TIME;
  return {
    messageId: extra.messageId ?? randomUUID(),
    receiptHandle: `AQEB${randomUUID().replace(/-/g, '')}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sentAt),
      SenderId: 'AROAEXAMPLE:payments-authorize',
      ApproximateFirstReceiveTimestamp: String(sentAt + 50),
      ...(awsTraceHeader ? { AWSTraceHeader: awsTraceHeader } : {}),
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
export function snsEnvelope(
  message: WireMessage,
  topicArn = TOPIC_ARN,
  options: { messageId?: string; publishedAt?: number } = {},
): string {
  const MessageAttributes: Record<string, { Type: string; Value?: string }> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    MessageAttributes[name] = { Type: value.DataType, Value: value.StringValue };
  }
  return JSON.stringify({
    Type: 'Notification',
    MessageId: options.messageId ?? randomUUID(),
    TopicArn: topicArn,
    Message: message.body,
    Timestamp: new Date(options.publishedAt ?? FIXED_TIME).toISOString(),
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
          Timestamp: new Date(FIXED_TIME).toISOString(),
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
    time: new Date(FIXED_TIME).toISOString().replace('.000Z', 'Z'),
    region: REGION,
    resources: [],
    detail: JSON.parse(message.body) as Record<string, unknown>,
  };
}

/**
 * The event an HTTP API (payload format 2.0) gives the function of a route, for a request made
 * now: the route key (`POST /payments`) gives the method and path; headers are lower-cased, as
 * API Gateway sends them.
 */
export function httpApiRequest(request: {
  routeKey: string;
  body?: string;
  headers?: Record<string, string>;
  apiId?: string;
}): APIGatewayProxyEventV2 {
  const [method, path] = request.routeKey.includes(' ') ? request.routeKey.split(' ') : ['GET', '/'];
  const apiId = request.apiId ?? 'local0api1';
  const domainName = `${apiId}.execute-api.${REGION}.amazonaws.com`;
  const now = new Date();
  const headers: Record<string, string> = {
    host: domainName,
    'user-agent': 'cdk-serverless-tracing-local/1.0',
    'content-type': 'application/json',
    'x-forwarded-for': '127.0.0.1',
    'x-forwarded-proto': 'https',
  };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  return {
    version: '2.0',
    routeKey: request.routeKey,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: ACCOUNT,
      apiId,
      domainName,
      domainPrefix: apiId,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] },
      // API Gateway's request ids: 14 characters of base64 and a trailing '='.
      requestId: `${randomBytes(10).toString('base64').slice(0, 14).replace(/[+/]/g, 'A')}=`,
      routeKey: request.routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    body: request.body,
    isBase64Encoded: false,
  };
}

/** `21/Nov/2026:05:32:16 +0000`, as API Gateway writes `requestContext.time`. */
function apiGatewayTime(date: Date): string {
  const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}
