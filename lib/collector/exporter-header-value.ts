import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Where the value of an exporter header comes from. */
export enum ExporterHeaderValueKind {
  /** A value read from AWS Secrets Manager by the collector when it starts. */
  SECRET = 'secret',
  /** A literal, non-secret value. */
  PLAIN = 'plain',
}

/**
 * The value of one HTTP header sent with every export (for example an API key).
 *
 * Secret values never appear in the template or in an environment variable: the collector
 * configuration holds a `${secretsmanager:<arn>}` reference that the collector resolves at start,
 * and the function is granted read access to the secret.
 *
 * @example
 * declare const apiKey: secretsmanager.ISecret;
 * ExporterHeaderValue.fromSecret(apiKey, 'apiKey');
 */
export class ExporterHeaderValue {
  /**
   * A header value read from a Secrets Manager secret when the collector starts.
   *
   * @param secret the secret; the function is granted `secretsmanager:GetSecretValue` on it
   * @param jsonField the field to read when the secret is a JSON object; the whole secret string when absent
   */
  public static fromSecret(secret: secretsmanager.ISecret, jsonField?: string): ExporterHeaderValue {
    return new ExporterHeaderValue(ExporterHeaderValueKind.SECRET, undefined, secret, jsonField);
  }

  /**
   * A literal header value, for values that are not secret (it is written to the collector
   * configuration or to `OTEL_EXPORTER_OTLP_HEADERS` as is).
   */
  public static plain(value: string): ExporterHeaderValue {
    return new ExporterHeaderValue(ExporterHeaderValueKind.PLAIN, value);
  }

  private constructor(
    /** Where the value comes from. */
    public readonly kind: ExporterHeaderValueKind,
    /** The literal value (plain values only). */
    public readonly value?: string,
    /** The secret holding the value (secret values only). */
    public readonly secret?: secretsmanager.ISecret,
    /** The JSON field of the secret (secret values only). */
    public readonly jsonField?: string,
  ) {}
}
