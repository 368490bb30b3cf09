import type { IncomingMessage } from 'node:http';
import { ExportResultCode, parseKeyPairsIntoRecord, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { warnOnce } from './diagnostics';
import { PipelinedHttpClient } from './http-pipeline';

/**
 * When an export counts as done:
 * - `sent`: the request has been handed to the operating system. Enough when the receiver is the
 *   collector extension on localhost: the bytes are in its socket and it keeps running after the
 *   function's response, while the function is frozen. Saves the wait for the collector's answer.
 * - `acknowledged`: the receiver answered 2xx. Needed when exporting straight to a remote backend.
 */
export type ExportCompletion = 'sent' | 'acknowledged';

/** Where and how the exporter sends, read from the standard OTLP variables. */
export interface OtlpEndpoint {
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly completion: ExportCompletion;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The traces endpoint: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else the collector extension on localhost:4318;
 * headers from `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TRACES_HEADERS`. Completion
 * from `TRACING_EXPORT_COMPLETION`, by default `sent` for a localhost endpoint and `acknowledged`
 * for any other.
 */
export function otlpEndpointFromEnv(env: Record<string, string | undefined>): OtlpEndpoint {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || 'http://localhost:4318';
  const url = new URL(
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || `${base.replace(/\/+$/, '')}/v1/traces`,
  );
  const headers = {
    ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_HEADERS),
    ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
  };
  const configured = env.TRACING_EXPORT_COMPLETION?.trim();
  const completion: ExportCompletion =
    configured === 'sent' || configured === 'acknowledged'
      ? configured
      : LOCAL_HOSTS.has(url.hostname)
        ? 'sent'
        : 'acknowledged';
  return { url, headers, completion };
}

/**
 * OTLP/HTTP with the official JSON encoding (`@opentelemetry/otlp-transformer`). An `http:`
 * endpoint (the collector extension on localhost, by default) is sent to over one kept-alive,
 * pipelined connection (`PipelinedHttpClient`, `node:net`), opened when the exporter is made;
 * an `https:` one with Node's `https` client, loaded on the first export. Measured reasons
 * (BENCHMARKS.md): the stock OTLP transport loads `zlib` and its agent utilities on the first
 * export of every cold start and always waits for the receiver's answer, and Node's HTTP client
 * costs several times the write itself per request (its objects, and a new connection whenever
 * an answer is still due). No retries beyond sending again what a dropped connection left
 * unanswered: a failed export is reported and dropped, as the invocation must not wait.
 */
export class OtlpJsonExporter implements DeadlineSpanExporter {
  private readonly pipeline?: PipelinedHttpClient;
  private https?: Promise<{
    request: typeof import('node:https').request;
    agent: import('node:https').Agent;
  }>;

  constructor(
    private readonly endpoint: OtlpEndpoint,
    private readonly timeoutMs: number,
  ) {
    if (endpoint.url.protocol === 'http:') {
      this.pipeline = new PipelinedHttpClient(endpoint.url, {
        ...endpoint.headers,
        'Content-Type': 'application/json',
      });
      this.pipeline.warm();
    } else if (endpoint.url.protocol !== 'https:') {
      throw new Error(`the OTLP endpoint ${endpoint.url.origin} is neither http: nor https:`);
    }
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exportBefore(spans, performance.now() + this.timeoutMs, resultCallback);
  }

  /**
   * Exports with a hard deadline (a `performance.now()` time): the spans are serialized in chunks
   * and the clock is read after each, so a large batch stops being serialized at the deadline (the
   * rest is dropped, with a warning); each request fails at the deadline, and the connection that
   * did not take or answer it in time is closed.
   */
  exportBefore(
    spans: ReadableSpan[],
    deadlineAt: number,
    resultCallback: (result: ExportResult) => void,
  ): void {
    const bodies: Uint8Array[] = [];
    try {
      for (let i = 0; i < spans.length; i += SPANS_PER_REQUEST) {
        if (i > 0 && performance.now() >= deadlineAt) {
          warnOnce(
            'export-serialize-deadline',
            `the deadline passed while serializing; ${spans.length - i} spans are dropped`,
          );
          break;
        }
        const body = JsonTraceSerializer.serializeRequest(spans.slice(i, i + SPANS_PER_REQUEST));
        if (!body) throw new Error('the spans could not be serialized');
        bodies.push(body);
      }
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    const sends = bodies.map((body) =>
      this.pipeline
        ? this.pipeline.post(body, this.endpoint.completion, deadlineAt)
        : this.sendHttps(body, deadlineAt),
    );
    (sends.length === 1 ? sends[0] : Promise.all(sends)).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
    );
  }

  async shutdown(): Promise<void> {
    this.pipeline?.close();
    if (this.https) (await this.https).agent.destroy();
  }

  async forceFlush(): Promise<void> {}

  private async sendHttps(body: Uint8Array, deadlineAt: number): Promise<void> {
    const { url, headers, completion } = this.endpoint;
    const transport = await (this.https ??= import('node:https').then((https) => ({
      request: https.request,
      agent: new https.Agent(AGENT_OPTIONS),
    })));
    await new Promise<void>((resolve, reject) => {
      const remaining = deadlineAt - performance.now();
      if (remaining <= 0) {
        reject(new Error('the export deadline passed before the request was sent'));
        return;
      }
      const req = transport.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': body.byteLength },
          agent: transport.agent,
        },
        (response: IncomingMessage) => {
          response.resume();
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`the OTLP receiver answered ${status}`));
        },
      );
      // A hard deadline, not an idle timeout: a receiver that trickles its answer does not keep
      // the socket. The timer does not keep the process alive, and goes when the request closes.
      const abort = setTimeout(
        () =>
          req.destroy(
            new Error(`the export did not finish within its deadline (${remaining.toFixed(0)} ms)`),
          ),
        remaining,
      );
      abort.unref();
      req.on('close', () => clearTimeout(abort));
      req.on('error', reject);
      if (completion === 'sent') req.on('finish', () => resolve());
      req.end(body);
    });
  }
}

/** A span exporter that can be given a hard deadline (a `performance.now()` time). */
export interface DeadlineSpanExporter extends SpanExporter {
  exportBefore(
    spans: ReadableSpan[],
    deadlineAt: number,
    resultCallback: (result: ExportResult) => void,
  ): void;
}

/** Spans per export request: the serializer's unit of work between two looks at the clock. */
export const SPANS_PER_REQUEST = 256;

/**
 * Keep-alive sockets of the https client, bounded: at most 16 idle ones are kept for the next
 * invocations (more are closed when they come free).
 */
const AGENT_OPTIONS = { keepAlive: true, maxFreeSockets: 16 } as const;
