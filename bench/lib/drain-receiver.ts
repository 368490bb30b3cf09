import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OTLP/HTTP endpoint on 127.0.0.1 that reads each request and answers 200 at once, counting
 * requests and bytes, whatever the encoding (JSON from this library, protobuf from the Node
 * SDK's default): it stands for the collector extension without adding parsing time to any
 * variant.
 */
export class DrainReceiver {
  requests = 0;
  bytes = 0;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      req.on('data', (chunk: Buffer) => (this.bytes += chunk.length));
      req.on('end', () => {
        this.requests += 1;
        res
          .writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') })
          .end();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
