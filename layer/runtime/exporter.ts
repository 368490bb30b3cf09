import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:http';
import { ExportResultCode, parseKeyPairsIntoRecord, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

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
 * OTLP/HTTP with the official JSON encoding (`@opentelemetry/otlp-transformer`), sent with Node's
 * `http` (or `https`, loaded only for an https endpoint). It replaces the stock OTLP exporter's
 * transport for two measured reasons (BENCHMARKS.md): the stock transport loads `zlib` and its
 * agent utilities on the first export of every cold start, and it always waits for the
 * receiver's answer, which is most of a warm invocation's tracing time when the receiver is the
 * collector extension on localhost (see `ExportCompletion`). No retries: a failed export is
 * reported and dropped, as the invocation must not wait.
 */
export class OtlpJsonExporter implements SpanExporter {
  private readonly agent: Agent;
  private https?: Promise<typeof import('node:https')>;

  constructor(
    private readonly endpoint: OtlpEndpoint,
    private readonly timeoutMs: number,
  ) {
    this.agent = new Agent({ keepAlive: true });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let body: Uint8Array | undefined;
    try {
      body = JsonTraceSerializer.serializeRequest(spans);
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    if (!body) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: new Error('the spans could not be serialized'),
      });
      return;
    }
    this.send(body).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
    );
  }

  async shutdown(): Promise<void> {
    this.agent.destroy();
  }

  async forceFlush(): Promise<void> {}

  private async send(body: Uint8Array): Promise<void> {
    const { url, headers, completion } = this.endpoint;
    const options = {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': body.byteLength },
      timeout: this.timeoutMs,
    };
    const send =
      url.protocol === 'https:'
        ? (await (this.https ??= import('node:https'))).request.bind(undefined, url, options)
        : request.bind(undefined, url, { ...options, agent: this.agent });
    await new Promise<void>((resolve, reject) => {
      const req = send((response: IncomingMessage) => {
        response.resume();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`the OTLP receiver answered ${status}`));
      });
      req.on('error', reject);
      req.on('timeout', () =>
        req.destroy(new Error(`no answer from the OTLP receiver within ${this.timeoutMs} ms`)),
      );
      if (completion === 'sent') req.on('finish', () => resolve());
      req.end(body);
    });
  }
}
