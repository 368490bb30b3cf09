import { Token } from 'aws-cdk-lib';
import * as YAML from 'yaml';

/**
 * The configurations of the two tiers of a `TracingGateway`, rendered as collector YAML: the
 * contract between the construct (`lib/gateway/tracing-gateway.ts`), the local gateway
 * (`bin/local/gateway.ts`) and the tests that load them in the real collector (`otelcol-gateway`,
 * built from collector/otelcol-gateway.yaml).
 *
 * Component names are those of this release, none of them a deprecated alias: `load_balancing`
 * (its old name `loadbalancing` is a deprecated alias: loadbalancingexporter
 * internal/metadata/generated_status.go:12-13), `otlp_http` (for `otlphttp`), `tail_sampling`,
 * `memory_limiter`, `batch`, `awsemf`, `health_check`, `sigv4auth`.
 */

/**
 * The collector release of the gateway: the tag of the contrib image the tasks run
 * (`otel/opentelemetry-collector-contrib:0.161.0`) and the release of the Go modules
 * `otelcol-gateway` is built from for the tests.
 *
 * 0.161.0 is the newest release at which the Go module proxy serves the loadbalancing, awsemf and
 * tail_sampling modules together with the core modules (0.161.0 / 1.67.0): newer tail_sampling
 * releases need packages it does not serve, and the loadbalancing exporter is not served at
 * 0.155.0, 0.165.0 or 0.165.1 (checked 2026-11-27). The contrib distribution carries every
 * component used here (open-telemetry/opentelemetry-collector-releases,
 * distributions/otelcol-contrib/manifest.yaml). collector/otelcol-gateway.yaml lists the modules
 * and the few stand-ins of the test build.
 */
export const GATEWAY_COLLECTOR_VERSION = '0.161.0';

/** The ports a gateway collector listens on. */
export interface GatewayPorts {
  /** OTLP/gRPC (4317 in a task). */
  readonly grpc: number;
  /** OTLP/HTTP (4318 in a task). */
  readonly http: number;
  /** The `health_check` extension (13133 in a task). */
  readonly health: number;
  /**
   * The OTLP/HTTP receiver on 127.0.0.1 that takes the collector's own metrics (only with
   * `metrics`): never on the task's network, so no client can write into them.
   *
   * @default 4319
   */
  readonly telemetry?: number;
}

/** What the sampling tier keeps. */
export interface TailSamplingSettings {
  /** The percentage (0 to 100) of the traces no other policy keeps (the same decision on every task: by trace id). */
  readonly percentage: number;
  /** Keep every trace that lasts longer than this, in milliseconds; absent: no latency policy. */
  readonly latencyThresholdMs?: number;
  /** How long a trace is held after its first span before it is decided (whole seconds: the processor decides once a second). */
  readonly decisionWaitSeconds: number;
  /**
   * Decide this many seconds after the trace's root span arrived, when that is earlier than
   * `decisionWaitSeconds`. Only for systems whose traces end with their root: spans that arrive
   * later (an SQS consumer's) follow the decision through the decision cache, but an error in them
   * no longer keeps the trace.
   *
   * @default - no early decision: every trace waits `decisionWaitSeconds`
   */
  readonly decisionWaitAfterRootReceivedSeconds?: number;
  /** How many traces are held at once. */
  readonly numTraces: number;
  /** The expected new traces per second (sizes its maps). */
  readonly expectedNewTracesPerSec: number;
  /** How many decided trace ids are remembered (sampled and not sampled each), for late spans. */
  readonly decisionCacheSize: number;
}

/** Where the sampling tier sends the traces it keeps. */
export type GatewayExporterConfig =
  /** X-Ray's OTLP endpoint in `region`, signed with SigV4 (the task role needs `xray:PutSpans`). */
  | { readonly kind: 'xray'; readonly region: string }
  /** An OTLP/HTTP endpoint; header values may be `${env:NAME}` (a secret the task gets in its environment). */
  | { readonly kind: 'otlp'; readonly endpoint: string; readonly headers?: Readonly<Record<string, string>> }
  /** The collector's log (tests). */
  | { readonly kind: 'debug' };

/** The collector's own metrics as CloudWatch metrics (EMF in a log group); absent locally. */
export interface GatewayMetricsConfig {
  readonly namespace: string;
  readonly logGroupName: string;
  readonly region: string;
}

