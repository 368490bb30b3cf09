import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseHeaderPairs } from './backends';

/**
 * A header of the query API whose value the canary reads from AWS Secrets Manager, as its
 * environment names it (`TraceContinuityCanary` writes the list as JSON): never the value.
 */
export interface SecretHeaderRef {
  /** The header's name. */
  readonly header: string;
  /** The secret's ARN. */
  readonly secret: string;
  /** The field of a JSON secret; the whole secret string when absent. */
  readonly field?: string;
}

/**
 * The headers the canary sends to a Jaeger or Tempo query API: the plain ones (`name=value` pairs,
 * values URL-encoded, as `TRACE_CHECK_HEADERS` of the command) and those read from Secrets Manager,
 * each secret read once and kept until `forget()` (the canary forgets after a run that could not
 * run, so a rotated or fixed secret is read again by the next run).
 *
 * Errors name the header and the secret's ARN, never a value.
 */
export class CanaryHeaders {
  private secretValues?: Promise<Record<string, string>>;

  constructor(private readonly secretsManager: (() => SecretsManagerClient) | undefined) {}

  /** The headers (`plain`: the pairs; `secretRefs`: the JSON list of `SecretHeaderRef`). */
  public async get(
    plain: string | undefined,
    secretRefs: string | undefined,
    source: string,
  ): Promise<Record<string, string>> {
    const headers = parseHeaderPairs(plain ?? '', source);
    const refs = parseSecretHeaderRefs(secretRefs);
    if (refs.length === 0) return headers;
    if (!this.secretsManager)
      throw new Error('the canary reads header secrets but has no Secrets Manager client');
    const client = this.secretsManager;
    this.secretValues ??= readSecretHeaders(client(), refs);
    try {
      return { ...headers, ...(await this.secretValues) };
    } catch (error) {
      this.secretValues = undefined;
      throw error;
    }
  }

  /** Reads the secrets again at the next `get()`. */
  public forget(): void {
    this.secretValues = undefined;
  }
}

/** The list of secret headers of the environment (JSON); none when absent. */
export function parseSecretHeaderRefs(text: string | undefined): SecretHeaderRef[] {
  if (!text) return [];
  let refs: unknown;
  try {
    refs = JSON.parse(text);
  } catch {
    throw new Error("the canary's secret header list is not JSON");
  }
  if (
    !Array.isArray(refs) ||
    !refs.every(
      (r: Partial<SecretHeaderRef> | null) =>
        !!r &&
        typeof r.header === 'string' &&
        typeof r.secret === 'string' &&
        (r.field === undefined || typeof r.field === 'string'),
    )
  ) {
    throw new Error("the canary's secret header list is not a list of { header, secret, field? }");
  }
  return refs as SecretHeaderRef[];
}

/** The value of each secret header; each secret is read once. */
async function readSecretHeaders(
  client: SecretsManagerClient,
  refs: readonly SecretHeaderRef[],
): Promise<Record<string, string>> {
  const strings = new Map<string, Promise<string>>();
  const headers: Record<string, string> = {};
  for (const ref of refs) {
    let secretString = strings.get(ref.secret);
    if (!secretString) {
      secretString = readSecretString(client, ref);
      strings.set(ref.secret, secretString);
    }
    const value = fieldOf(await secretString, ref);
    // A value fetch would refuse, with the value in its message.
    if ([...value].some((c) => (c < ' ' && c !== '\t') || c === '\x7f')) {
      throw new Error(
        `the value of header '${ref.header}' from secret ${ref.secret} has a control character (CR or LF, say), ` +
          'which an HTTP header cannot hold; store the value without it',
      );
    }
    headers[ref.header] = value;
  }
  return headers;
}

async function readSecretString(client: SecretsManagerClient, ref: SecretHeaderRef): Promise<string> {
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: ref.secret })));
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    throw new Error(
      `the secret ${ref.secret} of header '${ref.header}' could not be read (${name}: ${(error as Error).message})`,
      { cause: error },
    );
  }
  if (secretString === undefined) {
    throw new Error(
      `the secret ${ref.secret} of header '${ref.header}' has no SecretString (a binary secret?)`,
    );
  }
  return secretString;
}

/** The header's value: the secret string, or its JSON field (never quoted in an error). */
function fieldOf(secretString: string, ref: SecretHeaderRef): string {
  if (ref.field === undefined) return secretString;
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // The parser's message quotes the text: not shown.
    throw new Error(
      `the secret ${ref.secret} of header '${ref.header}' is not JSON, so it has no field '${ref.field}'`,
    );
  }
  const value = json && typeof json === 'object' ? (json as Record<string, unknown>)[ref.field] : undefined;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(
      `the secret ${ref.secret} of header '${ref.header}' has no field '${ref.field}' holding a string or a number`,
    );
  }
  return String(value);
}
