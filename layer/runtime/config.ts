import type { Sampler } from '@opentelemetry/sdk-trace';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { adaptiveBoostFromEnv } from './adaptive';
import { warnOnce } from './diagnostics';
import type { IdFormat } from './ids';
import { decisionSampler, parseAlwaysKeep, runtimeSampler, type AlwaysKeepRule } from './sampler';

/** What the runtime reads from the environment, once, when the first handler is wrapped. */
export interface RuntimeConfig {
  /** `service.name` of the resource. */
  readonly serviceName: string;
  /**
   * The head sampler, overruled inside an always-kept invocation, and wrapped so unsampled spans
   * are still recorded when `keepErrors` is on (see `runtimeSampler`).
   */
  readonly sampler: Sampler;
  /**
   * The same decision without keep-errors' recording: whether a span is sampled (the same
   * adaptive boost, the same always-keep mark).
   */
  readonly decisionSampler: Sampler;
  /** Export the spans of a failed invocation even when its trace was not sampled. */
  readonly keepErrors: boolean;
  /** Invocations that match one of these are sampled, with every span started inside them. */
  readonly alwaysKeep: readonly AlwaysKeepRule[];
  /**
   * Export the spans of kept traces (failed with keep-errors on, or always kept) with
   * `sampling.priority` = 1, so the collector's `probabilistic_sampler` keeps them too.
   */
  readonly samplingPriority: boolean;
  /** How new trace ids are made: `xray` (X-Ray-compatible, time first) or `random`. */
  readonly idFormat: IdFormat;
  /** The longest the flush at the end of an invocation may take, in milliseconds. */
  readonly flushTimeoutMs: number;
}

/** Environment variables the runtime reads besides the standard `OTEL_*` ones. */
export const ENV_KEEP_ERRORS = 'TRACING_KEEP_ERRORS';
export const ENV_FLUSH_TIMEOUT_MS = 'TRACING_FLUSH_TIMEOUT_MS';
export const ENV_ALWAYS_KEEP = 'TRACING_ALWAYS_KEEP';
export const ENV_SAMPLING_PRIORITY = 'TRACING_SAMPLING_PRIORITY';
export const ENV_ID_FORMAT = 'TRACING_ID_FORMAT';

export const DEFAULT_FLUSH_TIMEOUT_MS = 1000;

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration. Precedence: the standard `OTEL_*` variables, then the project's
 * `TRACING_*` variables, then the Lambda runtime's own variables. A value that cannot be used is
 * reported once and replaced by its default; it never stops the function.
 */
export function readConfig(env: Env = process.env): RuntimeConfig {
  const keepErrors = readBoolean(env, ENV_KEEP_ERRORS, true);
  const alwaysKeep = parseAlwaysKeep(env[ENV_ALWAYS_KEEP]);
  return {
    serviceName: env.OTEL_SERVICE_NAME || env.AWS_LAMBDA_FUNCTION_NAME || 'unknown_service:lambda',
    // Adaptive sampling only when TRACING_ADAPTIVE_CONFIG is set (adaptive.ts).
    ...samplers(samplerFromEnv(env), keepErrors, adaptiveBoostFromEnv(env)),
    keepErrors,
    alwaysKeep,
    samplingPriority: readBoolean(env, ENV_SAMPLING_PRIORITY, false),
    idFormat: readChoice(env, ENV_ID_FORMAT, ['random', 'xray'] as const),
    flushTimeoutMs: readPositiveInt(env, ENV_FLUSH_TIMEOUT_MS, DEFAULT_FLUSH_TIMEOUT_MS),
  };
}

/** The provider's sampler and its decision, sharing one head sampler and one boost. */
function samplers(
  head: Sampler,
  keepErrors: boolean,
  boost: ReturnType<typeof adaptiveBoostFromEnv>,
): { sampler: Sampler; decisionSampler: Sampler } {
  return {
    sampler: runtimeSampler(head, { keepErrors, boost }),
    decisionSampler: decisionSampler(head, { boost }),
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

/** One of `choices` (any case); the first one is the default. */
function readChoice<T extends string>(env: Env, name: string, choices: readonly [T, ...T[]]): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return choices[0];
  const found = choices.find((choice) => choice === raw);
  if (found !== undefined) return found;
  warnOnce(name, `${name}="${env[name]}" is not one of ${choices.join(', ')}; using ${choices[0]}`);
  return choices[0];
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
