// The ids and names that several folders of lib/ agree on. Plain values only: this file imports nothing.

/** The id of the child construct that holds the tracing settings of a scope. */
export const SETTINGS_ID = 'CdkServerlessTracingSettings';

/** The prefix of every warning id of this library. */
export const WARNING_PREFIX = 'cdk-serverless-tracing:';

/** The environment variables this library sets on a traced function. */
export const ENV = {
  SERVICE_NAME: 'OTEL_SERVICE_NAME',
  SAMPLER: 'OTEL_TRACES_SAMPLER',
  SAMPLER_ARG: 'OTEL_TRACES_SAMPLER_ARG',
  KEEP_ERRORS: 'TRACING_KEEP_ERRORS',
  FLUSH_TIMEOUT_MS: 'TRACING_FLUSH_TIMEOUT_MS',
  ALWAYS_KEEP: 'TRACING_ALWAYS_KEEP',
  SAMPLING_PRIORITY: 'TRACING_SAMPLING_PRIORITY',
  LOG_CORRELATION: 'TRACING_LOG_CORRELATION',
  OTLP_ENDPOINT: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  OTLP_HEADERS: 'OTEL_EXPORTER_OTLP_HEADERS',
  COLLECTOR_CONFIG_URI: 'OPENTELEMETRY_COLLECTOR_CONFIG_URI',
  /** `xray`: the runtime makes X-Ray-valid trace ids (the first 8 hex digits are the Unix time). */
  ID_FORMAT: 'TRACING_ID_FORMAT',
  /** Adaptive sampling: the AppConfig extension path of the flow's boost configuration (`AdaptiveSampling`). */
  ADAPTIVE_CONFIG: 'TRACING_ADAPTIVE_CONFIG',
  /** Prefix of the variables that carry deploy-time values (tokens) into the collector configuration. */
  COLLECTOR_VALUE_PREFIX: 'CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_',
} as const;

/** The sampler the runtime reads from `OTEL_TRACES_SAMPLER` (head sampling). */
export const SAMPLER = 'parentbased_traceidratio';

/** The sampler with `SamplingMode.COLLECTOR`: the function keeps all, its collector decides. */
export const SAMPLER_COLLECTOR_MODE = 'parentbased_always_on';

/**
 * The sampler with `SamplingMode.TAIL`: by trace id alone (`headSamplingRatio`, 1 by default), not
 * following the parent's flag, so a trace reaches the gateway whole whatever its callers decided;
 * the same hash at every hop keeps a trace whole below 1 too.
 */
export const SAMPLER_TAIL_MODE = 'traceidratio';

/** The id of the child of the app root that records the edges of the trace map. */
export const EDGES_ID = 'CdkServerlessTracingEdges';

/**
 * With ESM output, lets CommonJS code inside the bundle `require` Node.js built-ins
 * (esbuild's `__require` shim throws "Dynamic require is not supported" otherwise). Used by the
 * bundling of `TracedFunction` and by the build of the layer's shim.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __cstCreateRequire } from 'module'; const require = __cstCreateRequire(import.meta.url);";
