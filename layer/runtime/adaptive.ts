import type { IncomingMessage } from 'node:http';
import { warnOnce } from './diagnostics';

// Adaptive sampling: a boost of the head ratio, read from the AWS AppConfig Agent Lambda
// extension (its local HTTP endpoint, http://localhost:2772/applications/<app>/environments/<env>/
// configurations/<profile>), cached, refreshed in the background, never awaited by an invocation.
// The configuration is `{}` (no boost) or `{ "boostRatio": <0..1>, "until": "<ISO time>" }`: the
// boost ends by itself when `until` passes, with no new deployment.

/** The environment variable that names the configuration (the path above, or a full http:// URL). */
export const ENV_ADAPTIVE_CONFIG = 'TRACING_ADAPTIVE_CONFIG';

/** The extension's own variable for its port (AWS AppConfig documentation; default 2772). */
export const ENV_APPCONFIG_PORT = 'AWS_APPCONFIG_EXTENSION_HTTP_PORT';
export const DEFAULT_APPCONFIG_PORT = 2772;

/** Re-read the configuration at most this often (the extension itself polls AppConfig). */
export const DEFAULT_REFRESH_MS = 5_000;
/**
 * The longest one read may take; past it the read is abandoned and the last value kept. No
 * invocation ever waits for a read, so this bounds only how long a hung connection lives, not
 * latency. It is not shorter because a timer can fire before an answer that is already there is
 * processed when synchronous work (the rest of the handler module loading at init, a handler's own
 * synchronous code) holds the event loop: at 50 ms the first read at init timed out here.
 */
export const DEFAULT_READ_TIMEOUT_MS = 500;
/** The largest configuration body read (a boost is a few dozen bytes). */
const MAX_BODY_BYTES = 4096;

/** A boost as the configuration states it. */
export interface Boost {
  /** The ratio new traces are sampled at while the boost lasts (the larger of it and the head ratio). */
  readonly ratio: number;
  /** When the boost ends, in milliseconds since the epoch. */
  readonly untilMs: number;
}

type Env = Record<string, string | undefined>;

/**
 * Parses a configuration body: `{}` (or any object without `boostRatio`) is no boost; a
 * `boostRatio` between 0 and 1 with an `until` that is a date is a boost. Anything else is
 * `'invalid'` (the caller keeps what it knew).
 */
export function parseBoost(body: string): Boost | undefined | 'invalid' {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'invalid';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'invalid';
  const { boostRatio, until } = value as { boostRatio?: unknown; until?: unknown };
  if (boostRatio === undefined) return undefined;
  if (typeof boostRatio !== 'number' || !(boostRatio >= 0 && boostRatio <= 1)) return 'invalid';
  const untilMs = typeof until === 'string' ? Date.parse(until) : NaN;
  if (!Number.isFinite(untilMs)) return 'invalid';
  return { ratio: boostRatio, untilMs };
}

/** The URL of the configuration named by `TRACING_ADAPTIVE_CONFIG`, or undefined when it is not set. */
export function adaptiveConfigUrl(env: Env): URL | undefined {
  const raw = env[ENV_ADAPTIVE_CONFIG]?.trim();
  if (!raw) return undefined;
  try {
    if (/^http:\/\//i.test(raw)) return new URL(raw);
    if (!raw.startsWith('/applications/'))
      throw new Error('not /applications/<app>/environments/<env>/configurations/<profile>');
    const port = Number(env[ENV_APPCONFIG_PORT] || DEFAULT_APPCONFIG_PORT);
    return new URL(
      raw,
      `http://localhost:${Number.isInteger(port) && port > 0 ? port : DEFAULT_APPCONFIG_PORT}`,
    );
  } catch (error) {
    warnOnce(
      ENV_ADAPTIVE_CONFIG,
      `${ENV_ADAPTIVE_CONFIG}="${raw}" is not an AppConfig extension path or an http:// URL; adaptive sampling is off`,
      error,
    );
    return undefined;
  }
}

/**
 * The boost of this process: `ratio()` answers at once from what was last read, and starts a
 * read in the background when the last one is older than `refreshMs` (one read at a time, each
 * bounded by `timeoutMs`, its socket and timer unreferenced so they never hold the process or a
 * test open). A read that fails, times out or returns something unusable keeps the last value;
 * every boost ends at its `until` whatever the reads do.
 */
export class AdaptiveBoost {
  private boost: Boost | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly url: URL,
    private readonly options: { refreshMs?: number; timeoutMs?: number; now?: () => number } = {},
  ) {}

  /** The boost ratio in force now (undefined: none), starting a refresh if the last read is stale. */
  ratio(): number | undefined {
    const now = this.now();
    if (!this.reading && now - this.readAt >= (this.options.refreshMs ?? DEFAULT_REFRESH_MS)) {
      this.refresh();
    }
    const boost = this.boost;
    return boost !== undefined && now < boost.untilMs ? boost.ratio : undefined;
  }

  /** Starts a read now (unless one is under way); resolves when it is done. Never rejects. */
  refresh(): Promise<void> {
    if (this.reading) return this.reading;
    this.readAt = this.now();
    this.reading = this.read()
      .then((body) => {
        const parsed = parseBoost(body);
        if (parsed === 'invalid') {
          warnOnce(
            'adaptive-invalid',
            `the adaptive sampling configuration is not usable: ${body.slice(0, 200)}`,
          );
        } else {
          this.boost = parsed;
        }
      })
      .catch((error: unknown) => {
        warnOnce(
          'adaptive-read',
          'reading the adaptive sampling configuration failed; the last value is kept',
          error,
        );
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async read(): Promise<string> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    // Loaded on the first read: a function without adaptive sampling never loads Node's HTTP client.
    const { request } = await (nodeHttp ??= import('node:http'));
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const done = (error: Error | undefined, body?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          req.destroy();
          reject(error);
        } else resolve(body!);
      };
      const req = request(this.url, { method: 'GET', agent: false }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          res.resume();
          done(new Error(`HTTP ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) done(new Error(`the body is over ${MAX_BODY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => done(undefined, Buffer.concat(chunks).toString('utf8')));
        res.on('error', (error) => done(error));
      });
      const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      req.on('socket', (socket) => socket.unref());
      req.on('error', (error) => done(error));
      req.end();
    });
  }
}

let nodeHttp: Promise<typeof import('node:http')> | undefined;

/**
 * The boost of this process when `TRACING_ADAPTIVE_CONFIG` is set (a first read starts at once,
 * during init, so the configuration the extension prefetched is usually there by the first
 * invocation); undefined otherwise, and then nothing of this module runs per invocation.
 */
export function adaptiveBoostFromEnv(env: Env): AdaptiveBoost | undefined {
  const url = adaptiveConfigUrl(env);
  if (!url) return undefined;
  const boost = new AdaptiveBoost(url);
  void boost.refresh();
  return boost;
}
