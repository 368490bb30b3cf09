import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A request as it arrived at the endpoint. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the endpoint answers. */
export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * An HTTP server on 127.0.0.1 that records every request and answers with `handle`: the stand-in
 * for AWS services (real SDK clients are pointed at it with `endpoint`) and for trace query APIs.
 */
export class LocalEndpoint {
  public readonly requests: RecordedRequest[] = [];
  private server?: Server;

  constructor(private readonly handle: (request: RecordedRequest) => Answer) {}

  public async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(request);
        let answer: Answer;
        try {
          answer = this.handle(request);
        } catch (error) {
          answer = { status: 500, body: String((error as Error).stack) };
        }
        res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Credentials and region for SDK clients pointed at a local endpoint. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  };
}

/** A fixture of this folder, parsed. */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as T;
}

/** A recorded trace: the OTLP export requests of one run of the example flow. */
export interface RecordedTrace {
  /** The trace id the run was started with. */
  readonly traceId: string;
  /** The `traceparent` sent to the entry. */
  readonly traceparent: string;
  /** The OTLP/JSON export requests the functions sent (as the collector received them). */
  readonly exports: unknown[];
}

/** The trace id and root parent span id of the recorded example run (the fixtures carry them). */
export const RECORDED_TRACE_ID = '6b015185523659ce4989be29db0738a3';
export const RECORDED_ROOT_SPAN_ID = '5f7e215938b97350';

/** The recorded X-Ray `BatchGetTraces` answer of the example run. */
export interface RecordedXrayAnswer {
  readonly Traces: { readonly Segments: { readonly Id: string; readonly Document: string }[] }[];
}

/** The trace id and parent span id a Lambda Invoke request's event carries in its `traceparent`. */
export function sentIds(invoke: RecordedRequest): { traceId: string; spanId: string } {
  const event = JSON.parse(invoke.body) as { headers: { traceparent: string } };
  const [, traceId, spanId] = event.headers.traceparent.split('-');
  return { traceId, spanId };
}

/**
 * A recorded answer with the recorded ids replaced by `ids` (in X-Ray's `1-…-…` form or W3C's),
 * so that the trace read back is the one the check's invocation started.
 */
export function withIds(
  text: string,
  ids: { traceId: string; spanId: string },
  form: 'xray' | 'w3c',
): string {
  const xray = (id: string) => `1-${id.slice(0, 8)}-${id.slice(8)}`;
  const from = form === 'xray' ? xray(RECORDED_TRACE_ID) : RECORDED_TRACE_ID;
  const to = form === 'xray' ? xray(ids.traceId) : ids.traceId;
  return text.replaceAll(from, to).replaceAll(RECORDED_ROOT_SPAN_ID, ids.spanId);
}