/** The load-balancing tier: OTLP in, `loadbalancing` exporter out, routed by trace id. */
export interface LoadBalancingTierConfig {
  readonly resolver:
    | { readonly kind: 'dns'; readonly hostname: string; readonly port: number }
    | { readonly kind: 'static'; readonly hostnames: readonly string[] };
  readonly ports: GatewayPorts;
  readonly memoryLimitMiB: number;
  readonly metrics?: GatewayMetricsConfig;
  /**
   * The address the receivers and the health check listen on.
   *
   * @default '0.0.0.0' (every interface of the task)
   */
  readonly bindAddress?: string;
}

/** The sampling tier: OTLP in, `tail_sampling`, the stage's exporter out. */
export interface SamplingTierConfig {
  readonly sampling: TailSamplingSettings;
  readonly exporter: GatewayExporterConfig;
  readonly ports: GatewayPorts;
  readonly memoryLimitMiB: number;
  readonly metrics?: GatewayMetricsConfig;
  /**
   * The address the receivers and the health check listen on.
   *
   * @default '0.0.0.0' (every interface of the task)
   */
  readonly bindAddress?: string;
}

/** The span attribute an always-keep rule or the after-deploy check sets (layer/runtime/semconv.ts). */
export const SAMPLING_RULE_ATTRIBUTE = 'serverless_tracing.sampling.rule';

/**
 * The span attribute an adaptive sampling boost sets on the root span of a trace it keeps: the
 * boost ratio, a double (layer/runtime/semconv.ts).
 */
export const SAMPLING_BOOST_ATTRIBUTE = 'serverless_tracing.sampling.boost';

/** The port of the receiver of the collector's own metrics when `GatewayPorts.telemetry` is absent. */
export const DEFAULT_TELEMETRY_PORT = 4319;

/** The names of the tail-sampling policies, as they appear in the `policy` attribute of its metrics. */
export const POLICY_NAMES = {
  errors: 'errors',
  rule: 'sampling-rule',
  boost: 'adaptive-boost',
  slow: 'slow',
  percentage: 'percentage',
} as const;

/** How often the collector's own metrics are read and sent to CloudWatch, in milliseconds. */
const TELEMETRY_INTERVAL_MS = 60_000;

/**
 * The exporter behind the load balancer, per sampling task, and the sampling tier's exporter:
 * bounded in time (`max_elapsed_time`) and in memory (`queue_size` requests), so a dead or slow
 * backend costs at most this much and never holds the pipeline.
 */
const RESILIENCE = {
  timeout: '5s',
  // queue_size counts requests (batches), as the default sizer: exporterhelper
  // internal/queue_sender.go:42-46.
  sending_queue: { enabled: true, sizer: 'requests', num_consumers: 10, queue_size: 1000 },
  retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '5s', max_elapsed_time: '30s' },
} as const;

/**
 * A value known at synth for a YAML string, written so that the collector reads it as written:
 * every `$` doubled (`$$` is the configuration resolver's escape for one `$`; the same rule as
 * the function's collector, lib/collector/private/collector-config.ts `escapeConfigValue`). A
 * deploy-time value (a token) is left for CloudFormation to substitute, which it does where the
 * configuration becomes part of the template; the values that can be tokens here (a region, a log
 * group name, a hostname) hold no `$`.
 */
function literal(value: string): string {
  return Token.isUnresolved(value) ? value : value.replace(/\$/g, '$$$$');
}

/** A header value: a whole `${env:NAME}` is the collector's own reference and stays; anything else is a literal. */
function headerValue(value: string): string {
  return /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(value) ? value : literal(value);
}

/** Collects the problems of a configuration, each naming the field, and throws them at once. */
class Problems {
  private readonly list: string[] = [];

  check(ok: boolean, problem: string): void {
    if (!ok) this.list.push(problem);
  }

