import type { XRayClient } from '@aws-sdk/client-xray';
import { TraceCheckUsageError } from '../errors';
import type { TraceBackend } from '../types';
import type { FetchLike } from './http';
import { JaegerTraceBackend } from './jaeger';
import { TempoTraceBackend } from './tempo';
import { XRayTraceBackend } from './xray';
import { XRayRetrievalTraceBackend } from './xray-retrieval';

export { type FetchLike } from './http';
export { JaegerTraceBackend, parseJaegerTrace } from './jaeger';
export { parseOtlpTrace, TempoTraceBackend } from './tempo';
export { parseXraySegments, XRayTraceBackend } from './xray';
export { parseRetrievedSpans, XRayRetrievalTraceBackend, type XRayRetrievalOptions } from './xray-retrieval';

/**
 * A backend as the command and the canary name it: `xray` (X-Ray's trace retrieval API, for
 * accounts with CloudWatch Transaction Search on), `xray-batch` (X-Ray's `BatchGetTraces`, for
 * accounts with it off), `jaeger=<url>`, `tempo=<url>`.
 */
export type BackendSpec =
  { readonly type: 'xray' | 'xray-batch' } | { readonly type: 'jaeger' | 'tempo'; readonly url: string };

/**
 * Reads `xray`, `xray-batch`, `jaeger=<url>` or `tempo=<url>` (an http or https URL: the query
 * API's base).
 *
 * @throws TraceCheckUsageError for anything else.
 */
export function parseBackendSpec(text: string): BackendSpec {
  const trimmed = text.trim();
  if (trimmed === 'xray' || trimmed === 'xray-batch') return { type: trimmed };
  const match = /^(jaeger|tempo)=(.+)$/.exec(trimmed);
  if (match) {
    let url: URL;
    try {
      url = new URL(match[2]);
    } catch {
      throw new TraceCheckUsageError(`the ${match[1]} URL '${match[2]}' is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TraceCheckUsageError(`the ${match[1]} URL '${match[2]}' is not http or https`);
    }
    return { type: match[1] as 'jaeger' | 'tempo', url: match[2] };
  }
  throw new TraceCheckUsageError(
    `unknown backend '${text}': use xray, xray-batch, jaeger=<url> or tempo=<url>`,
  );
}

/** The backend a spec names (the X-Ray client is made only for X-Ray). */
export function createBackend(
  spec: BackendSpec,
  clients: {
    xray: () => XRayClient;
    fetch?: FetchLike;
    now?: () => number;
    headers?: Record<string, string>;
  },
): TraceBackend {
  switch (spec.type) {
    case 'xray':
      return new XRayRetrievalTraceBackend(clients.xray(), { now: clients.now });
    case 'xray-batch':
      return new XRayTraceBackend(clients.xray());
    case 'jaeger':
      return new JaegerTraceBackend(spec.url, { fetch: clients.fetch, headers: clients.headers });
    case 'tempo':
      return new TempoTraceBackend(spec.url, { fetch: clients.fetch, headers: clients.headers });
  }
}

/**
 * Headers for a query API (Jaeger, Tempo) from `name=value` pairs separated by commas, values
 * URL-encoded — the format of `OTEL_EXPORTER_OTLP_HEADERS`. Never echoes a value: a malformed
 * pair is named by its position and header name only.
 *
 * @throws TraceCheckUsageError for a pair without `=` or with an empty or invalid name.
 */
export function parseHeaderPairs(text: string, source: string): Record<string, string> {
  const headers: Record<string, string> = {};
  text
    .split(',')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '')
    .forEach((pair, i) => {
      const at = pair.indexOf('=');
      const name = at === -1 ? '' : pair.slice(0, at).trim();
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
        throw new TraceCheckUsageError(
          `${source}: pair ${i + 1} is not name=value with a valid header name (its value is not shown)`,
        );
      }
      let value: string;
      try {
        value = decodeURIComponent(pair.slice(at + 1).trim());
      } catch {
        throw new TraceCheckUsageError(`${source}: the value of header '${name}' is not URL-encoded`);
      }
      headers[name] = value;
    });
  return headers;
}
