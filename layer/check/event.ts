import type { ExpectedEntry } from './types';

/** The body sent when the user gives none. */
export const DEFAULT_BODY = { source: 'trace-check' } as const;

/** The user agent of the check's requests (what the entry's span records as `user_agent.original`). */
export const USER_AGENT = 'cdk-serverless-tracing/trace-check';

/** What the event is made from. */
export interface EntryEventInput {
  readonly entry: ExpectedEntry;
  readonly traceparent: string;
  /** The `tracestate` sent with it, if any. */
  readonly tracestate?: string;
  /** The JSON body (HTTP entries), or the event itself (other entries). */
  readonly body?: unknown;
  readonly nowMs: number;
  /** The request id the event carries (the trace id, so the entry's logs can be found by it). */
  readonly requestId: string;
}

/**
 * The event the entry function is invoked with, carrying `traceparent` (and `tracestate`) where
 * the runtime reads it:
 *
 * - behind an HTTP API route: an API Gateway HTTP API event (payload 2.0) for that route
 *   (`POST /payments`; `ANY` becomes POST, `$default` a POST to `/`, path parameters
 *   `trace-check`), the body JSON, `traceparent` in the headers;
 * - behind a REST API route: the same as a REST API proxy event (payload 1.0);
 * - any other entry: the body as the event (an object; anything else is put under `body`) with
 *   `headers.traceparent` (and `headers.tracestate`) added, which the runtime reads from any
 *   event with headers.
 */
export function entryEvent(input: EntryEventInput): Record<string, unknown> {
  const { entry, traceparent, tracestate, nowMs, requestId } = input;
  const context: Record<string, string> = tracestate ? { traceparent, tracestate } : { traceparent };
  const body = input.body === undefined ? DEFAULT_BODY : input.body;
  if (entry.route === undefined) {
    const event: Record<string, unknown> =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? { ...(body as Record<string, unknown>) }
        : { body };
    const headers =
      event.headers !== null && typeof event.headers === 'object' && !Array.isArray(event.headers)
        ? (event.headers as Record<string, unknown>)
        : {};
    return { ...event, headers: { ...headers, ...context } };
  }

  const { method, routePath, path, pathParameters } = parseRoute(entry.route);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    host: 'trace-check.invalid',
    'user-agent': USER_AGENT,
    ...context,
  };
  if (entry.api === 'rest-api') {
    return {
      resource: routePath,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: pathParameters ?? null,
      stageVariables: null,
      requestContext: {
        accountId: 'anonymous',
        apiId: 'trace-check',
        domainName: headers.host,
        httpMethod: method,
        identity: { sourceIp: '127.0.0.1', userAgent: USER_AGENT },
        path: `/prod${path}`,
        protocol: 'HTTP/1.1',
        requestId,
        requestTimeEpoch: nowMs,
        resourceId: 'trace-check',
        resourcePath: routePath,
        stage: 'prod',
      },
      body: text,
      isBase64Encoded: false,
    };
  }
  return {
    version: '2.0',
    routeKey: entry.route,
    rawPath: path,
    rawQueryString: '',
    headers,
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'trace-check',
      domainName: headers.host,
      domainPrefix: 'trace-check',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: USER_AGENT },
      requestId,
      routeKey: entry.route,
      stage: '$default',
      time: clfTime(nowMs),
      timeEpoch: nowMs,
    },
    body: text,
    isBase64Encoded: false,
  };
}

/** `POST /payments/{id}` → the method, the route path, a concrete path and its parameters. */
function parseRoute(route: string): {
  method: string;
  routePath: string;
  path: string;
  pathParameters?: Record<string, string>;
} {
  if (route === '$default') return { method: 'POST', routePath: '/', path: '/' };
  const space = route.indexOf(' ');
  const rawMethod = space > 0 ? route.slice(0, space).toUpperCase() : 'POST';
  const routePath = space > 0 ? route.slice(space + 1) : route;
  const method = rawMethod === 'ANY' ? 'POST' : rawMethod;
  const pathParameters: Record<string, string> = {};
  const path = routePath.replace(/\{([^}]+?)\+?\}/g, (_match, name: string) => {
    pathParameters[name] = 'trace-check';
    return 'trace-check';
  });
  return {
    method,
    routePath,
    path,
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
  };
}

/** API Gateway's `requestContext.time`: `21/Nov/2026:05:32:16 +0000`. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`;
}