  /** A number known at synth that must be an integer in [min, max]; a token is not checked. */
  integer(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (Token.isUnresolved(value)) return;
    this.check(
      Number.isInteger(value) && value >= min && value <= max,
      `${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`} (got ${value})`,
    );
  }

  throwIfAny(what: string): void {
    if (this.list.length > 0) {
      throw new Error(`Invalid ${what} configuration:\n  - ${this.list.join('\n  - ')}`);
    }
  }
}

function checkPorts(problems: Problems, ports: GatewayPorts, withTelemetry: boolean): void {
  problems.integer('ports.grpc', ports.grpc, 1, 65535);
  problems.integer('ports.http', ports.http, 1, 65535);
  problems.integer('ports.health', ports.health, 1, 65535);
  const used = [ports.grpc, ports.http, ports.health];
  if (withTelemetry) {
    const telemetry = ports.telemetry ?? DEFAULT_TELEMETRY_PORT;
    problems.integer('ports.telemetry', telemetry, 1, 65535);
    used.push(telemetry);
  }
  problems.check(new Set(used).size === used.length, `ports must differ (got ${used.join(', ')})`);
}

/** The parts both tiers share: receivers, memory limiter, health check, own metrics. */
interface Common {
  readonly receivers: Record<string, unknown>;
  readonly memoryLimiter: Record<string, unknown>;
  readonly extensions: Record<string, unknown>;
  /** The awsemf exporter and the pipeline of the collector's own metrics, with `metrics`. */
  readonly metricsExporter?: Record<string, unknown>;
  readonly telemetry: Record<string, unknown>;
}

function common(
  tier: 'load-balancing' | 'sampling',
  config: {
    ports: GatewayPorts;
    memoryLimitMiB: number;
    metrics?: GatewayMetricsConfig;
    bindAddress?: string;
  },
  published: readonly GatewayMetric[],
): Common {
  const bind = literal(config.bindAddress ?? '0.0.0.0');
  const receivers: Record<string, unknown> = {
    otlp: {
      protocols: {
        grpc: { endpoint: `${bind}:${config.ports.grpc}` },
        http: { endpoint: `${bind}:${config.ports.http}` },
      },
    },
  };
  // The collector's own metrics reach the metrics pipeline through a receiver of their own on
  // the loopback interface: the service's periodic reader pushes OTLP to it (the readers follow
  // the declarative configuration schema: collector service/telemetry/otelconftelemetry
  // config.go:41-43, the default pull reader at factory.go:49-63).
  const telemetryPort = config.ports.telemetry ?? DEFAULT_TELEMETRY_PORT;
  let metricsExporter: Record<string, unknown> | undefined;
  let telemetry: Record<string, unknown>;
  if (config.metrics) {
    receivers['otlp/telemetry'] = {
      protocols: { http: { endpoint: `127.0.0.1:${telemetryPort}` } },
    };
    metricsExporter = {
      namespace: literal(config.metrics.namespace),
      log_group_name: literal(config.metrics.logGroupName),
      // One stream per tier: every task writes a few events a minute.
      log_stream_name: tier,
      region: literal(config.metrics.region),
      // Only the metrics worth an alarm or a dashboard become CloudWatch metrics (each is a
      // custom metric), with the dimensions named here; the rest stay in the log events.
      ...emfSelection(published),
      // The first reading of a counter is its count since the process started (from 0): publish
      // it, where awsemf would keep it as a baseline only (README, retain_initial_value_of_delta_metric)
      // and lose, say, the first burst of failed sends, whose counter appears with its first failure.
      retain_initial_value_of_delta_metric: true,
    };
    telemetry = {
      metrics: {
        level: 'normal',
        readers: [
          {
            periodic: {
              interval: TELEMETRY_INTERVAL_MS,
              exporter: {
                otlp: {
                  protocol: 'http/protobuf',
                  endpoint: `http://127.0.0.1:${telemetryPort}/v1/metrics`,
                },
              },
            },
          },
        ],
      },
    };
  } else {
    // Without a destination the collector keeps no metrics at all (its default would serve them
    // on localhost:8888 to nobody).
    telemetry = { metrics: { level: 'none' } };
  }
  return {
    receivers,
    memoryLimiter: {
      check_interval: '1s',
      limit_mib: config.memoryLimitMiB,
      // 20 % of the limit, as the processor's default: it refuses data above limit - spike.
      spike_limit_mib: Math.max(1, Math.floor(config.memoryLimitMiB / 5)),
    },
    extensions: { health_check: { endpoint: `${bind}:${config.ports.health}` } },
    metricsExporter,
    telemetry,
  };
}

function render(header: string, config: Record<string, unknown>): string {
  return `# ${header}\n` + YAML.stringify(config);
}

/** A metric of the collector's own that becomes a CloudWatch metric, with its dimension sets. */
export interface GatewayMetric {
  /** Its name, as the collector names it and as it appears in CloudWatch. */
  readonly name: string;
  /** The dimension sets it is published with (`[]`: no dimension, the sum over all tasks and attributes). */
  readonly dimensions: readonly (readonly string[])[];
}

