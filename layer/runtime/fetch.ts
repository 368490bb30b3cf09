import { subscribe } from 'node:diagnostics_channel';
import { SpanKind, SpanStatusCode, context, trace, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { warnOnce } from './diagnostics';
import { w3cPropagator } from './propagation';
import { ATTR_RESPONSE_BODY_READ } from './semconv';
import { recordFailure } from './errors';
import { invocationOf, type InvocationState } from './invocation';

/** The parts of undici's request object that its diagnostics channels expose and we use. */
interface UndiciRequest {
  readonly origin: string | URL;
  readonly method: string;
  readonly path: string;
  /** An array `[name, value, …]` (undici ≥ 6) or a raw `name: value\r\n` string (older). */
  readonly headers: string | string[];
  addHeader(name: string, value: string): unknown;
}

interface UndiciResponse {
  readonly statusCode: number;
}

/**
 * Client spans for `fetch`, from the diagnostics channels of undici (Node's `fetch`): the
 * channels are published by Node itself, so bundled and ESM code is covered and nothing is
 * patched. Each request gets a CLIENT span, child of the active span, and carries
 * `traceparent`/`tracestate`. Requests made outside an invocation are left alone.
 */
export class FetchTracing {
  private readonly spans = new WeakMap<object, Span>();
  /** The open spans of the invocation each span was started in. */
  private readonly owners = new WeakMap<Span, Set<Span>>();

  constructor(private tracer: Tracer) {}

  /** Makes new client spans with another tracer (after the runtime was set up again). */
  useTracer(tracer: Tracer): void {
    this.tracer = tracer;
  }

  /** Subscribes to the channels; safe to call once per process. */
  enable(): void {
    subscribe('undici:request:create', (message) => this.guard(() => this.onCreate(message)));
    subscribe('undici:request:headers', (message) => this.guard(() => this.onHeaders(message)));
    subscribe('undici:request:trailers', (message) => this.guard(() => this.onDone(message)));
    subscribe('undici:request:error', (message) => this.guard(() => this.onError(message)));
  }

  /**
   * Ends the client spans an invocation started that are still open when it ends (a response
   * body that was never read), so they are exported with it instead of never. Only that
   * invocation's: overlapping invocations keep theirs.
   */
  endOpenSpans(invocation: InvocationState): void {
    for (const span of invocation.openClientSpans) {
      span.setAttribute(ATTR_RESPONSE_BODY_READ, false);
      span.end();
    }
    invocation.openClientSpans.clear();
  }

  private onCreate(message: unknown): void {
    const request = (message as { request: UndiciRequest }).request;
    const parent = context.active();
    if (!trace.getSpan(parent)) return;
    const url = new URL(request.path, request.origin);
    const span = this.tracer.startSpan(
      request.method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_FULL]: `${url.origin}${url.pathname}`,
          [ATTR_SERVER_ADDRESS]: url.hostname,
          [ATTR_SERVER_PORT]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        },
      },
      parent,
    );
    this.spans.set(request, span);
    const open = invocationOf(parent)?.openClientSpans;
    if (open) {
      open.add(span);
      this.owners.set(span, open);
    }
    if (!hasHeader(request.headers, 'traceparent')) {
      w3cPropagator.inject(trace.setSpan(parent, span), request, {
        set: (carrier, name, value) => carrier.addHeader(name, value),
      });
    }
  }

  private onHeaders(message: unknown): void {
    const { request, response } = message as { request: object; response: UndiciResponse };
    const span = this.spans.get(request);
    if (!span) return;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode);
    if (response.statusCode >= 400) {
      span.setAttribute(ATTR_ERROR_TYPE, String(response.statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }

  private onDone(message: unknown): void {
    const { request } = message as { request: object };
    const span = this.spans.get(request);
    if (!span) return;
    this.spans.delete(request);
    this.owners.get(span)?.delete(span);
    span.end();
  }

  private onError(message: unknown): void {
    const { request, error } = message as { request: object; error: Error };
    const span = this.spans.get(request);
    if (!span) return;
    recordFailure(span, error, 'fetch-error');
    this.onDone(message);
  }

  private guard(hook: () => void): void {
    try {
      hook();
    } catch (error) {
      warnOnce('fetch', 'tracing a fetch request failed; the request goes on untraced', error);
    }
  }
}

function hasHeader(headers: string | string[], name: string): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) return true;
    }
    return false;
  }
  return typeof headers === 'string' && headers.toLowerCase().includes(`${name}:`);
}
