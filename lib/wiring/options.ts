import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { TracingCollector } from '../collector/tracing-collector';
import { TracingExporter } from '../collector/tracing-exporter';
import { mergeDefined } from '../core/merge';
import { SamplingMode, TracingOptions } from '../settings/tracing-options';
import { TracingSettings } from '../settings/tracing-settings';

/** Tracing options with every value decided. */
export type ResolvedTracingOptions = Required<TracingOptions>;

/** The library defaults of the tracing options (the service name defaults to the construct id). */
export function defaultTracingOptions(id: string): ResolvedTracingOptions {
  return {
    serviceName: id,
    samplingRatio: 1,
    samplingMode: SamplingMode.HEAD,
    headSamplingRatio: 1,
    alwaysKeep: [],
    keepErrors: true,
    logCorrelation: true,
    flushTimeout: Duration.seconds(1),
    logRetention: logs.RetentionDays.ONE_MONTH,
    exporter: TracingExporter.debug(),
    collector: TracingCollector.lambdaLayer(),
  };
}

/** The keys of `TracingOptions`, to pick them out of a function's props. */
export const TRACING_OPTION_KEYS: readonly (keyof TracingOptions)[] = [
  'serviceName',
  'samplingRatio',
  'samplingMode',
  'headSamplingRatio',
  'alwaysKeep',
  'keepErrors',
  'logCorrelation',
  'flushTimeout',
  'logRetention',
  'exporter',
  'collector',
];

/** Only the tracing options of a props object. */
export function pickTracingOptions(props: TracingOptions): TracingOptions {
  const out: Record<string, unknown> = {};
  for (const key of TRACING_OPTION_KEYS) {
    out[key] = props[key];
  }
  return out as TracingOptions;
}

/**
 * The one place options are merged, in one order: library defaults, then `TracingSettings`
 * from the root to the nearest scope, then the function's own props. The `alwaysKeep` rules add
 * up instead: the settings' rules, then the function's. A `TracingPolicy`'s options (`policy`)
 * come right after the defaults: `TracingSettings` of a nearer scope override them.
 */
export function resolveTracingOptions(
  scope: IConstruct,
  id: string,
  props: TracingOptions,
  policy: TracingOptions = {},
): ResolvedTracingOptions {
  const base = pickTracingOptions(policy);
  const settings = pickTracingOptions(TracingSettings.resolve(scope));
  const own = pickTracingOptions(props);
  const merged = mergeDefined(mergeDefined(mergeDefined(defaultTracingOptions(id), base), settings), own);
  return {
    ...merged,
    alwaysKeep: [...asList(base.alwaysKeep), ...asList(settings.alwaysKeep), ...asList(own.alwaysKeep)],
  } as ResolvedTracingOptions;
}

/** A rule list as given, or empty (a non-list is reported by the validation of the prop). */
function asList<T>(value: readonly T[] | undefined): T[] {
  return Array.isArray(value) ? [...value] : [];
}

/** The default runtime of a traced function. */
export const DEFAULT_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The default log format of a traced function (structured logs carry the trace id). */
export const DEFAULT_LOGGING_FORMAT = lambda.LoggingFormat.JSON;