/** The metrics of the load-balancing tier that become CloudWatch metrics (all in the namespace of `metrics`). */
export const LOAD_BALANCING_METRICS: readonly GatewayMetric[] = [
  // Each hand-over to a sampling task's exporter; `success` "false" when its queue refused the
  // batch (full). What that exporter drops after its retries is not counted anywhere: the load
  // balancer gives its per-task exporters a no-op meter (loadbalancingexporter factory.go:69-71),
  // so those drops show only in the log ("Exporting failed. Dropping data." with the endpoint):
  // alarm on them with a metric filter on the tier's log group.
  { name: 'otelcol_loadbalancer_backend_outcome', dimensions: [['success'], []] },
  { name: 'otelcol_loadbalancer_num_backends', dimensions: [[]] },
  { name: 'otelcol_receiver_accepted_spans', dimensions: [[]] },
  // Refused by the memory limiter: the functions' collectors retry them.
  { name: 'otelcol_receiver_refused_spans', dimensions: [[]] },
  { name: 'otelcol_exporter_sent_spans', dimensions: [[]] },
  // Refused by a sampling task's full queue (the load balancer's own exporter, no queue of its own).
  { name: 'otelcol_exporter_send_failed_spans', dimensions: [[]] },
];

/** The metrics of the sampling tier that become CloudWatch metrics (all in the namespace of `metrics`). */
export const SAMPLING_METRICS: readonly GatewayMetric[] = [
  // A trace evicted before its decision (num_traces too small for the traffic): alarm on it.
  { name: 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early', dimensions: [[]] },
  { name: 'otelcol_processor_tail_sampling_sampling_traces_on_memory', dimensions: [[]] },
  { name: 'otelcol_processor_tail_sampling_new_trace_id_received', dimensions: [[]] },
  // Decisions per policy and outcome, and per outcome alone (`decision`: sampled, not_sampled, dropped).
  { name: 'otelcol_processor_tail_sampling_count_traces_sampled', dimensions: [['policy', 'decision']] },
  { name: 'otelcol_processor_tail_sampling_global_count_traces_sampled', dimensions: [['decision']] },
  { name: 'otelcol_receiver_accepted_spans', dimensions: [[]] },
  { name: 'otelcol_receiver_refused_spans', dimensions: [[]] },
  { name: 'otelcol_exporter_sent_spans', dimensions: [[]] },
  // Dropped after the exporter's retries (the backend refused or was unreachable for 30 s).
  { name: 'otelcol_exporter_send_failed_spans', dimensions: [[]] },
];

/**
 * The awsemf settings that publish exactly these metrics: a declaration per metric (its
 * dimensions; every other metric stays in the log events only, not a custom metric), and the
 * unit Count for each, since the collector's units (`{traces}`, `{span}`) are no CloudWatch unit
 * and awsemf passes them on (awsemfexporter grouped_metric.go:188-213).
 */
function emfSelection(metrics: readonly GatewayMetric[]): Record<string, unknown> {
  return {
    dimension_rollup_option: 'NoDimensionRollup',
    metric_declarations: metrics.map((m) => ({
      dimensions: m.dimensions.map((d) => [...d]),
      metric_name_selectors: [`^${m.name}$`],
    })),
    metric_descriptors: metrics.map((m) => ({ metric_name: m.name, unit: 'Count', overwrite: true })),
  };
}

/** A fresh copy: YAML.stringify writes an object used twice as an anchor and an alias. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The load-balancing tier's configuration (YAML). */
export function renderLoadBalancingConfig(config: LoadBalancingTierConfig): string {
  const problems = new Problems();
  checkPorts(problems, config.ports, config.metrics !== undefined);
  problems.integer('memoryLimitMiB', config.memoryLimitMiB, 32);
  const { resolver } = config;
  if (resolver.kind === 'dns') {
    problems.check(resolver.hostname !== '', 'resolver.hostname must not be empty');
    problems.integer('resolver.port', resolver.port, 1, 65535);
  } else {
    problems.check(resolver.hostnames.length > 0, 'resolver.hostnames must name at least one sampling task');
    for (const host of resolver.hostnames) {
      problems.check(/^[^\s:]+:\d+$/.test(host), `resolver.hostnames: '${host}' is not host:port`);
    }
  }
  problems.throwIfAny('load-balancing tier');

  const parts = common('load-balancing', config, LOAD_BALANCING_METRICS);
  const exporters: Record<string, unknown> = {
    load_balancing: {
      // All spans of a trace go to one sampling task, whichever load-balancing task got them:
      // the ring is built from the sorted endpoint list (resolver_static.go:44-45), the same on
      // every task.
      routing_key: 'traceID',
      protocol: {
        // The template of the OTLP/gRPC exporter made per sampling task (its endpoint is set by
        // the load balancer: factory.go:56-60). Its queue and retry are the only ones: the load
        // balancer's own are off (factory.go:47-53, its README "Resilience"), since a retry of a
        // whole batch there would send the part a healthy task already took again.
        otlp: {
          // Inside the VPC, from task to task.
          tls: { insecure: true },
          ...plain(RESILIENCE),
        },
      },
      resolver:
        resolver.kind === 'dns'
          ? {
              // Every address the name resolves to (Cloud Map A records of the sampling tasks),
              // re-resolved every 5 s (resolver_dns.go); the port is a string in its config
              // (config.go:102).
              dns: { hostname: literal(resolver.hostname), port: String(resolver.port), interval: '5s' },
            }
          : { static: { hostnames: resolver.hostnames.map(literal) } },
    },
  };
  if (parts.metricsExporter) exporters.awsemf = parts.metricsExporter;
  const yaml: Record<string, unknown> = {
    receivers: parts.receivers,
    processors: {
      memory_limiter: parts.memoryLimiter,
      // Batches across the functions' small exports, so each sampling task gets fewer, larger requests.
      batch: {},
    },
    exporters,
    extensions: parts.extensions,
    service: {
      extensions: ['health_check'],
      telemetry: parts.telemetry,
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'batch'],
          exporters: ['load_balancing'],
        },
        ...(parts.metricsExporter
          ? { 'metrics/telemetry': { receivers: ['otlp/telemetry'], exporters: ['awsemf'] } }
          : {}),
      },
    },
  };
  return render(
    `Rendered by cdk-serverless-tracing for the OpenTelemetry Collector contrib image ${GATEWAY_COLLECTOR_VERSION}: the load-balancing tier of a TracingGateway.`,
    yaml,
  );
}

