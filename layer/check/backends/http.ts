import type { NormalisedSpan, TraceBackend } from '../types';

/** The `fetch` the HTTP backends use (the global one unless a test gives another). */
export type FetchLike = (
  url: string,
  init?: { headers?: Record<string, string> },
) => Promise<{
  readonly status: number;
  text(): Promise<string>;
}>;

/**
 * GETs a trace from a query API: the parsed JSON body, or `undefined` on 404 (not there, yet).
 *
 * @throws Error on any other status, with the start of the answer.
 */
export async function getJson(
  url: string,
  headers: Record<string, string>,
  fetchImpl: FetchLike | undefined,
): Promise<unknown> {
  const doFetch = fetchImpl ?? (globalThis.fetch as unknown as FetchLike);
  const response = await doFetch(url, { headers: { accept: 'application/json', ...headers } });
  const text = await response.text();
  if (response.status === 404) return undefined;
  if (response.status < 200 || response.status > 299) {
    throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(
      `GET ${url} answered ${response.status} with a body that is not JSON: ${text.slice(0, 300)}`,
    );
  }
}

/** The base URL without a trailing slash. */
export function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Options of the trace backends that read a query API over HTTP. */
export interface QueryApiOptions {
  /** Headers sent with every request (an API token, say). */
  readonly headers?: Record<string, string>;
  /** The `fetch` to use (tests). */
  readonly fetch?: FetchLike;
}

/**
 * A backend that reads a trace with `GET <url>/api/traces/<trace id>` and parses the answer: 404,
 * or an answer with no spans, is `undefined` (not there yet). Jaeger and Tempo differ only in
 * the answer's format.
 */
export abstract class QueryApiTraceBackend implements TraceBackend {
  public readonly name: string;

  protected constructor(
    kind: string,
    private readonly url: string,
    private readonly options: QueryApiOptions,
  ) {
    this.name = `${kind} ${baseUrl(url)}`;
  }

  public async getTrace(traceId: string): Promise<NormalisedSpan[] | undefined> {
    const body = await getJson(
      `${baseUrl(this.url)}/api/traces/${traceId}`,
      this.options.headers ?? {},
      this.options.fetch,
    );
    if (body === undefined) return undefined;
    const spans = this.parse(body);
    return spans.length > 0 ? spans : undefined;
  }

  /** The spans of an answer. */
  protected abstract parse(body: unknown): NormalisedSpan[];
}
