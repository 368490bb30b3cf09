// The names and numbers of a `TracingGateway` that its construct, its tests and its alarms agree
// on. Plain values only.

import { GatewayPorts } from './gateway-config';

/** The image the gateway's tasks run (its tag is `GATEWAY_COLLECTOR_VERSION`). */
export const GATEWAY_IMAGE_REPOSITORY = 'otel/opentelemetry-collector-contrib';

/** The ports of a gateway collector in a task. */
export const GATEWAY_PORTS: GatewayPorts = { grpc: 4317, http: 4318, health: 13133 };

/** The path of the `health_check` extension (its default). */
export const HEALTH_CHECK_PATH = '/';

/** The path of OTLP/HTTP traces, on the load-balancing tier and on the API. */
export const TRACES_PATH = '/v1/traces';

/**
 * The environment variable that holds the collector's configuration (YAML): the container runs
 * `--config=env:<it>` (the collector's `env` configuration provider).
 */
export const CONFIG_ENV = 'CDK_SERVERLESS_TRACING_GATEWAY_CONFIG';

/** Prefix of the environment variables that carry the exporter's secret header values. */
export const HEADER_ENV_PREFIX = 'CDK_SERVERLESS_TRACING_GATEWAY_HEADER_';

/** The Cloud Map service name of the sampling tier (its DNS name is `sampling.<namespace>`). */
export const SAMPLING_SERVICE_NAME = 'sampling';

/**
 * The CloudWatch namespace of the collectors' own metrics (written as EMF to the metrics log
 * group): `<this>/<gateway>/<tier>`, one per gateway and tier, since both tiers publish some
 * metrics of the same name (`otelcol_exporter_send_failed_spans`) without dimensions.
 */
export const GATEWAY_METRICS_NAMESPACE = 'CdkServerlessTracing/Gateway';

/** The tiers, as their metrics namespaces and log stream prefixes name them. */
export type GatewayTierName = 'load-balancing' | 'sampling';

/**
 * The share of a task's memory the collector's memory limiter may use (its hard limit; it
 * refuses spans at 80% of that, its soft limit): the rest is the Go runtime's and the process's
 * beyond the heap.
 */
export const COLLECTOR_MEMORY_SHARE = 0.8;

/**
 * The collector's own metrics the alarms read, by tier, with the dimensions they are published
 * with (the renderer publishes each with the dimension sets of `LOAD_BALANCING_METRICS` and
 * `SAMPLING_METRICS` in gateway-config.ts; a test checks they agree).
 */
export const GATEWAY_METRICS = {
  /** Traces the sampling tier evicted before it decided (`num_traces` too small for the load). */
  tracesDroppedTooEarly: {
    tier: 'sampling' as GatewayTierName,
    metricName: 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early',
    dimensionsMap: {} as Record<string, string>,
  },
  /** Sends from the load-balancing tier to a sampling task that failed. */
  loadBalancerSendFailures: {
    tier: 'load-balancing' as GatewayTierName,
    metricName: 'otelcol_loadbalancer_backend_outcome',
    dimensionsMap: { success: 'false' } as Record<string, string>,
  },
  /** Spans the sampling tier failed to send to the backend (after its retries). */
  exportFailedSpans: {
    tier: 'sampling' as GatewayTierName,
    metricName: 'otelcol_exporter_send_failed_spans',
    dimensionsMap: {} as Record<string, string>,
  },
} as const;
