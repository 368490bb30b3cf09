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
