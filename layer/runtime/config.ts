import type { Sampler } from '@opentelemetry/sdk-trace';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  createAlwaysRecordSampler,
} from '@opentelemetry/sdk-trace';
import { warnOnce } from './diagnostics';

/** What the runtime reads from the environment, once, when the first handler is wrapped. */
export interface RuntimeConfig {
  /** `service.name` of the resource. */
  readonly serviceName: string;
  /** The head sampler, wrapped so unsampled spans are still recorded when `keepErrors` is on. */
  readonly sampler: Sampler;
  /** Export the spans of a failed invocation even when its trace was not sampled. */
  readonly keepErrors: boolean;
  /** The longest the flush at the end of an invocation may take, in milliseconds. */
  readonly flushTimeoutMs: number;
}

/** Environment variables the runtime reads besides the standard `OTEL_*` ones. */
export const ENV_KEEP_ERRORS = 'TRACING_KEEP_ERRORS';
export const ENV_FLUSH_TIMEOUT_MS = 'TRACING_FLUSH_TIMEOUT_MS';

export const DEFAULT_FLUSH_TIMEOUT_MS = 1000;

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration. Precedence: the standard `OTEL_*` variables, then the project's
 * `TRACING_*` variables, then the Lambda runtime's own variables. A value that cannot be used is
 * reported once and replaced by its default; it never stops the function.
 */
export function readConfig(env: Env = process.env): RuntimeConfig {
  const keepErrors = readBoolean(env, ENV_KEEP_ERRORS, true);
  const head = samplerFromEnv(env);
  return {
    serviceName: env.OTEL_SERVICE_NAME || env.AWS_LAMBDA_FUNCTION_NAME || 'unknown_service:lambda',
    sampler: keepErrors ? createAlwaysRecordSampler(head) : head,
    keepErrors,
    flushTimeoutMs: readPositiveInt(env, ENV_FLUSH_TIMEOUT_MS, DEFAULT_FLUSH_TIMEOUT_MS),
  };
}

/**
 * The sampler named by `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, as the OpenTelemetry
 * specification defines them (default `parentbased_always_on`).
 */
export function samplerFromEnv(env: Env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER || 'parentbased_always_on').trim().toLowerCase();
  const ratio = () => readRatio(env.OTEL_TRACES_SAMPLER_ARG);
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      warnOnce('sampler', `OTEL_TRACES_SAMPLER="${name}" is not supported; using parentbased_always_on`);
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function readRatio(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    warnOnce('sampler-arg', `OTEL_TRACES_SAMPLER_ARG="${raw}" is not a ratio between 0 and 1; using 1`);
    return 1;
  }
  return value;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  warnOnce(name, `${name}="${env[name]}" is not true or false; using ${fallback}`);
  return fallback;
}

function readPositiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    warnOnce(name, `${name}="${raw}" is not a positive whole number of milliseconds; using ${fallback}`);
    return fallback;
  }
  return value;
}
