import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Where the value of a canary's query API header comes from. */
export enum CanaryHeaderValueKind {
  /** A value the canary reads from AWS Secrets Manager when it runs. */
  SECRET = 'secret',
  /** A literal, non-secret value. */
  PLAIN = 'plain',
}

/**
 * The value of one HTTP header the canary sends to a Jaeger or Tempo query API (an API token, a
 * tenant id), as `ExporterHeaderValue` is for the collector's exporter.
 *
 * A secret value never appears in the template or the canary's environment: the environment names
 * the secret's ARN (and JSON field), the canary reads it with `secretsmanager:GetSecretValue` once
 * per cold start, and its role may read exactly those secrets.
 *
 * @example
 * declare const jaegerToken: secretsmanager.ISecret;
 * CanaryBackend.jaeger('https://jaeger.example.com', {
 *   headers: {
 *     Authorization: CanaryHeaderValue.fromSecret(jaegerToken, 'authorization'),
 *     'X-Scope-OrgID': CanaryHeaderValue.plain('payments'),
 *   },
 * });
 */
export class CanaryHeaderValue {
  /**
   * A header value the canary reads from a Secrets Manager secret when it runs.
   *
   * @param secret the secret, in the canary's region; the canary's role may read it
   * @param jsonField the field to read when the secret is a JSON object; the whole secret string when absent
   */
  public static fromSecret(secret: secretsmanager.ISecret, jsonField?: string): CanaryHeaderValue {
    return new CanaryHeaderValue(CanaryHeaderValueKind.SECRET, undefined, secret, jsonField);
  }

  /** A literal header value, for values that are not secret (it is in the canary's environment as is). */
  public static plain(value: string): CanaryHeaderValue {
    return new CanaryHeaderValue(CanaryHeaderValueKind.PLAIN, value);
  }

  private constructor(
    /** Where the value comes from. */
    public readonly kind: CanaryHeaderValueKind,
    /** The literal value (plain values only). */
    public readonly value?: string,
    /** The secret holding the value (secret values only). */
    public readonly secret?: secretsmanager.ISecret,
    /** The JSON field of the secret (secret values only). */
    public readonly jsonField?: string,
  ) {}
}
