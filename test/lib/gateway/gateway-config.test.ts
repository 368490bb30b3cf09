import { Stack } from 'aws-cdk-lib';
import * as YAML from 'yaml';
import { deprecationWarnings, validateCollectorConfig } from '../../../bin/local/collector';
import {
  GATEWAY_COLLECTOR_VERSION,
  LOAD_BALANCING_METRICS,
  renderLoadBalancingConfig,
  renderSamplingConfig,
  SAMPLING_METRICS,
  SAMPLING_BOOST_ATTRIBUTE,
  SAMPLING_RULE_ATTRIBUTE,
  type GatewayExporterConfig,
  type GatewayMetricsConfig,
  type LoadBalancingTierConfig,
  type SamplingTierConfig,
  type TailSamplingSettings,
} from '../../../lib/gateway/private/gateway-config';
import { ATTR_SAMPLING_BOOST, ATTR_SAMPLING_RULE } from '../../../layer/runtime/semconv';
import { OTELCOL_GATEWAY, testNeeding } from '../../helpers/requirements';

// The gateway's two configurations: their shape, and every variant loaded by `otelcol-gateway`
// (the components of the contrib image the tasks run, built from their Go modules) with
// `validate`, which resolves every `${...}` and checks every component's configuration.

const needsGateway = testNeeding(OTELCOL_GATEWAY, 'the tests that load the gateway configurations');

const PORTS = { grpc: 4317, http: 4318, health: 13133 };
const METRICS: GatewayMetricsConfig = {
  namespace: 'ServerlessTracing/Gateway',
  logGroupName: '/serverless-tracing/gateway',
  region: 'eu-west-1',
};
const SAMPLING: TailSamplingSettings = {
  percentage: 10,
  decisionWaitSeconds: 30,
  numTraces: 100_000,
  expectedNewTracesPerSec: 1_000,
  decisionCacheSize: 1_000_000,
};
/** The environment of a task: its role's credentials and a secret header value from the task definition. */
const TASK_ENV = {
  PATH: process.env.PATH,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'task-secret',
  OTLP_API_KEY: 'the-api-key',
};

const lb = (over: Partial<LoadBalancingTierConfig> = {}): LoadBalancingTierConfig => ({
  resolver: { kind: 'dns', hostname: 'sampling.gateway.internal', port: 4317 },
  ports: PORTS,
  memoryLimitMiB: 400,
  ...over,
});
const sampling = (over: Partial<SamplingTierConfig> = {}): SamplingTierConfig => ({
  sampling: SAMPLING,
  exporter: { kind: 'debug' },
  ports: PORTS,
  memoryLimitMiB: 1600,
  ...over,
});
const parse = (yaml: string) => YAML.parse(yaml) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EXPORTERS: Record<string, GatewayExporterConfig> = {
  xray: { kind: 'xray', region: 'eu-west-1' },
  otlp: {
    kind: 'otlp',
    endpoint: 'https://otlp.example.com',
    headers: { 'x-api-key': '${env:OTLP_API_KEY}', 'x-team': 'payments' },
  },
  debug: { kind: 'debug' },
};

/** Every variant the construct can render. */
const VARIANTS: Record<string, string> = {
  'lb dns': renderLoadBalancingConfig(lb()),
  'lb dns, metrics': renderLoadBalancingConfig(lb({ metrics: METRICS })),
  'lb static': renderLoadBalancingConfig(
    lb({ resolver: { kind: 'static', hostnames: ['10.0.1.10:4317', '10.0.2.10:4317'] } }),
  ),
  'lb static, 127.0.0.1, metrics on another port': renderLoadBalancingConfig(
    lb({
      resolver: { kind: 'static', hostnames: ['127.0.0.1:5317'] },
      bindAddress: '127.0.0.1',
      ports: { ...PORTS, telemetry: 14319 },
      metrics: METRICS,
    }),
  ),
  ...Object.fromEntries(
    Object.entries(EXPORTERS).flatMap(([name, exporter]) => [
      [`sampling ${name}`, renderSamplingConfig(sampling({ exporter }))],
      [
        `sampling ${name}, latency, early decision, metrics`,
        renderSamplingConfig(
          sampling({
            exporter,
            metrics: METRICS,
            sampling: { ...SAMPLING, latencyThresholdMs: 5000, decisionWaitAfterRootReceivedSeconds: 5 },
          }),
        ),
      ],
    ]),
  ),
  'sampling at 0 %': renderSamplingConfig(sampling({ sampling: { ...SAMPLING, percentage: 0 } })),
  'sampling at 100 %': renderSamplingConfig(sampling({ sampling: { ...SAMPLING, percentage: 100 } })),
  'sampling at 0.5 %': renderSamplingConfig(sampling({ sampling: { ...SAMPLING, percentage: 0.5 } })),
};

