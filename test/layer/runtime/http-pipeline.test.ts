import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { resetWarnings } from '../../../layer/runtime/diagnostics';
import { PipelinedHttpClient, parseHttpResponse } from '../../../layer/runtime/http-pipeline';
import { closedPort } from '../../helpers/runtime';

// The exporter's transport to an http: endpoint: one kept-alive connection, requests pipelined.
// Run against Node's HTTP server (a real HTTP/1.1 implementation that takes pipelined requests)
// and against raw sockets where the test needs to say exactly which bytes come back when. The
// real collector takes it in test/lib/collector/collector-run.test.ts.

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const deadline = (ms = 2000) => performance.now() + ms;
const body = (text: string) => new TextEncoder().encode(text);

let warn: jest.SpyInstance;
beforeEach(() => {
  resetWarnings();
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => warn.mockRestore());
const warnings = () => warn.mock.calls.map(([line]) => JSON.parse(line as string).message as string);

describe('reading answers', () => {
  const ok =
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n{"partialSuccess":{}}';
  const chunked =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n';

  test.each([
    ['Content-Length', ok, 200, false],
    ['chunked, with an extension and a trailer', chunked, 200, false],
    ['204 without a body', 'HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n', 204, false],
    ['Connection: close', 'HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno', 503, true],
    ['HTTP/1.0 closes', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 200, true],
    [
      'HTTP/1.0 kept alive',
      'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n',
      200,
      false,
    ],
  ])('%s: the status, the length taken, whether the connection closes', (_name, text, status, close) => {
    const bytes = Buffer.from(text, 'latin1');
    expect(parseHttpResponse(bytes)).toEqual({ status, length: bytes.length, close, toEnd: false });
    // Cut anywhere, it needs more bytes; never a wrong answer.
    for (let cut = 0; cut < bytes.length; cut++)
      expect(parseHttpResponse(bytes.subarray(0, cut))).toBeUndefined();
  });

  test('answers back to back, each from its offset; an interim 100 is its own answer', () => {
    const text = `HTTP/1.1 100 Continue\r\n\r\n${ok}${chunked}`;
    const bytes = Buffer.from(text, 'latin1');
    const first = parseHttpResponse(bytes)!;
    expect(first.status).toBe(100);
    const second = parseHttpResponse(bytes, first.length)!;
    expect(second).toMatchObject({ status: 200, length: ok.length });
    const third = parseHttpResponse(bytes, first.length + second.length)!;
    expect(first.length + second.length + third.length).toBe(bytes.length);
  });

  test('no framing: the body runs to the end of the connection', () => {
    expect(parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\n\r\npartial'))).toMatchObject({
      status: 200,
      toEnd: true,
      close: true,
    });
  });

  test.each([
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'],
    ['two different lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['a body too long to be an OTLP answer', 'HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n'],
    ['a header line without a name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n'],
  ])('%s: an error, not a guess', (_name, text) => {
    expect(() => parseHttpResponse(Buffer.from(text, 'latin1'))).toThrow();
  });

  test('a head that never ends is refused past 16 KB', () => {
    expect(parseHttpResponse(Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(1000)}`))).toBeUndefined();
    expect(() => parseHttpResponse(Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(20_000)}`))).toThrow(
      /too long/,
    );
  });
});

