/** The id of the child construct that holds the tracing settings of a scope. */
export const SETTINGS_ID = 'CdkServerlessTracingSettings';

/** Marks the constructs that settings apply to, so `TracingSettings` need not import them. */
export const TRACED_CONSTRUCT = Symbol.for('cdk-serverless-tracing.traced-construct');

/** Marks a function that `TracingPolicy.optOut` left untraced (the value is the reason). */
export const OPTED_OUT = Symbol.for('cdk-serverless-tracing.opted-out');

/** Marks a `TracingPolicy` aspect, so constructs can tell a policy covers them without importing it. */
export const POLICY_ASPECT = Symbol.for('cdk-serverless-tracing.tracing-policy');

/** The prefix of every warning id of this library. */
export const WARNING_PREFIX = 'cdk-serverless-tracing:';

/** The account that publishes the upstream OpenTelemetry Lambda layers. */
export const COLLECTOR_LAYER_ACCOUNT = '184161586896';

/** Where the configuration layer puts the collector configuration (layers extract to `/opt`). */
export const COLLECTOR_CONFIG_DIR = 'cdk-serverless-tracing';
export const COLLECTOR_CONFIG_FILE = 'collector.yaml';
export const COLLECTOR_CONFIG_PATH = `/opt/${COLLECTOR_CONFIG_DIR}/${COLLECTOR_CONFIG_FILE}`;

/** The local OTLP/HTTP endpoint of the collector extension. */
export const COLLECTOR_OTLP_HTTP_ENDPOINT = 'localhost:4318';
export const COLLECTOR_OTLP_GRPC_ENDPOINT = 'localhost:4317';

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
  /** Prefix of the variables that carry deploy-time values (tokens) into the collector configuration. */
  COLLECTOR_VALUE_PREFIX: 'CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_',
} as const;

/** The sampler the runtime reads from `OTEL_TRACES_SAMPLER` (head sampling). */
export const SAMPLER = 'parentbased_traceidratio';

/** The sampler with `SamplingMode.COLLECTOR`: the function keeps all, its collector decides. */
export const SAMPLER_COLLECTOR_MODE = 'parentbased_always_on';

/** The id of the child of the app root that records the edges of the trace map. */
export const EDGES_ID = 'CdkServerlessTracingEdges';