needsGateway('every variant loads in otelcol-gateway (validate), without a deprecated name', async () => {
  const failures: string[] = [];
  for (const [name, yaml] of Object.entries(VARIANTS)) {
    const outcome = await validateCollectorConfig(yaml, TASK_ENV, OTELCOL_GATEWAY.path);
    if (!outcome.ok) failures.push(`${name}: ${outcome.output}`);
    expect(deprecationWarnings(outcome.output)).toEqual([]);
  }
  expect(failures).toEqual([]);
});

needsGateway(
  'an invalid tail_sampling setting is refused by the collector too (validate is no rubber stamp)',
  async () => {
    const yaml = renderSamplingConfig(sampling()).replace('num_traces: 100000', 'num_traces: -1');
    const outcome = await validateCollectorConfig(yaml, TASK_ENV, OTELCOL_GATEWAY.path);
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/num_traces/);
  },
);

test('the version is the contrib image tag and is named in the header', () => {
  expect(GATEWAY_COLLECTOR_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  expect(renderLoadBalancingConfig(lb())).toMatch(
    new RegExp(
      `^# .*contrib image ${GATEWAY_COLLECTOR_VERSION.replace(/\./g, '\\.')}: the load-balancing tier`,
    ),
  );
  expect(renderSamplingConfig(sampling())).toMatch(/^# .*: the sampling tier/);
});

describe('load-balancing tier', () => {
  test('otlp in, memory_limiter and batch, load_balancing out by trace id over insecure gRPC; health_check', () => {
    const c = parse(renderLoadBalancingConfig(lb()));
    expect(c.receivers).toEqual({
      otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } },
    });
    expect(c.service.pipelines).toEqual({
      traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['load_balancing'] },
    });
    expect(c.processors.memory_limiter).toEqual({
      check_interval: '1s',
      limit_mib: 400,
      spike_limit_mib: 80,
    });
    const exporter = c.exporters.load_balancing;
    expect(exporter.routing_key).toBe('traceID');
    expect(exporter.protocol.otlp.tls).toEqual({ insecure: true });
    expect(exporter.resolver).toEqual({
      dns: { hostname: 'sampling.gateway.internal', port: '4317', interval: '5s' },
    });
    expect(c.extensions).toEqual({ health_check: { endpoint: '0.0.0.0:13133' } });
    expect(c.service.extensions).toEqual(['health_check']);
    // Without metrics the collector keeps none (no listener on :8888).
    expect(c.service.telemetry).toEqual({ metrics: { level: 'none' } });
  });

  test("the sampling tasks' exporters are bounded: queue in requests, retry in time; the load balancer's own retry is off", () => {
    const exporter = parse(renderLoadBalancingConfig(lb())).exporters.load_balancing;
    expect(exporter.protocol.otlp).toMatchObject({
      timeout: '5s',
      sending_queue: { enabled: true, sizer: 'requests', queue_size: 1000 },
      retry_on_failure: { enabled: true, max_elapsed_time: '30s' },
    });
    expect(exporter.retry_on_failure).toBeUndefined();
    expect(exporter.sending_queue).toBeUndefined();
  });

  test('a static resolver lists the sampling tasks as host:port; the bind address is configurable', () => {
    const c = parse(
      renderLoadBalancingConfig(
        lb({
          resolver: { kind: 'static', hostnames: ['127.0.0.1:5317', '127.0.0.1:6317'] },
          bindAddress: '127.0.0.1',
        }),
      ),
    );
    expect(c.exporters.load_balancing.resolver).toEqual({
      static: { hostnames: ['127.0.0.1:5317', '127.0.0.1:6317'] },
    });
    expect(c.receivers.otlp.protocols.grpc.endpoint).toBe('127.0.0.1:4317');
    expect(c.extensions.health_check.endpoint).toBe('127.0.0.1:13133');
  });

  test('metrics: the periodic reader pushes to a receiver on the loopback only, and awsemf publishes the chosen metrics', () => {
    const c = parse(renderLoadBalancingConfig(lb({ metrics: METRICS })));
    expect(c.receivers['otlp/telemetry']).toEqual({ protocols: { http: { endpoint: '127.0.0.1:4319' } } });
    expect(c.service.telemetry.metrics).toEqual({
      level: 'normal',
      readers: [
        {
          periodic: {
            interval: 60000,
            exporter: { otlp: { protocol: 'http/protobuf', endpoint: 'http://127.0.0.1:4319/v1/metrics' } },
          },
        },
      ],
    });
    expect(c.service.pipelines['metrics/telemetry']).toEqual({
      receivers: ['otlp/telemetry'],
      exporters: ['awsemf'],
    });
    const emf = c.exporters.awsemf;
    expect(emf).toMatchObject({
      namespace: METRICS.namespace,
      log_group_name: METRICS.logGroupName,
      log_stream_name: 'load-balancing',
      region: 'eu-west-1',
      dimension_rollup_option: 'NoDimensionRollup',
      retain_initial_value_of_delta_metric: true,
    });
    expect(emf.metric_declarations).toContainEqual({
      dimensions: [['success'], []],
      metric_name_selectors: ['^otelcol_loadbalancer_backend_outcome$'],
    });
    expect(emf.metric_descriptors).toHaveLength(LOAD_BALANCING_METRICS.length);
    expect(emf.metric_descriptors[0]).toEqual({
      metric_name: 'otelcol_loadbalancer_backend_outcome',
      unit: 'Count',
      overwrite: true,
    });
  });

  test('invalid settings throw once, naming every field', () => {
    expect(() =>
      renderLoadBalancingConfig(
        lb({
          resolver: { kind: 'static', hostnames: ['no-port', 'h:1'] },
          ports: { grpc: 4317, http: 4317, health: 0 },
          memoryLimitMiB: 8,
        }),
      ),
    ).toThrow(
      /load-balancing tier[\s\S]*ports.health must be a whole number from 1 to 65535[\s\S]*ports must differ[\s\S]*memoryLimitMiB[\s\S]*'no-port' is not host:port/,
    );
    expect(() => renderLoadBalancingConfig(lb({ resolver: { kind: 'static', hostnames: [] } }))).toThrow(
      /resolver.hostnames must name at least one/,
    );
  });
});

