import { connect, type Socket } from 'node:net';
import { warnOnce } from './diagnostics';

/**
 * One HTTP/1.1 response read off the wire: its status, how many bytes it took (head and body),
 * and whether the server closes the connection after it. `undefined` while more bytes are needed.
 */
export interface ParsedResponse {
  readonly status: number;
  readonly length: number;
  readonly close: boolean;
  /** No framing (no length, not chunked): the body runs to the end of the connection. */
  readonly toEnd: boolean;
}

/** A response head longer than this is not an OTLP receiver's: the connection is given up. */
const MAX_HEAD_BYTES = 16 * 1024;
/** Nor is a response body longer than this (an OTLP answer is a few bytes of partial success). */
const MAX_BODY_BYTES = 1024 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Reads the response that starts at `offset` of `data` (RFC 9112: a status line, header fields,
 * then a body framed by Transfer-Encoding: chunked, Content-Length, or the end of the
 * connection). Throws on bytes that are not an HTTP/1.x response.
 */
export function parseHttpResponse(data: Buffer, offset = 0): ParsedResponse | undefined {
  const headEnd = data.indexOf(HEAD_END, offset);
  if (headEnd < 0) {
    if (data.length - offset > MAX_HEAD_BYTES) throw new Error('the response head is too long');
    return undefined;
  }
  const lines = data.toString('latin1', offset, headEnd).split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]);
  if (!statusLine) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 40))}`);
  const status = Number(statusLine[2]);
  let close = statusLine[1] === '0';
  let contentLength: number | undefined;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) throw new Error('a response header line without a name');
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i]
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value) || (contentLength !== undefined && Number(value) !== contentLength)) {
        throw new Error('an invalid Content-Length');
      }
      contentLength = Number(value);
    } else if (name === 'transfer-encoding') {
      chunked = value.split(',').pop()?.trim() === 'chunked';
    } else if (name === 'connection') {
      const options = value.split(',').map((option: string) => option.trim());
      if (options.includes('close')) close = true;
      else if (options.includes('keep-alive')) close = false;
    }
  }
  const bodyStart = headEnd + HEAD_END.length;
  // 1xx, 204 and 304 have no body, whatever their headers say.
  if ((status >= 100 && status < 200) || status === 204 || status === 304) {
    return { status, length: bodyStart - offset, close, toEnd: false };
  }
  if (chunked) {
    const end = chunkedBodyEnd(data, bodyStart);
    return end === undefined ? undefined : { status, length: end - offset, close, toEnd: false };
  }
  if (contentLength !== undefined) {
    if (contentLength > MAX_BODY_BYTES) throw new Error('the response body is too long');
    const end = bodyStart + contentLength;
    return end > data.length ? undefined : { status, length: end - offset, close, toEnd: false };
  }
  return { status, length: data.length - offset, close: true, toEnd: true };
}

/** Where a chunked body that starts at `start` ends (after its trailer section), if it has. */
function chunkedBodyEnd(data: Buffer, start: number): number | undefined {
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf(CRLF, at);
    if (lineEnd < 0) {
      if (data.length - at > MAX_HEAD_BYTES) throw new Error('a chunk size line is too long');
      return undefined;
    }
    const sizeText = data.toString('latin1', at, lineEnd).split(';')[0].trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error('an invalid chunk size');
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      // The trailer section: header lines until an empty one.
      let lineStart = lineEnd + CRLF.length;
      for (;;) {
        const trailerEnd = data.indexOf(CRLF, lineStart);
        if (trailerEnd < 0) return undefined;
        if (trailerEnd === lineStart) return trailerEnd + CRLF.length;
        lineStart = trailerEnd + CRLF.length;
      }
    }
    if (at - start + size > MAX_BODY_BYTES) throw new Error('the response body is too long');
    at = lineEnd + CRLF.length + size + CRLF.length;
    if (at > data.length) return undefined;
    if (data[at - 2] !== 0x0d || data[at - 1] !== 0x0a) throw new Error('a chunk without its CRLF');
  }
}

/** When a request counts as done: written to the operating system, or answered 2xx. */
export type Completion = 'sent' | 'acknowledged';

/** A request on the connection, until its answer is read. */
interface Pending {
  /** The whole request, kept to send it again; dropped once it need not be. */
  bytes?: Buffer;
  readonly completion: Completion;
  /** Whether it was counted done or failed (its promise settled). */
  settled: boolean;
  /** Whether it may be sent again if its connection goes before its answer. */
  resendable: boolean;
  /** Its time in milliseconds, and when it runs out (a `performance.now()` time). */
  readonly budgetMs: number;
  deadlineAt: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const settledAlready = (): void => undefined;

/**
 * Bytes of requests kept to send again if their connection goes before their answer, at most: a
 * few exports' worth (a request is answered within the next invocation or two), so a collector
 * that falls behind costs bounded memory.
 */
const MAX_RETAINED_BYTES = 1024 * 1024;

/**
 * HTTP/1.1 POSTs to one origin over one kept-alive connection (`node:net`), pipelined (RFC 9112
 * §9.3.2): each request is written as one buffer the moment it is made, whether or not earlier
 * answers have come, and answers are matched to requests in order. Made for the collector
 * extension on localhost, where Node's HTTP client (its agent, request and parser objects, and a
 * new connection whenever an answer is still due) costs several times the write itself.
 *
 * - `sent`: the request is done once the operating system has its bytes. Its answer is still
 *   read; a non-2xx one is reported (once per status). `acknowledged`: done on a 2xx answer.
 * - A request left unanswered because its connection went (the server closed an idle connection
 *   as the request was written, or answered an earlier one with `Connection: close`) is sent once
 *   more on a new connection: its bytes are kept until its answer, within `MAX_RETAINED_BYTES`.
 * - Every request has a hard deadline. One not done by then fails; one done (sent) and still not
 *   answered then means a receiver that does not answer. Either way the connection is closed
 *   (the requests whose time is not up and that were not counted done go again on a new one),
 *   so no socket stays with a receiver that trickles or never sends its answers.
 * - The socket does not keep the process alive while no request waits on it.
 */
export class PipelinedHttpClient {
  private socket?: Socket;
  /** Requests written on the connection, oldest first, until answered. */
  private unanswered: Pending[] = [];
  /** Requests whose promise has not settled. */
  private waiting = 0;
  private retainedBytes = 0;
  /** Bytes of an answer not read whole yet. */
  private received?: Buffer;
  /** The connection's last answer has no framing: its body runs to the end of the connection. */
  private toEnd = false;
  /** One timer for every deadline, at the oldest request's. */
  private watchdog?: NodeJS.Timeout;
  private readonly prefix: Buffer;

  constructor(
    private readonly url: URL,
    headers: Record<string, string>,
  ) {
    if (url.protocol !== 'http:') throw new Error(`PipelinedHttpClient speaks http:, not ${url.protocol}`);
    let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
    // By lower-case name, a later header replacing an earlier one; the framing is this client's.
    const byName = new Map<string, [string, string]>();
    for (const [name, value] of Object.entries(headers)) byName.set(name.toLowerCase(), [name, value]);
    for (const framing of ['host', 'content-length', 'transfer-encoding', 'connection'])
      byName.delete(framing);
    for (const [name, value] of byName.values()) {
      // A value is written as Latin-1, as Node's HTTP client takes it: no control characters but tab.
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || !/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) {
        // The name only: a header's value may be a secret.
        warnOnce(
          `header-${name}`,
          `the OTLP header ${JSON.stringify(name)} is not a valid HTTP header; it is not sent`,
        );
        continue;
      }
      head += `${name}: ${value}\r\n`;
    }
    this.prefix = Buffer.from(`${head}Content-Length: `, 'latin1');
  }

  /** Opens the connection ahead of the first request (if that fails, the first request reconnects). */
  warm(): void {
    this.connection();
  }

  /**
   * POSTs `body`; resolves when the request is done as `completion` says, rejects if it fails or
   * is not done by `deadlineAt` (a `performance.now()` time).
   */
  post(body: Uint8Array, completion: Completion, deadlineAt: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const budgetMs = deadlineAt - performance.now();
      if (budgetMs <= 0) {
        reject(new Error('the export deadline passed before the request was sent'));
        return;
      }
      const length = String(body.byteLength);
      const bytes = Buffer.allocUnsafe(this.prefix.length + length.length + 4 + body.byteLength);
      this.prefix.copy(bytes, 0);
      let at = this.prefix.length + bytes.write(length, this.prefix.length, 'latin1');
      at += bytes.write('\r\n\r\n', at, 'latin1');
      bytes.set(body, at);
      this.waiting++;
      this.write({
        bytes,
        completion,
        settled: false,
        resendable: true,
        budgetMs,
        deadlineAt,
        resolve,
        reject,
      });
    });
  }

  /** Closes the connection; requests still waiting fail. */
  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    const error = new Error('the exporter was shut down');
    for (const pending of this.unanswered) this.settle(pending, error);
    this.unanswered = [];
    this.retainedBytes = 0;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private connection(): Socket {
    if (this.socket) return this.socket;
    const socket = connect({
      host: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(this.url.port || 80),
    });
    socket.setNoDelay(true);
    socket.unref();
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('end', () => this.onGone(socket, undefined));
    socket.on('error', (error) => this.onGone(socket, error));
    socket.on('close', () => this.onGone(socket, undefined));
    this.socket = socket;
    this.received = undefined;
    this.toEnd = false;
    return socket;
  }

  private write(pending: Pending): void {
    const socket = this.connection();
    this.unanswered.push(pending);
    this.retainedBytes += pending.bytes!.length;
    const written = socket.write(pending.bytes!, (error) => {
      // On an error the connection's handlers deal with every request on it.
      if (!error && pending.completion === 'sent') this.settle(pending);
    });
    // The bytes are with the operating system already when the write took them all at once (its
    // callback runs on a later tick).
    if (pending.completion === 'sent' && written && !socket.connecting && socket.writableLength === 0) {
      this.settle(pending);
    }
    if (!pending.settled) socket.ref();
    else if (this.retainedBytes > MAX_RETAINED_BYTES) this.release(pending);
    this.watchdog ??= this.watch(pending.deadlineAt);
  }

  private watch(at: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.onWatchdog(), Math.max(0, at - performance.now()));
    timer.unref();
    return timer;
  }

  /** At the oldest request's deadline: it is done and answered, or the connection is given up. */
  private onWatchdog(): void {
    this.watchdog = undefined;
    const oldest = this.unanswered[0];
    if (!oldest) return;
    const now = performance.now();
    if (oldest.deadlineAt > now) {
      this.watchdog = this.watch(oldest.deadlineAt);
      return;
    }
    let unansweredSent = 0;
    for (const pending of this.unanswered) {
      // Done and not answered: a receiver that does not answer gets nothing again.
      if (pending.settled) {
        pending.resendable = false;
        unansweredSent++;
      } else if (pending.deadlineAt <= now) {
        pending.resendable = false;
        this.settle(
          pending,
          new Error(`the export did not finish within its deadline (${pending.budgetMs.toFixed(0)} ms)`),
        );
      }
    }
    if (unansweredSent > 0) {
      warnOnce(
        'export-unanswered',
        `the OTLP receiver did not answer ${unansweredSent} export(s) within the deadline; reconnecting`,
      );
    }
    if (this.socket) this.onGone(this.socket, undefined, false);
  }

  private settle(pending: Pending, error?: Error): void {
    if (pending.settled) return;
    pending.settled = true;
    this.waiting--;
    if (error) pending.reject(error);
    else pending.resolve();
    // What is left of it until its answer is its place in line: the promise is not kept.
    pending.resolve = pending.reject = settledAlready;
    if (this.waiting === 0) this.socket?.unref();
  }

  private release(pending: Pending): void {
    if (pending.bytes) this.retainedBytes -= pending.bytes.length;
    pending.bytes = undefined;
  }

  private onData(socket: Socket, chunk: Buffer): void {
    // A body that runs to the end of the connection is not kept.
    if (socket !== this.socket || this.toEnd) return;
    const data = this.received ? Buffer.concat([this.received, chunk]) : chunk;
    let offset = 0;
    try {
      for (;;) {
        const response = parseHttpResponse(data, offset);
        if (!response) break;
        if (response.toEnd) {
          this.toEnd = true;
          this.received = undefined;
          this.answer(response.status);
          return;
        }
        offset += response.length;
        if (response.status < 200) continue;
        this.answer(response.status);
        if (response.close) {
          // Nothing written after this request will be answered on this connection.
          this.onGone(socket, undefined);
          return;
        }
      }
    } catch (error) {
      warnOnce(
        'export-response',
        'the OTLP receiver answered in bytes that are not HTTP/1.1; reconnecting',
        error,
      );
      this.onGone(socket, undefined);
      return;
    }
    this.received = offset === data.length ? undefined : data.subarray(offset);
  }

  /** The answer to the oldest request on the connection. */
  private answer(status: number): void {
    const pending = this.unanswered.shift();
    if (!pending) {
      warnOnce('export-unasked', 'the OTLP receiver answered a request that was not made');
      return;
    }
    this.release(pending);
    if (status >= 200 && status < 300) {
      this.settle(pending);
      return;
    }
    const error = new Error(`the OTLP receiver answered ${status}`);
    if (pending.settled)
      warnOnce(`export-status-${status}`, `${error.message} to an export; its spans are lost`);
    this.settle(pending, error);
  }

  /**
   * The connection went (or is given up): the requests not answered on it are sent again on a
   * new one, once each, unless `resend` is false for those counted done.
   */
  private onGone(socket: Socket, error: Error | undefined, resend = true): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.received = undefined;
    socket.destroy();
    const left = this.unanswered;
    this.unanswered = [];
    this.retainedBytes = 0;
    for (const pending of left) {
      if (pending.bytes && pending.resendable && (resend || !pending.settled)) {
        pending.resendable = false;
        // With its own time again: a request counted done may have none left.
        if (pending.settled) pending.deadlineAt = performance.now() + pending.budgetMs;
        this.write(pending);
        continue;
      }
      pending.bytes = undefined;
      const lost = error ?? new Error('the OTLP receiver closed the connection before answering');
      if (pending.settled && resend) {
        warnOnce(
          'export-lost',
          `an export was sent and not answered; its spans may be lost: ${lost.message}`,
        );
      }
      this.settle(pending, lost);
    }
  }
}
