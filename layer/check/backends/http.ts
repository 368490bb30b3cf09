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
