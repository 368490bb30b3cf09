import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  Context,
  ScheduledEvent,
} from 'aws-lambda';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const FUNCTION_NAME = 'payments-authorize';
export const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`;

let requestCounter = 0;

/** A Lambda context as the Node.js runtime passes it, with a real remaining-time clock. */
export function lambdaContext(overrides: Partial<Context> & { timeoutMs?: number } = {}): Context {
  const { timeoutMs = 3000, ...rest } = overrides;
  const deadline = Date.now() + timeoutMs;
  requestCounter += 1;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: `${FUNCTION_ARN}:live`,
    memoryLimitInMB: '256',
    awsRequestId: `c6af9ac6-7b61-11e6-9a41-93e8deadbe${String(requestCounter).padStart(2, '0')}`,
    logGroupName: `/aws/lambda/${FUNCTION_NAME}`,
    logStreamName: '2026/11/21/[$LATEST]2e3b1c2a3e1d4f0c9e8d7c6b5a493827',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...rest,
  };
}

/** API Gateway HTTP API, payload 2.0. */
export function httpApiEvent(
  options: { headers?: Record<string, string>; method?: string; path?: string; routeKey?: string } = {},
): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  const path = options.path ?? '/payments';
  return {
    version: '2.0',
    routeKey: options.routeKey ?? `${method} /payments`,
    rawPath: path,
    rawQueryString: 'currency=EUR',
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      ...options.headers,
    },
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: options.routeKey ?? `${method} /payments`,
      stage: '$default',
      time: '21/Nov/2026:05:32:16 +0000',
      timeEpoch: 1795239136000,
    },
    body: '{"amount":1250,"currency":"EUR"}',
    isBase64Encoded: false,
  };
}

/** A Lambda function URL request (payload 2.0, `$default` route). */
export function functionUrlEvent(headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const event = httpApiEvent({ headers, routeKey: '$default', method: 'GET', path: '/status' });
  event.requestContext.domainName = 'x7y8z9.lambda-url.eu-west-1.on.aws';
  event.headers.host = 'x7y8z9.lambda-url.eu-west-1.on.aws';
  return event;
}

/** API Gateway REST API, payload 1.0. */
export function restApiEvent(
  options: { headers?: Record<string, string>; multiValueHeaders?: Record<string, string[]> } = {},
): APIGatewayProxyEvent {
  return {
    resource: '/payments/{id}',
    path: '/payments/p-42',
    httpMethod: 'GET',
    headers: { Host: 'api.example.com', 'User-Agent': 'curl/8.5.0', ...options.headers },
    multiValueHeaders: options.multiValueHeaders ?? {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { id: 'p-42' },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'rest123',
      authorizer: undefined,
      domainName: 'api.example.com',
      httpMethod: 'GET',
      path: '/prod/payments/p-42',
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1795239136000,
      resourceId: 'res1',
      resourcePath: '/payments/{id}',
      stage: 'prod',
      identity: {
        sourceIp: '198.51.100.4',
        userAgent: 'curl/8.5.0',
      } as APIGatewayProxyEvent['requestContext']['identity'],
    },
  };
}

/** An Application Load Balancer request. */
export function albEvent(headers: Record<string, string> = {}): ALBEvent {
  return {
    requestContext: {
      elb: { targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/tg/1` },
    },
    httpMethod: 'PUT',
    path: '/payments/p-42',
    queryStringParameters: {},
    headers: {
      host: 'payments.internal',
      'x-forwarded-for': '192.0.2.10, 10.0.0.1',
      'x-forwarded-proto': 'https',
      'user-agent': 'ELB-HealthChecker/2.0',
      ...headers,
    },
    body: '',
    isBase64Encoded: false,
  };
}

/** An EventBridge scheduled event. */
export function scheduledEvent(): ScheduledEvent {
  return {
    version: '0',
    id: 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: '2026-11-21T05:00:00Z',
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/nightly`],
    detail: {},
  };
}

/** A W3C traceparent with a sampled or unsampled flag. */
export function traceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const PARENT_SPAN_ID = '00f067aa0ba902b7';

/** A random W3C trace id (16 random bytes, never all zero in practice). */
export function randomTraceId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
}
