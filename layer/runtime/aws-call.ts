import {
  SpanKind,
  context,
  trace,
  type AttributeValue,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import { warnOnce } from './diagnostics';
import { recordFailure } from './errors';
import {
  ATTR_AWS_DYNAMODB_CONSISTENT_READ,
  ATTR_AWS_DYNAMODB_CONSUMED_CAPACITY,
  ATTR_AWS_DYNAMODB_COUNT,
  ATTR_AWS_DYNAMODB_INDEX_NAME,
  ATTR_AWS_DYNAMODB_LIMIT,
  ATTR_AWS_DYNAMODB_PROJECTION,
  ATTR_AWS_DYNAMODB_SCANNED_COUNT,
  ATTR_AWS_DYNAMODB_SCAN_FORWARD,
  ATTR_AWS_DYNAMODB_SEGMENT,
  ATTR_AWS_DYNAMODB_SELECT,
  ATTR_AWS_DYNAMODB_TABLE_NAMES,
  ATTR_AWS_DYNAMODB_TOTAL_SEGMENTS,
  ATTR_AWS_EXTENDED_REQUEST_ID,
  ATTR_AWS_REQUEST_ID,
  ATTR_AWS_S3_BUCKET,
  ATTR_AWS_S3_KEY,
  ATTR_AWS_SECRETSMANAGER_SECRET_ARN,
  ATTR_AWS_SNS_TOPIC_ARN,
  ATTR_AWS_SQS_QUEUE_URL,
  ATTR_CLOUD_REGION,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
} from './semconv';
import { tracingRuntime } from './tracing';

// The CLIENT span of an AWS SDK v3 call that carries no message (every command but the sends of
// aws-client.ts), with the attributes of the OpenTelemetry conventions for AWS SDK calls.

/** The next handler of an SDK middleware. */
export type MiddlewareNext = (args: { input: unknown }) => Promise<{ output: unknown }>;

/** What the SDK tells a middleware about the call: the client's and the command's class names. */
export interface MiddlewareContext {
  readonly clientName?: string;
  readonly commandName?: string;
}

export type Json = Record<string, unknown>;

type SetAttribute = (name: string, value: AttributeValue | undefined) => void;

/**
 * Per service (named as `rpc.service`), the attributes its conventions name, read from the
 * command's input and then from its output. Only names, ids, ARNs, counts and flags: never an
 * item, a body, a message or a secret value.
 */
const SERVICES: Record<
  string,
  { input?: (input: Json, set: SetAttribute) => void; output?: (output: Json, set: SetAttribute) => void }
> = {
  DynamoDB: {
    input: (input, set) => {
      set(ATTR_AWS_DYNAMODB_TABLE_NAMES, tableNames(input));
      set(ATTR_AWS_DYNAMODB_INDEX_NAME, str(input.IndexName));
      set(ATTR_AWS_DYNAMODB_CONSISTENT_READ, bool(input.ConsistentRead));
      set(ATTR_AWS_DYNAMODB_LIMIT, num(input.Limit));
      set(ATTR_AWS_DYNAMODB_PROJECTION, str(input.ProjectionExpression));
      set(ATTR_AWS_DYNAMODB_SELECT, str(input.Select));
      set(ATTR_AWS_DYNAMODB_SCAN_FORWARD, bool(input.ScanIndexForward));
      set(ATTR_AWS_DYNAMODB_SEGMENT, num(input.Segment));
      set(ATTR_AWS_DYNAMODB_TOTAL_SEGMENTS, num(input.TotalSegments));
    },
    output: (output, set) => {
      const consumed = output.ConsumedCapacity;
      const capacities = Array.isArray(consumed) ? consumed : isObject(consumed) ? [consumed] : [];
      if (capacities.length > 0) {
        set(
          ATTR_AWS_DYNAMODB_CONSUMED_CAPACITY,
          capacities.map((c) => JSON.stringify(c)),
        );
      }
      set(ATTR_AWS_DYNAMODB_COUNT, num(output.Count));
      set(ATTR_AWS_DYNAMODB_SCANNED_COUNT, num(output.ScannedCount));
    },
  },
  S3: {
    input: (input, set) => {
      set(ATTR_AWS_S3_BUCKET, str(input.Bucket));
      set(ATTR_AWS_S3_KEY, str(input.Key));
    },
  },
  SecretsManager: {
    // SecretId may be a name: the ARN then comes from the answer.
    input: (input, set) => set(ATTR_AWS_SECRETSMANAGER_SECRET_ARN, arn(input.SecretId)),
    output: (output, set) => set(ATTR_AWS_SECRETSMANAGER_SECRET_ARN, arn(output.ARN)),
  },
  SQS: { input: (input, set) => set(ATTR_AWS_SQS_QUEUE_URL, str(input.QueueUrl)) },
  SNS: { input: (input, set) => set(ATTR_AWS_SNS_TOPIC_ARN, str(input.TopicArn)) },
};

/**
 * Runs one SDK call inside a CLIENT span named `<Service>.<Operation>` (`DynamoDB.PutItem`),
 * child of the active span. The call's result or error goes back as it came; the span ends
 * whatever happens, and a failure of the tracing only costs the span (reported once). Outside
 * an invocation the call passes through untouched.
 */
export async function traceCall(
  next: MiddlewareNext,
  middlewareContext: MiddlewareContext,
  args: { input: unknown },
  client: unknown,
): Promise<{ output: unknown }> {
  const started = startCall(middlewareContext, args, client);
  if (!started) return next(args);
  const { span, service, region } = started;
  try {
    const result = await context.with(trace.setSpan(context.active(), span), () => next(args));
    guard('client-result', () => {
      recordMetadata(span, result.output);
      const output = SERVICES[service]?.output;
      if (output && isObject(result.output)) output(result.output, setter(span));
    });
    return result;
  } catch (error) {
    guard('client-error-metadata', () => recordMetadata(span, error));
    recordFailure(span, error, 'client-error');
    throw error;
  } finally {
    guard('client-end', () => {
      if (region.value) span.setAttribute(ATTR_CLOUD_REGION, region.value);
      span.end();
    });
  }
}

function startCall(
  middlewareContext: MiddlewareContext,
  args: { input: unknown },
  client: unknown,
): { span: Span; service: string; region: { value?: string } } | undefined {
  try {
    const active = context.active();
    if (!trace.getSpanContext(active)) return undefined;
    const runtime = tracingRuntime();
    if (!runtime) return undefined;
    const config = isObject(client) && isObject(client.config) ? client.config : {};
    const service = serviceName(middlewareContext.clientName, config.serviceId);
    const method = withoutSuffix(middlewareContext.commandName, 'Command') ?? '_OTHER';
    const attributes: Attributes = {
      [ATTR_RPC_SYSTEM]: 'aws-api',
      [ATTR_RPC_SERVICE]: service,
      [ATTR_RPC_METHOD]: method,
    };
    const input = SERVICES[service]?.input;
    if (input && isObject(args.input)) {
      try {
        const set: SetAttribute = (name, value) => {
          if (value !== undefined) attributes[name] = value;
        };
        input(args.input, set);
      } catch (error) {
        warnOnce('client-input', 'reading the attributes of an AWS SDK call failed', error);
      }
    }
    const span = runtime.tracer.startSpan(
      `${service}.${method}`,
      { kind: SpanKind.CLIENT, attributes },
      active,
    );
    return { span, service, region: regionOf(config.region) };
  } catch (error) {
    warnOnce('client-span', 'starting the span of an AWS SDK call failed; the call goes out untraced', error);
    return undefined;
  }
}

/**
 * The client's region, as the SDK resolves it (`config.region` is a provider there): known by
 * the time the call has been signed, set on the span when it ends. A client without a region
 * (the SDK then fails the call) has none; its provider's failure is never seen by the caller.
 */
function regionOf(region: unknown): { value?: string } {
  const found: { value?: string } = {};
  if (typeof region === 'string') {
    found.value = region || undefined;
  } else if (typeof region === 'function') {
    try {
      Promise.resolve((region as () => unknown)()).then(
        (value) => {
          if (typeof value === 'string' && value !== '') found.value = value;
        },
        () => undefined,
      );
    } catch {
      // A provider that throws at once: no region.
    }
  }
  return found;
}

/** `aws.request_id`, `aws.extended_request_id` and the HTTP status from the `$metadata` the SDK adds to outputs and errors. */
function recordMetadata(span: Span, outcome: unknown): void {
  const metadata = isObject(outcome) && isObject(outcome.$metadata) ? outcome.$metadata : undefined;
  if (!metadata) return;
  const set = setter(span);
  set(ATTR_AWS_REQUEST_ID, str(metadata.requestId));
  set(ATTR_AWS_EXTENDED_REQUEST_ID, str(metadata.extendedRequestId));
  set(ATTR_HTTP_RESPONSE_STATUS_CODE, num(metadata.httpStatusCode));
}

/** `DynamoDBClient` → `DynamoDB`; else the client's `serviceId` without spaces; else `AWS`. */
function serviceName(clientName: unknown, serviceId: unknown): string {
  return (
    withoutSuffix(clientName, 'Client') ??
    (typeof serviceId === 'string' && serviceId !== '' ? serviceId.replace(/\s+/g, '') : 'AWS')
  );
}

function withoutSuffix(name: unknown, suffix: string): string | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  const stripped = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
  return stripped || undefined;
}

/** The tables a DynamoDB call names: `TableName`, the keys of `RequestItems`, the tables of `TransactItems`. */
function tableNames(input: Json): string[] | undefined {
  if (typeof input.TableName === 'string' && input.TableName !== '') return [input.TableName];
  if (isObject(input.RequestItems)) return nonEmpty(Object.keys(input.RequestItems));
  if (Array.isArray(input.TransactItems)) {
    const names = new Set<string>();
    for (const item of input.TransactItems) {
      if (!isObject(item)) continue;
      for (const action of Object.values(item)) {
        if (isObject(action) && typeof action.TableName === 'string') names.add(action.TableName);
      }
    }
    return nonEmpty([...names]);
  }
  return undefined;
}

function setter(span: Span): SetAttribute {
  return (name, value) => {
    if (value !== undefined) span.setAttribute(name, value);
  };
}

function guard(key: string, work: () => void): void {
  try {
    work();
  } catch (error) {
    warnOnce(key, 'recording an AWS SDK call on its span failed', error);
  }
}

function nonEmpty(values: string[]): string[] | undefined {
  return values.length > 0 ? values : undefined;
}

function arn(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith('arn:') ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