/** Node's HTTP server, recording what it got and on which connection. */
async function httpReceiver(answer: (req: IncomingMessage, body: string) => number = () => 200) {
  const got: { body: string; connection: number; headers: IncomingMessage['headers'] }[] = [];
  let connections = 0;
  const ids = new WeakMap<object, number>();
  const server: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      got.push({ body: text, connection: ids.get(req.socket)!, headers: req.headers });
      res.writeHead(answer(req, text), { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.on('connection', (socket) => ids.set(socket, ++connections));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`);
  return {
    url,
    got,
    connections: () => connections,
    open: () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n))),
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A raw TCP server: each connection's bytes, and the socket to answer on as the test says. */
async function rawReceiver(onRequest: (socket: Socket, index: number, connection: number) => void) {
  const received: string[] = [];
  let connections = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      // Requests end with their body; the bodies here are short and hold no "POST ".
      for (;;) {
        const headEnd = text.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
        if (text.length < headEnd + 4 + length) return;
        received.push(text.slice(headEnd + 4, headEnd + 4 + length));
        text = text.slice(headEnd + 4 + length);
        onRequest(socket, requests++, connection);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`);
  return {
    url,
    received,
    connections: () => connections,
    /** Connections still open, as the server sees them. */
    open: () => sockets.size,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';

describe('one connection, requests pipelined', () => {
  test('50 posts at once (overlapping invocations) arrive whole, in order, on one connection', async () => {
    const receiver = await httpReceiver();
    const client = new PipelinedHttpClient(receiver.url, { 'x-api-key': 'k' });
    try {
      const texts = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i * 97) }));
      await Promise.all(texts.map((text) => client.post(body(text), 'acknowledged', deadline())));
      expect(receiver.got.map((g) => g.body)).toEqual(texts);
      expect(new Set(receiver.got.map((g) => g.connection))).toEqual(new Set([1]));
      expect(receiver.got[0].headers).toMatchObject({
        'x-api-key': 'k',
        'content-length': String(texts[0].length),
        host: receiver.url.host,
      });
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test('"sent" is done before the answer comes; the answers are still read, one connection kept', async () => {
    const answers: Socket[] = [];
    const receiver = await rawReceiver((socket) => answers.push(socket));
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      client.warm();
      await later(50);
      for (let i = 0; i < 5; i++) await client.post(body(`{"n":${i}}`), 'sent', deadline());
      // Nothing answered yet, all five were done; now they are answered, in one burst.
      await later(50);
      expect(receiver.received).toHaveLength(5);
      answers[0].write(OK.repeat(5));
      await later(50);
      await client.post(body('{"n":5}'), 'sent', deadline());
      await later(50);
      expect(receiver.connections()).toBe(1);
      expect(warnings()).toEqual([]);
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test('answers split at every byte, chunked, with an interim 100: each matched to its request', async () => {
    const answer =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n';
    const receiver = await rawReceiver((socket) => {
      // One byte at a time, each in its own write.
      void (async () => {
        for (const byte of answer) {
          socket.write(byte);
          await later(0);
        }
      })();
    });
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      await client.post(body('{"a":1}'), 'acknowledged', deadline());
      await client.post(body('{"a":2}'), 'acknowledged', deadline());
      expect(receiver.received).toEqual(['{"a":1}', '{"a":2}']);
    } finally {
      client.close();
      await receiver.stop();
    }
  });
});

describe('a connection that goes', () => {
  test('the server closes it with a request unanswered (an idle close as it was sent): sent again once, on a new one', async () => {
    const receiver = await rawReceiver((socket, index) => {
      if (index === 1)
        socket.destroy(); // the second request: no answer, the connection closed
      else socket.write(OK);
    });
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      await client.post(body('{"r":1}'), 'acknowledged', deadline());
      await client.post(body('{"r":2}'), 'acknowledged', deadline());
      expect(receiver.received).toEqual(['{"r":1}', '{"r":2}', '{"r":2}']);
      expect(receiver.connections()).toBe(2);
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test('"Connection: close" on an answer: what was written after it goes again on a new connection', async () => {
    const receiver = await rawReceiver((socket, index, connection) => {
      if (connection === 1 && index === 0) {
        // Answer the first with close; the second, already written, is never answered here.
        setTimeout(() => socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'), 30);
      } else if (connection > 1) socket.write(OK);
    });
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      const both = [
        client.post(body('{"c":1}'), 'acknowledged', deadline()),
        client.post(body('{"c":2}'), 'acknowledged', deadline()),
      ];
      await Promise.all(both);
      expect(receiver.received).toEqual(['{"c":1}', '{"c":2}', '{"c":2}']);
      expect(receiver.connections()).toBe(2);
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test('nothing listens: "sent" and "acknowledged" both fail at once, and nothing is left open', async () => {
    const url = new URL(`http://127.0.0.1:${await closedPort()}/v1/traces`);
    const client = new PipelinedHttpClient(url, {});
    const start = performance.now();
    await expect(client.post(body('{}'), 'sent', deadline(5000))).rejects.toThrow(/ECONNREFUSED/);
    await expect(client.post(body('{}'), 'acknowledged', deadline(5000))).rejects.toThrow(/ECONNREFUSED/);
    expect(performance.now() - start).toBeLessThan(1000);
    await later(20); // a destroyed socket's handle closes on the next turn of the loop
    expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap')).toHaveLength(0);
  });

  test('refused at init (the collector extension not listening yet): the first post connects, nothing is warned', async () => {
    const url = new URL(`http://127.0.0.1:${await closedPort()}/v1/traces`);
    const client = new PipelinedHttpClient(url, {});
    client.warm();
    await later(50); // the refusal has come and gone
    const receiver = await httpReceiverOn(url);
    try {
      await client.post(body('{"first":1}'), 'acknowledged', deadline());
      expect(receiver.got.map((g) => g.body)).toEqual(['{"first":1}']);
      expect(warnings()).toEqual([]);
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test('the receiver restarts (every connection dropped): the next post reconnects', async () => {
    const receiver = await httpReceiver();
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      await client.post(body('{"before":1}'), 'acknowledged', deadline());
      await receiver.stop();
      const again = await httpReceiverOn(receiver.url);
      try {
        await client.post(body('{"after":1}'), 'acknowledged', deadline());
        expect(again.got.map((g) => g.body)).toEqual(['{"after":1}']);
      } finally {
        await again.stop();
      }
    } finally {
      client.close();
    }
  });
});

/** Node's HTTP server on a given port (the receiver back after a restart). */
async function httpReceiverOn(url: URL) {
  const got: { body: string }[] = [];
  const server = createHttpServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      got.push({ body: text });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(Number(url.port), '127.0.0.1', resolve));
  return {
    got,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('deadlines', () => {
  test('"acknowledged" with no answer fails at its deadline; the connection is closed', async () => {
    const receiver = await rawReceiver(() => undefined);
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      const start = performance.now();
      await expect(client.post(body('{}'), 'acknowledged', deadline(200))).rejects.toThrow(
        /within its deadline \(200 ms\)/,
      );
      const waited = performance.now() - start;
      expect(waited).toBeGreaterThanOrEqual(190);
      expect(waited).toBeLessThan(700);
      await later(50);
      expect(receiver.open()).toBe(0);
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test('"sent" and never answered: done at once, and the connection is given up at the deadline, not sent again', async () => {
    const receiver = await rawReceiver(() => undefined);
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      await client.post(body('{"s":1}'), 'sent', deadline(150));
      await later(400);
      expect(receiver.received).toEqual(['{"s":1}']);
      expect(warnings()).toEqual([expect.stringContaining('did not answer 1 export(s) within the deadline')]);
      expect(receiver.open()).toBe(0);
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test('a deadline already past: refused before anything is written', async () => {
    const receiver = await httpReceiver();
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      await expect(client.post(body('{}'), 'sent', performance.now() - 1)).rejects.toThrow(/deadline passed/);
      await later(30);
      expect(receiver.got).toEqual([]);
    } finally {
      client.close();
      await receiver.stop();
    }
  });
});

describe('what the receiver says', () => {
  test('a non-2xx answer fails an "acknowledged" post, and is reported once per status for "sent" ones', async () => {
    const receiver = await httpReceiver((_req, text) => (text.includes('bad') ? 400 : 200));
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      await expect(client.post(body('{"bad":1}'), 'acknowledged', deadline())).rejects.toThrow(
        /answered 400/,
      );
      await client.post(body('{"bad":2}'), 'sent', deadline());
      await client.post(body('{"bad":3}'), 'sent', deadline());
      await client.post(body('{"good":1}'), 'acknowledged', deadline());
      expect(warnings()).toEqual(['the OTLP receiver answered 400 to an export; its spans are lost']);
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test('bytes that are not HTTP: reported, the connection replaced, the request sent again', async () => {
    const receiver = await rawReceiver((socket, _index, connection) =>
      socket.write(connection === 1 ? 'garbage\r\n\r\n' : OK),
    );
    const client = new PipelinedHttpClient(receiver.url, {});
    try {
      await client.post(body('{"g":1}'), 'acknowledged', deadline());
      expect(receiver.received).toEqual(['{"g":1}', '{"g":1}']);
      expect(warnings()).toEqual([expect.stringContaining('not HTTP/1.1')]);
    } finally {
      client.close();
      await receiver.stop();
    }
  });
});

describe('headers', () => {
  test("invalid ones are left out and named (never their value); framing headers are the client's", async () => {
    const receiver = await httpReceiver();
    const client = new PipelinedHttpClient(receiver.url, {
      'x-ok': 'fine',
      'bad name': 'secret-one',
      'x-split': 'secret-two\r\nx-injected: 1',
      'x-wide': 'secret-three-\u{1F511}',
      'Content-Length': '1',
      connection: 'close',
      host: 'elsewhere.example.com',
    });
    try {
      await client.post(body('{"h":1}'), 'acknowledged', deadline());
      const [{ headers }] = receiver.got;
      expect(headers).toMatchObject({ 'x-ok': 'fine', host: receiver.url.host, 'content-length': '7' });
      expect(headers).not.toHaveProperty('x-injected');
      expect(headers).not.toHaveProperty('x-split');
      expect(headers.connection).not.toBe('close');
      const text = warnings().join('\n');
      expect(text).toContain('"bad name"');
      expect(text).toContain('"x-split"');
      expect(text).toContain('"x-wide"');
      expect(headers).not.toHaveProperty('x-wide');
      expect(text).not.toContain('secret');
    } finally {
      client.close();
      await receiver.stop();
    }
  });

  test("only http: (https goes through Node's https client)", () => {
    expect(() => new PipelinedHttpClient(new URL('https://example.com/v1/traces'), {})).toThrow(/http:/);
  });
});
