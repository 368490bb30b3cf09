import { IConstruct } from 'constructs';
import { ENV } from '../../../core/constants';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleLevel, RuleResult, TracingRule } from '../../rule';
import { environmentVariables, functionTarget, literalString } from '../../../core/resource-values';

/** The id of the rule {@link secretInEnvironment}. */
export const SECRET_IN_ENVIRONMENT = 'CST-SecretInEnvironment';

/** A variable (or header) name that says its value is a secret. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)/i;

/** Names that point at a secret (or configure one) rather than hold it. */
const REFERENCE_NAME =
  /(_ARN|_NAME|_ID|_PARAM|_PARAMETER|_PATH|_URL|_URI|_FILE|_REF|_ENDPOINT|_TTL|_SECONDS|_MS|_EXPIRY|_EXPIRATION|_LENGTH|_ENABLED|_TYPE|_REGION|_VERSION)$/i;

/** Values that point at a secret rather than hold it, or say nothing. */
const REFERENCE_VALUE = [
  /^arn:/i, // an ARN
  /^[a-z][a-z0-9+.-]*:\/\/[^\s/@]+(\/|$)/i, // a URL without credentials
  /^\{\{resolve:/, // a CloudFormation dynamic reference
  /^\$\{(secretsmanager|ssm|env):/, // a collector configuration reference
  /^\/[\w.\-/]+$/, // an SSM parameter path
  /^(true|false|yes|no|on|off|enabled|disabled|none|null)$/i,
];

/** Shapes of known keys: a value of this shape is a secret whatever its variable is called. */
const KEY_SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\bxox[baprs]-[0-9A-Za-z-]+/, 'a Slack token'],
  [/\b(ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{20,}|\bgithub_pat_[0-9A-Za-z_]{20,}/, 'a GitHub token'],
  [/\b(sk|rk)_live_[0-9A-Za-z]{10,}/, 'a Stripe live key'],
  [/\beyJ[\w-]+\.eyJ[\w-]+\./, 'a JWT'],
  [/^[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i, 'a URL with a password'],
];

/** Header names of `OTEL_EXPORTER_OTLP_HEADERS` that carry credentials. */
const SECRET_HEADER = /(authorization|api[-_]?key|token|secret|password|credentials?)/i;

/**
 * `CST-SecretInEnvironment`: a Lambda function environment variable whose literal value looks
 * like a secret — a secret-sounding name (`…SECRET…`, `…PASSWORD…`, `…TOKEN…`, `…API_KEY…`,
 * `…PRIVATE_KEY…`, `…CREDENTIALS…`) with a non-empty literal that is not a reference (an ARN, a
 * URL, an SSM path, a dynamic reference, a name or id variable), any value of a known key shape
 * (AWS access key id, PEM private key, Slack, GitHub, Stripe live keys, a JWT, a URL with a
 * password), or a credential
 * header in `OTEL_EXPORTER_OTLP_HEADERS`. Values that are tokens are not checked. The message
 * names the variables, never the values.
 */
export const secretInEnvironment: TracingRule = {
  id: SECRET_IN_ENVIRONMENT,
  level: RuleLevel.ERROR,
  summary:
    'A Lambda environment variable holds what looks like a secret, in plain text in the template and the ' +
    'function configuration.',
  fix:
    'Keep the secret in Secrets Manager and read it at run time (secret.grantRead(fn)); for an exporter header use ' +
    'ExporterHeaderValue.fromSecret(secret); if the value is not a secret, ' +
    `acknowledgeRule(fn, '${SECRET_IN_ENVIRONMENT}', reason)`,
  evaluate(node: IConstruct): RuleResult {
    const fn = functionTarget(node);
    if (!fn) {
      return NOT_APPLICABLE;
    }
    const variables = environmentVariables(fn.resource);
    if (variables === undefined) {
      return NOT_APPLICABLE;
    }
    const found = Object.entries(variables).flatMap(([name, value]) => {
      const why = secretReason(name, literalString(value));
      return why ? [`${name} (${why})`] : [];
    });
    if (found.length === 0) {
      return COMPLIANT;
    }
    return nonCompliant(
      `function ${fn.construct.node.path} has ${found.length > 1 ? 'environment variables' : 'environment variable'} ` +
        `${found.join(', ')} with a literal value that looks like a secret: anyone who can read the template or ` +
        'the function configuration reads it',
    );
  },
};

/** Why a variable looks like it holds a secret, or `undefined`. */
export function secretReason(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  const shape = KEY_SHAPES.find(([pattern]) => pattern.test(value));
  if (shape) {
    return `its value has the shape of ${shape[1]}`;
  }
  if (name === ENV.OTLP_HEADERS || name === 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') {
    const headers = value
      .split(',')
      .map((pair) => pair.split('=')[0].trim())
      .filter((header) => SECRET_HEADER.test(header));
    return headers.length > 0 ? `header ${headers.join(', ')}` : undefined;
  }
  if (
    SECRET_NAME.test(name) &&
    !REFERENCE_NAME.test(name) &&
    !REFERENCE_VALUE.some((p) => p.test(value.trim()))
  ) {
    return 'its name';
  }
  return undefined;
}
