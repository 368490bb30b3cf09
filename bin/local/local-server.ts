import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

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
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        this.handle(req, raw.toString('utf8'), res, raw);
      });
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

  /** Answers a request; `raw` is the body as it arrived, `body` the same read as UTF-8. */
  protected abstract handle(req: IncomingMessage, body: string, res: ServerResponse, raw: Buffer): void;
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

/**
 * `count` distinct ports of 127.0.0.1 that were free a moment ago (for a process that must be told
 * its ports): all are held open until every one is taken, so no two are the same.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createNetServer>>((resolveServer, reject) => {
          const server = createNetServer();
          server.on('error', reject);
          server.listen(0, '127.0.0.1', () => resolveServer(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolveClose) => server.close(resolveClose))));
  return ports;
}
