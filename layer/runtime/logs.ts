import { isSpanContextValid, trace } from '@opentelemetry/api';
import { format } from 'node:util';
import { warnOnce } from './diagnostics';
import { ATTR_FAAS_INVOCATION_ID } from './semconv';

/** Set to `false` to leave the function's log lines as Lambda writes them. */
export const ENV_LOG_CORRELATION = 'TRACING_LOG_CORRELATION';

/** The fields that join a log line to the span that was active when it was written. */
export interface TraceLogFields {
  /** The trace id, 32 lowercase hex digits. */
  readonly trace_id: string;
  /** The id of the active span (a child span's own id inside that child), 16 lowercase hex digits. */
  readonly span_id: string;
  /** The W3C trace flags, `01` when the trace is sampled, `00` when it is not. */
  readonly trace_flags: string;
}

type Env = Record<string, string | undefined>;
type ConsoleMethod = (...args: unknown[]) => void;

/** Lambda's application log levels and the console methods it installs for each. */
const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 } as const;
type Level = keyof typeof LEVELS;
const METHODS: readonly (readonly [method: string, level: Level])[] = [
  ['trace', 'TRACE'],
  ['debug', 'DEBUG'],
  ['info', 'INFO'],
  ['log', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['fatal', 'FATAL'],
];

/**
 * Marks a console method this runtime wrapped (its value is the method it wrapped). Registered,
 * so a second copy of the runtime in the process sees the mark and does not wrap twice.
 */
const WRAPPED = Symbol.for('cdk-serverless-tracing.log-correlation');
/** Where the Lambda Node.js runtime up to its InvokeStore versions keeps the request id. */
const RUNTIME_REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');

/** What the Lambda runtime exposes on `globalThis` about the invocation in progress. */
interface LambdaGlobals {
  awslambda?: { InvokeStore?: { getRequestId?(): unknown; getTenantId?(): unknown } };
  [RUNTIME_REQUEST_ID]?: unknown;
}

/** True while a correlated line is being built: a console call made meanwhile goes to Lambda's own method. */
let writing = false;

/**
 * The trace id, span id and trace flags of the active span, for a logger of your own (a pino
 * `mixin`, Powertools `appendKeys`); undefined when no span is active. An unsampled span has ids
 * too: keep errors may still export it.
 *
 * @example
 * const logger = pino({ mixin: () => traceLogFields() ?? {} });
 */
export function traceLogFields(): TraceLogFields | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0'),
  };
}

/**
 * Puts `trace_id`, `span_id` and `trace_flags` into the JSON log lines the function writes
 * through the console while a span is active, so logs and traces join in CloudWatch.
 *
 * Only when the function's log format is JSON (`AWS_LAMBDA_LOG_FORMAT`) and
 * `TRACING_LOG_CORRELATION` is not `false`. Wraps the console methods the Lambda runtime installs
 * at its level or above (`AWS_LAMBDA_LOG_LEVEL`): while a span is active, a call writes the line
 * Lambda would write (timestamp, level, requestId, message and the error fields, by the same
 * rules) with the three fields added, as one line to stdout; with no active span, or when
 * anything fails, Lambda's own method is called unchanged. Idempotent, also across copies of the
 * runtime in one process; never throws.
 */
export function installLogCorrelation(env: Env = process.env): void {
  try {
    if (env.AWS_LAMBDA_LOG_FORMAT?.trim().toUpperCase() !== 'JSON') return;
    const setting = env[ENV_LOG_CORRELATION]?.trim().toLowerCase();
    if (setting === 'false' || setting === '0') return;
    const minimum = levelPriority(env.AWS_LAMBDA_LOG_LEVEL) ?? LEVELS.TRACE;
    const target = console as unknown as Record<string, unknown>;
    for (const [method, level] of METHODS) {
      const original = target[method];
      // Below the minimum Lambda's method writes nothing: it stays as it is.
      if (typeof original !== 'function' || WRAPPED in original || LEVELS[level] < minimum) continue;
      target[method] = correlated(original as ConsoleMethod, level);
    }
  } catch (error) {
    warnOnce(
      'log-correlation',
      'log lines could not be joined to traces; they are written as they were',
      error,
    );
  }
}

function levelPriority(name: string | undefined): number | undefined {
  const key = name?.trim().toUpperCase();
  return key !== undefined && Object.hasOwn(LEVELS, key) ? LEVELS[key as Level] : undefined;
}

function correlated(original: ConsoleMethod, level: Level): ConsoleMethod {
  const wrapper = function (this: unknown, ...args: unknown[]): void {
    const fields = writing ? undefined : traceLogFields();
    if (fields) {
      writing = true;
      try {
        process.stdout.write(jsonLine(level, args, fields) + '\n');
        return;
      } catch (error) {
        warnOnce('log-line', 'a log line could not be joined to its trace; it was written as it was', error);
      } finally {
        writing = false;
      }
    }
    original.apply(this, args);
  };
  Object.defineProperty(wrapper, WRAPPED, { value: original });
  return wrapper;
}

/**
 * The line Lambda's JSON formatter writes for these arguments (aws-lambda-nodejs-runtime-interface-client
 * `formatJsonMessage`), with the trace fields added. One argument is the message as it is (errors
 * as `errorType`/`errorMessage`/`stackTrace`; what JSON cannot hold, as `util.format` prints it);
 * several are `util.format`ted, and the first error after the first argument gives the error
 * fields. JSON.stringify escapes line breaks: one call, one line.
 */
function jsonLine(level: Level, args: unknown[], fields: TraceLogFields): string {
  const record: Record<string, unknown> = {
    timestamp: new Date().toISOString(),
    level,
    requestId: currentRequestId(),
  };
  const tenantId = lambdaGlobals().awslambda?.InvokeStore?.getTenantId?.();
  if (typeof tenantId === 'string' && tenantId !== '') record.tenantId = tenantId;

  if (args.length <= 1) {
    record.message = args[0];
    Object.assign(record, fields);
    try {
      return JSON.stringify(record, serializeErrors);
    } catch {
      record.message = format(args[0]);
      return JSON.stringify(record);
    }
  }

  record.message = format(...args);
  const error = args.slice(1).find((arg): arg is Error => arg instanceof Error);
  if (error) {
    record.errorType = error.constructor?.name ?? 'UnknownError';
    record.errorMessage = error.message;
    record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  Object.assign(record, fields);
  return JSON.stringify(record);
}

function serializeErrors(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return Object.assign(
    {
      errorType: value.constructor?.name ?? 'UnknownError',
      errorMessage: value.message,
      stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
    },
    value,
  );
}

/**
 * The request id as Lambda's runtime knows it (its InvokeStore, or the global symbol of earlier
 * versions), else `faas.invocation_id` of the active span when that is the invocation span.
 */
function currentRequestId(): string | undefined {
  const globals = lambdaGlobals();
  const fromStore = globals.awslambda?.InvokeStore?.getRequestId?.();
  if (typeof fromStore === 'string' && fromStore !== '' && fromStore !== '-') return fromStore;
  const fromRuntime = globals[RUNTIME_REQUEST_ID];
  if (typeof fromRuntime === 'string' && fromRuntime !== '') return fromRuntime;
  const attributes = (trace.getActiveSpan() as { attributes?: Record<string, unknown> } | undefined)
    ?.attributes;
  const fromSpan = attributes?.[ATTR_FAAS_INVOCATION_ID];
  return typeof fromSpan === 'string' ? fromSpan : undefined;
}

function lambdaGlobals(): LambdaGlobals {
  return globalThis as unknown as LambdaGlobals;
}