/** The sampling tier's configuration (YAML). */
export function renderSamplingConfig(config: SamplingTierConfig): string {
  const problems = new Problems();
  checkPorts(problems, config.ports, config.metrics !== undefined);
  problems.integer('memoryLimitMiB', config.memoryLimitMiB, 32);
  const s = config.sampling;
  if (!Token.isUnresolved(s.percentage)) {
    problems.check(
      s.percentage >= 0 && s.percentage <= 100,
      `sampling.percentage must be from 0 to 100 (got ${s.percentage})`,
    );
  }
  if (s.latencyThresholdMs !== undefined)
    problems.integer('sampling.latencyThresholdMs', s.latencyThresholdMs, 1);
  // The processor decides in batches of one second (its decision batcher counts whole seconds:
  // processor.go:1078-1079), so the waits are whole seconds.
  problems.integer('sampling.decisionWaitSeconds', s.decisionWaitSeconds, 1);
  if (s.decisionWaitAfterRootReceivedSeconds !== undefined) {
    problems.integer(
      'sampling.decisionWaitAfterRootReceivedSeconds',
      s.decisionWaitAfterRootReceivedSeconds,
      1,
    );
  }
  problems.integer('sampling.numTraces', s.numTraces, 1);
  problems.integer('sampling.expectedNewTracesPerSec', s.expectedNewTracesPerSec, 0);
  problems.integer('sampling.decisionCacheSize', s.decisionCacheSize, 0);
  const exporter = config.exporter;
  if (exporter.kind === 'xray') problems.check(exporter.region !== '', 'exporter.region must not be empty');
  if (exporter.kind === 'otlp')
    problems.check(exporter.endpoint !== '', 'exporter.endpoint must not be empty');
  problems.throwIfAny('sampling tier');

  const parts = common('sampling', config, SAMPLING_METRICS);

  // OR-ed: a trace is kept when any policy keeps it (README "Policy Decision Flow"; none of
  // these ever answers "drop"). Evaluation stops at the first that keeps it
  // (sample_on_first_match, config.go:355), in this order: the cheap checks first.
  const policies: Record<string, unknown>[] = [
    { name: POLICY_NAMES.errors, type: 'status_code', status_code: { status_codes: ['ERROR'] } },
    {
      // Present with any value, on a span or its resource: the regex `.*` matches every string
      // (internal/sampling/string_tag_filter.go:59-73, 130-140; unanchored MatchString).
      name: POLICY_NAMES.rule,
      type: 'string_attribute',
      string_attribute: { key: SAMPLING_RULE_ATTRIBUTE, values: ['.*'], enabled_regex_matching: true },
    },
    {
      // A trace an adaptive boost keeps (AdaptiveSampling): its root span carries the boost ratio,
      // a double, which neither `numeric_attribute` (it reads Int() only: numeric_tag_filter.go:64)
      // nor `string_attribute` matches; an OTTL condition on the span's attributes does
      // (internal/sampling/ottl.go), with the context named as the README recommends.
      name: POLICY_NAMES.boost,
      type: 'ottl_condition',
      ottl_condition: {
        error_mode: 'ignore',
        span: [`span.attributes["${SAMPLING_BOOST_ATTRIBUTE}"] != nil`],
      },
    },
  ];
  if (s.latencyThresholdMs !== undefined) {
    policies.push({
      name: POLICY_NAMES.slow,
      type: 'latency',
      latency: { threshold_ms: s.latencyThresholdMs },
    });
  }
  // A hash of the trace id (and the default salt), so every sampling task decides a trace alike.
  policies.push({
    name: POLICY_NAMES.percentage,
    type: 'probabilistic',
    probabilistic: { sampling_percentage: s.percentage },
  });

  const extensions: Record<string, unknown> = { ...parts.extensions };
  let exporterName: string;
  let exporterConfig: Record<string, unknown>;
  if (exporter.kind === 'xray') {
    extensions.sigv4auth = { region: literal(exporter.region), service: 'xray' };
    exporterName = 'otlp_http';
    exporterConfig = {
      traces_endpoint: `https://xray.${literal(exporter.region)}.amazonaws.com/v1/traces`,
      auth: { authenticator: 'sigv4auth' },
      ...plain(RESILIENCE),
    };
  } else if (exporter.kind === 'otlp') {
    exporterName = 'otlp_http';
    const headers = Object.entries(exporter.headers ?? {});
    exporterConfig = {
      endpoint: literal(exporter.endpoint),
      ...(headers.length > 0
        ? { headers: Object.fromEntries(headers.map(([name, value]) => [name, headerValue(value)])) }
        : {}),
      ...plain(RESILIENCE),
    };
  } else {
    exporterName = 'debug';
    exporterConfig = { verbosity: 'basic' };
  }
  const exporters: Record<string, unknown> = { [exporterName]: exporterConfig };
  if (parts.metricsExporter) exporters.awsemf = parts.metricsExporter;

  const yaml: Record<string, unknown> = {
    receivers: parts.receivers,
    processors: {
      memory_limiter: parts.memoryLimiter,
      tail_sampling: {
        decision_wait: `${s.decisionWaitSeconds}s`,
        ...(s.decisionWaitAfterRootReceivedSeconds !== undefined
          ? { decision_wait_after_root_received: `${s.decisionWaitAfterRootReceivedSeconds}s` }
          : {}),
        num_traces: s.numTraces,
        expected_new_traces_per_sec: s.expectedNewTracesPerSec,
        // Decisions outlive the spans they were made on, so a span arriving after its trace was
        // decided (an SQS consumer minutes later) follows that decision (README, decision_cache).
        decision_cache: {
          sampled_cache_size: s.decisionCacheSize,
          non_sampled_cache_size: s.decisionCacheSize,
        },
        sample_on_first_match: true,
        policies,
      },
      batch: {},
    },
    exporters,
    extensions,
    service: {
      extensions: Object.keys(extensions),
      telemetry: parts.telemetry,
      pipelines: {
        // memory_limiter first: it refuses data before anything holds it; batch after the
        // sampler, so nothing dropped is batched.
        traces: {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'tail_sampling', 'batch'],
          exporters: [exporterName],
        },
        ...(parts.metricsExporter
          ? { 'metrics/telemetry': { receivers: ['otlp/telemetry'], exporters: ['awsemf'] } }
          : {}),
      },
    },
  };
  return render(
    `Rendered by cdk-serverless-tracing for the OpenTelemetry Collector contrib image ${GATEWAY_COLLECTOR_VERSION}: the sampling tier of a TracingGateway.`,
    yaml,
  );
}
