import { IConstruct } from 'constructs';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleLevel, RuleResult, TracingRule } from '../../rule';
import { environmentVariables, functionTarget, literalString } from '../../../core/resource-values';

/** The id of the rule {@link highCardinalityResource}. */
export const HIGH_CARDINALITY_RESOURCE = 'CST-HighCardinalityResource';

const RESOURCE_ATTRIBUTES = 'OTEL_RESOURCE_ATTRIBUTES';
const SERVICE_NAME = 'OTEL_SERVICE_NAME';

/** Attribute keys that describe one request, not the service: span attributes, never resource ones. */
const PER_REQUEST_KEYS: ReadonlySet<string> = new Set([
  'faas.invocation_id',
  'aws.request_id',
  'http.url',
  'url.full',
  'user.id',
  'session.id',
  'enduser.id',
  'request.id',
  'trace_id',
]);

/** Values that look unique: they change at every deployment (or request), never the same twice. */
const UNIQUE_VALUES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i, 'a UUID'],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/, 'a timestamp'],
  [/^\d{10}(\d{3})?$/, 'a Unix timestamp'],
  [/\b[0-9a-f]{16,}\b/i, 'a 16+ digit hex id'],
];

/** Keys whose value identifies a deployment by a commit hash: a long hex value is expected there. */
const REVISION_KEY = /^(service\.version|vcs\..*)$/;

/**
 * `CST-HighCardinalityResource`: `OTEL_RESOURCE_ATTRIBUTES` of a function with a key that belongs
 * to one request (`faas.invocation_id`, `aws.request_id`, `http.url`, `url.full`, `user.id`,
 * `session.id`, `enduser.id`, `request.id`, `trace_id`), or a value — there or in
 * `OTEL_SERVICE_NAME` — that looks unique (a UUID, a 16+ digit hex id, a timestamp). Resource
 * attributes should identify the service and its deployment; a commit hash in `service.version`
 * or `vcs.*` does. Literal values only.
 */
export const highCardinalityResource: TracingRule = {
  id: HIGH_CARDINALITY_RESOURCE,
  level: RuleLevel.WARNING,
  summary:
    `${RESOURCE_ATTRIBUTES} or ${SERVICE_NAME} of a function holds a per-request key or a unique-looking ` +
    'value: resource attributes should identify the service and its deployment, not a request.',
  fix:
    'Keep the service and its deployment in the resource attributes (service.name, service.version, ' +
    'deployment.environment.name); record request values as span attributes',
  evaluate(node: IConstruct): RuleResult {
    const fn = functionTarget(node);
    if (!fn) {
      return NOT_APPLICABLE;
    }
    const variables = environmentVariables(fn.resource);
    const attributes = literalString(variables?.[RESOURCE_ATTRIBUTES]);
    const serviceName = literalString(variables?.[SERVICE_NAME]);
    if (attributes === undefined && serviceName === undefined) {
      return NOT_APPLICABLE;
    }
    const problems = [
      ...(serviceName === undefined ? [] : valueProblem(SERVICE_NAME, serviceName)),
      ...(attributes === undefined
        ? []
        : parseAttributes(attributes).flatMap(([k, v]) => attributeProblems(k, v))),
    ];
    if (problems.length === 0) {
      return COMPLIANT;
    }
    return nonCompliant(
      `function ${fn.construct.node.path} has high-cardinality resource attributes: ${problems.join(', ')}; ` +
        'every distinct value starts a new resource in the backend',
    );
  },
};

/** `key1=value1,key2=value2` (values percent-encoded, as the OpenTelemetry specification says). */
function parseAttributes(text: string): Array<[string, string]> {
  return text
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at).trim(), decode(pair.slice(at + 1).trim())];
    });
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function attributeProblems(key: string, value: string): string[] {
  if (PER_REQUEST_KEYS.has(key)) {
    return [`${key} (a per-request attribute)`];
  }
  return valueProblem(key, value);
}

function valueProblem(key: string, value: string): string[] {
  const unique = UNIQUE_VALUES.find(
    ([pattern, what]) => pattern.test(value) && !(what === 'a 16+ digit hex id' && REVISION_KEY.test(key)),
  );
  return unique ? [`${key} (its value looks like ${unique[1]})`] : [];
}
