import type { XRayClient } from '@aws-sdk/client-xray';
import { TraceCheckUsageError } from '../errors';
import type { TraceBackend } from '../types';
import type { FetchLike } from './http';
import { JaegerTraceBackend } from './jaeger';
import { TempoTraceBackend } from './tempo';
import { XRayTraceBackend } from './xray';

export { type FetchLike } from './http';
export { JaegerTraceBackend, parseJaegerTrace } from './jaeger';
export { parseOtlpTrace, TempoTraceBackend } from './tempo';
export { parseXraySegments, XRayTraceBackend } from './xray';

/** A backend as the command and the canary name it: `xray`, `jaeger=<url>`, `tempo=<url>`. */
export type BackendSpec =
  { readonly type: 'xray' } | { readonly type: 'jaeger' | 'tempo'; readonly url: string };

/**
 * Reads `xray`, `jaeger=<url>` or `tempo=<url>` (an http or https URL: the query API's base).
 *
 * @throws TraceCheckUsageError for anything else.
 */
export function parseBackendSpec(text: string): BackendSpec {
  const trimmed = text.trim();
  if (trimmed === 'xray') return { type: 'xray' };
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
  throw new TraceCheckUsageError(`unknown backend '${text}': use xray, jaeger=<url> or tempo=<url>`);
}

/** The backend a spec names (the X-Ray client is made only for X-Ray). */
export function createBackend(
  spec: BackendSpec,
  clients: { xray: () => XRayClient; fetch?: FetchLike },
): TraceBackend {
  switch (spec.type) {
    case 'xray':
      return new XRayTraceBackend(clients.xray());
    case 'jaeger':
      return new JaegerTraceBackend(spec.url, { fetch: clients.fetch });
    case 'tempo':
      return new TempoTraceBackend(spec.url, { fetch: clients.fetch });
  }
}
