import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { XRayClient } from '@aws-sdk/client-xray';
import { TraceCheckUsageError } from '../errors';
import type { TraceBackend } from '../types';
import type { FetchLike } from './http';
import { JaegerTraceBackend } from './jaeger';
import { LOG_GROUP_NAME, LogsInsightsTraceBackend, SPANS_LOG_GROUP } from './logs-insights';
import { TempoTraceBackend } from './tempo';
import { XRayTraceBackend } from './xray';
import { XRayRetrievalTraceBackend } from './xray-retrieval';

export { type FetchLike } from './http';
export { JaegerTraceBackend, parseJaegerTrace } from './jaeger';
export {
  LOG_GROUP_NAME,
  LogsInsightsTraceBackend,
  MAX_QUERY_ROWS,
  SPANS_LOG_GROUP,
  type LogsInsightsOptions,
} from './logs-insights';
export { parseOtlpTrace, TempoTraceBackend } from './tempo';
export { parseXraySegments, XRayTraceBackend } from './xray';
export { parseRetrievedSpans, XRayRetrievalTraceBackend, type XRayRetrievalOptions } from './xray-retrieval';

/**
 * A backend as the command and the canary name it: `xray` (X-Ray's trace retrieval API, for
 * accounts with CloudWatch Transaction Search on), `xray-batch` (X-Ray's `BatchGetTraces`, for
 * accounts with it off), `logs-insights[=<log group>]` (the Transaction Search span log group
 * `aws/spans`, read with CloudWatch Logs Insights), `jaeger=<url>`, `tempo=<url>`.
 */
export type BackendSpec =
  | { readonly type: 'xray' | 'xray-batch' }
  | { readonly type: 'logs-insights'; readonly logGroupName: string }
  | { readonly type: 'jaeger' | 'tempo'; readonly url: string };

/**
 * Reads `xray`, `xray-batch`, `logs-insights` (the log group `aws/spans`),
 * `logs-insights=<log group name>`, `jaeger=<url>` or `tempo=<url>` (an http or https URL: the
 * query API's base).
 *
 * @throws TraceCheckUsageError for anything else.
 */
export function parseBackendSpec(text: string): BackendSpec {
  const trimmed = text.trim();
  if (trimmed === 'xray' || trimmed === 'xray-batch') return { type: trimmed };
  if (trimmed === 'logs-insights') return { type: 'logs-insights', logGroupName: SPANS_LOG_GROUP };
  if (trimmed.startsWith('logs-insights=')) {
    const logGroupName = trimmed.slice('logs-insights='.length);
    if (!LOG_GROUP_NAME.test(logGroupName)) {
      throw new TraceCheckUsageError(
        `the log group name '${logGroupName}' is not one CloudWatch Logs allows (1 to 512 of a-z A-Z 0-9 . - _ / #)`,
      );
    }
    return { type: 'logs-insights', logGroupName };
  }
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
    `unknown backend '${text}': use xray, xray-batch, logs-insights[=<log group>], jaeger=<url> or tempo=<url>`,
  );
}

/**
 * The backend a spec names (the X-Ray client is made only for X-Ray, the CloudWatch Logs client
 * only for Logs Insights).
 */
export function createBackend(
  spec: BackendSpec,
  clients: {
    xray: () => XRayClient;
    logs?: () => CloudWatchLogsClient;
    fetch?: FetchLike;
    now?: () => number;
    /** Waits while a Logs Insights query runs. @default setTimeout */
    sleep?: (ms: number) => Promise<void>;
    headers?: Record<string, string>;
  },
): TraceBackend {
  switch (spec.type) {
    case 'logs-insights':
      if (!clients.logs) throw new Error('the logs-insights backend needs a CloudWatch Logs client');
      return new LogsInsightsTraceBackend(clients.logs(), {
        logGroupName: spec.logGroupName,
        now: clients.now,
        sleep: clients.sleep,
      });
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