describe('sampling tier', () => {
  test('memory_limiter first, then tail_sampling, then batch; the policies OR-ed in order', () => {
    const c = parse(renderSamplingConfig(sampling({ sampling: { ...SAMPLING, latencyThresholdMs: 5000 } })));
    expect(c.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'tail_sampling', 'batch'],
      exporters: ['debug'],
    });
    const ts = c.processors.tail_sampling;
    expect(ts).toMatchObject({
      decision_wait: '30s',
      num_traces: 100000,
      expected_new_traces_per_sec: 1000,
      decision_cache: { sampled_cache_size: 1000000, non_sampled_cache_size: 1000000 },
      sample_on_first_match: true,
    });
    expect(ts.decision_wait_after_root_received).toBeUndefined();
    expect(ts.policies).toEqual([
      { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      {
        name: 'sampling-rule',
        type: 'string_attribute',
        string_attribute: { key: SAMPLING_RULE_ATTRIBUTE, values: ['.*'], enabled_regex_matching: true },
      },
      {
        name: 'adaptive-boost',
        type: 'ottl_condition',
        ottl_condition: {
          error_mode: 'ignore',
          span: ['span.attributes["serverless_tracing.sampling.boost"] != nil'],
        },
      },
      { name: 'slow', type: 'latency', latency: { threshold_ms: 5000 } },
      { name: 'percentage', type: 'probabilistic', probabilistic: { sampling_percentage: 10 } },
    ]);
  });

  test('the rule and boost attributes are the ones the runtime sets', () => {
    expect(SAMPLING_RULE_ATTRIBUTE).toBe(ATTR_SAMPLING_RULE);
    expect(SAMPLING_BOOST_ATTRIBUTE).toBe(ATTR_SAMPLING_BOOST);
  });

  test('no latency policy without a threshold; the early decision when asked for', () => {
    const c = parse(
      renderSamplingConfig(sampling({ sampling: { ...SAMPLING, decisionWaitAfterRootReceivedSeconds: 3 } })),
    );
    expect(c.processors.tail_sampling.policies.map((p: { name: string }) => p.name)).toEqual([
      'errors',
      'sampling-rule',
      'adaptive-boost',
      'percentage',
    ]);
    expect(c.processors.tail_sampling.decision_wait_after_root_received).toBe('3s');
  });

  test('xray: otlp_http to the regional OTLP endpoint, signed by sigv4auth for the service xray', () => {
    const c = parse(renderSamplingConfig(sampling({ exporter: { kind: 'xray', region: 'us-east-1' } })));
    expect(c.exporters.otlp_http).toMatchObject({
      traces_endpoint: 'https://xray.us-east-1.amazonaws.com/v1/traces',
      auth: { authenticator: 'sigv4auth' },
      retry_on_failure: { max_elapsed_time: '30s' },
    });
    expect(c.extensions.sigv4auth).toEqual({ region: 'us-east-1', service: 'xray' });
    expect(c.service.extensions).toEqual(['health_check', 'sigv4auth']);
  });

  test('otlp: a ${env:NAME} header is kept for the collector; every other $ is doubled, so it arrives as written', () => {
    const c = parse(
      renderSamplingConfig(
        sampling({
          exporter: {
            kind: 'otlp',
            endpoint: 'https://otlp.example.com/a$b',
            headers: { 'x-api-key': '${env:OTLP_API_KEY}', 'x-literal': 'p$ss ${env:HOME} $$' },
          },
        }),
      ),
    );
    expect(c.exporters.otlp_http.endpoint).toBe('https://otlp.example.com/a$$b');
    expect(c.exporters.otlp_http.headers).toEqual({
      'x-api-key': '${env:OTLP_API_KEY}',
      'x-literal': 'p$$ss $${env:HOME} $$$$',
    });
  });

  test('a token (a region of an environment-agnostic stack) is left for CloudFormation, not escaped', () => {
    const region = new Stack().region;
    const yaml = renderSamplingConfig(
      sampling({ exporter: { kind: 'xray', region }, metrics: { ...METRICS, region } }),
    );
    const c = parse(yaml);
    expect(c.extensions.sigv4auth.region).toBe(region);
    expect(c.exporters.awsemf.region).toBe(region);
    expect(c.exporters.otlp_http.traces_endpoint).toBe(`https://xray.${region}.amazonaws.com/v1/traces`);
  });

  test('metrics: the sampling tier publishes its own set, with the dimensions of each', () => {
    const emf = parse(renderSamplingConfig(sampling({ metrics: METRICS }))).exporters.awsemf;
    expect(emf.log_stream_name).toBe('sampling');
    expect(emf.metric_declarations).toEqual(
      SAMPLING_METRICS.map((m) => ({ dimensions: m.dimensions, metric_name_selectors: [`^${m.name}$`] })),
    );
    expect(SAMPLING_METRICS.map((m) => m.name)).toContain(
      'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early',
    );
  });

  test('invalid settings throw once, naming every field', () => {
    expect(() =>
      renderSamplingConfig(
        sampling({
          sampling: {
            ...SAMPLING,
            percentage: 101,
            decisionWaitSeconds: 0.5,
            numTraces: 0,
            latencyThresholdMs: -1,
          },
          exporter: { kind: 'otlp', endpoint: '' },
        }),
      ),
    ).toThrow(
      /sampling tier[\s\S]*sampling.percentage must be from 0 to 100 \(got 101\)[\s\S]*latencyThresholdMs[\s\S]*decisionWaitSeconds must be a whole number[\s\S]*numTraces[\s\S]*exporter.endpoint must not be empty/,
    );
  });
});
