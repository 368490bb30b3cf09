import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server of the local run on a free port of 127.0.0.1 that hands each request, with
 * its body read, to `handle`.
 */
export abstract class LocalServer {
  private server?: Server;

  /** Starts listening; returns the endpoint URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.endpoint;
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Closes the server and the connections kept alive to it. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  protected abstract handle(req: IncomingMessage, body: string, res: ServerResponse): void;
}

/** A server that answers every request with `respond` (a page for a test, a stand-in). */
export class StaticServer extends LocalServer {
  constructor(private readonly respond: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
    super();
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    this.respond(req, body, res);
  }
}
