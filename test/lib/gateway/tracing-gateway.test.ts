import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parse as parseYaml } from 'yaml';
import {
  ExporterHeaderValue,
  GatewayAccess,
  TracingExporter,
  TracingGateway,
  TracingGatewayProps,
  TracingSettings,
  TransactionSearch,
} from '../../../lib';
import {
  CONFIG_ENV,
  GATEWAY_IMAGE_REPOSITORY,
  GATEWAY_METRICS,
  HEADER_ENV_PREFIX,
} from '../../../lib/gateway/private/constants';
import {
  GATEWAY_COLLECTOR_VERSION,
  LOAD_BALANCING_METRICS,
  LoadBalancingTierConfig,
  renderLoadBalancingConfig,
  renderSamplingConfig,
  SAMPLING_METRICS,
  SamplingTierConfig,
} from '../../../lib/gateway/private/gateway-config';
import { OTELCOL_GATEWAY, testNeeding } from '../../helpers/requirements';
import { newStack, TEST_ENV } from '../../helpers/stack';

// The renderers of lib/gateway/private/gateway-config.ts, observed: each test reads the
// configuration objects the construct gave them (the contract) and the YAML they wrote.
jest.mock('../../../lib/gateway/private/gateway-config', () => {
  const actual = jest.requireActual('../../../lib/gateway/private/gateway-config');
  return {
    ...actual,
    renderLoadBalancingConfig: jest.fn(actual.renderLoadBalancingConfig),
    renderSamplingConfig: jest.fn(actual.renderSamplingConfig),
  };
});

beforeEach(() => jest.clearAllMocks());

/** A stack with a concrete account and region, and a gateway in it. */
function gatewayStack(props: TracingGatewayProps = {}): { app: App; stack: Stack; gateway: TracingGateway } {
  const { app, stack } = newStack({ env: true });
  const gateway = new TracingGateway(stack, 'Gateway', props);
  return { app, stack, gateway };
}

/** The configuration objects the construct gave the renderers (the contract). */
function lastLoadBalancingConfig(): LoadBalancingTierConfig {
  const calls = jest.mocked(renderLoadBalancingConfig).mock.calls;
  expect(calls.length).toBeGreaterThan(0);
  return calls[calls.length - 1][0];
}
function lastSamplingConfig(): SamplingTierConfig {
  const calls = jest.mocked(renderSamplingConfig).mock.calls;
  expect(calls.length).toBeGreaterThan(0);
  return calls[calls.length - 1][0];
}

/** The logical id of the one resource of a type whose id starts with a prefix. */
function idOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((k) => k.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/**
 * A CloudFormation string value (a `Fn::Join` of strings, `Ref`s and `Fn::GetAtt`s) with each
 * reference written by `ref` (`{{name}}` by default).
 */
function flatten(value: unknown, ref = (name: string) => `{{${name}}}`): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => flatten(p, ref)).join(sep);
  }
  if ('Ref' in v) return ref(String(v.Ref));
  if ('Fn::GetAtt' in v) return ref((v['Fn::GetAtt'] as string[]).join('.'));
  return JSON.stringify(value);
}

/** The container definition of a tier's task definition (`Sampling` or `LoadBalancing`). */
function containerOf(template: Template, tier: 'Sampling' | 'LoadBalancing'): Record<string, unknown> {
  const id = idOf(template, 'AWS::ECS::TaskDefinition', `Gateway${tier}TaskDefinition`);
  const definitions = template.toJSON().Resources[id].Properties.ContainerDefinitions as Record<
    string,
    unknown
  >[];
  expect(definitions).toHaveLength(1);
  return definitions[0];
}

/**
 * The configuration a tier's container gets, as text, with each reference as `{{name}}` or, with
 * `asDeployed`, as `ref-<name>`: a plain YAML word like the names and regions CloudFormation puts there.
 */
function configText(template: Template, tier: 'Sampling' | 'LoadBalancing', asDeployed = false): string {
  const environment = containerOf(template, tier).Environment as { Name: string; Value: unknown }[];
  const entry = environment.find((e) => e.Name === CONFIG_ENV);
  expect(entry).toBeDefined();
  return asDeployed
    ? flatten(entry!.Value, (name) => `ref-${name.replace(/:/g, '-')}`)
    : flatten(entry!.Value);
}

type Rule = string;

/** Every security group rule of the template (inline and separate), as `from -> to port` lines. */
function securityGroupRules(template: Template): { ingress: Rule[]; egress: Rule[] } {
  const name = (v: unknown) => {
    const text = flatten(v);
    return /^\{\{(?:Gateway)?(.*?)SecurityGroup[0-9A-F]{8}\.GroupId\}\}$/.exec(text)?.[1] ?? text;
  };
  const ports = (r: Record<string, unknown>) =>
    r.FromPort === r.ToPort ? String(r.FromPort) : `${String(r.FromPort)}-${String(r.ToPort)}`;
  const ingress: Rule[] = [];
  const egress: Rule[] = [];
  for (const [id, group] of Object.entries(template.findResources('AWS::EC2::SecurityGroup'))) {
    const self = name({ 'Fn::GetAtt': [id, 'GroupId'] });
    for (const r of (group.Properties.SecurityGroupIngress ?? []) as Record<string, unknown>[]) {
      ingress.push(`${String(r.CidrIp ?? name(r.SourceSecurityGroupId))} -> ${self}:${ports(r)}`);
    }
    for (const r of (group.Properties.SecurityGroupEgress ?? []) as Record<string, unknown>[]) {
      egress.push(
        `${self} -> ${String(r.CidrIp ?? name(r.DestinationSecurityGroupId))}:${ports(r)}/${String(r.IpProtocol)}`,
      );
    }
  }
  for (const r of Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))) {
    const p = r.Properties as Record<string, unknown>;
    ingress.push(`${String(p.CidrIp ?? name(p.SourceSecurityGroupId))} -> ${name(p.GroupId)}:${ports(p)}`);
  }
  for (const r of Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))) {
    const p = r.Properties as Record<string, unknown>;
    egress.push(
      `${name(p.GroupId)} -> ${String(p.CidrIp ?? name(p.DestinationSecurityGroupId))}:${ports(p)}/${String(p.IpProtocol)}`,
    );
  }
  return { ingress: ingress.sort(), egress: egress.sort() };
}

describe('TracingGateway: the two tiers', () => {
  test('two Fargate services on the latest platform, in private subnets without public IPs, with a circuit breaker', () => {
    const template = Template.fromStack(gatewayStack().stack);
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.resourceCountIs('AWS::ECS::Service', 2);
    for (const tier of ['Sampling', 'LoadBalancing']) {
      const id = idOf(template, 'AWS::ECS::Service', `Gateway${tier}Service`);
      expect(template.toJSON().Resources[id].Properties).toMatchObject({
        LaunchType: 'FARGATE',
        PlatformVersion: 'LATEST',
        DesiredCount: 2,
        DeploymentConfiguration: {
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
        },
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            AssignPublicIp: 'DISABLED',
            Subnets: [
              { Ref: expect.stringMatching(/^GatewayVpcPrivateSubnet1/) },
              { Ref: expect.stringMatching(/^GatewayVpcPrivateSubnet2/) },
            ],
          },
        },
      });
    }
  });

  test('the task definitions: the pinned contrib image on ARM64, the configuration from an environment variable, the three ports', () => {
    const template = Template.fromStack(gatewayStack().stack);
    for (const [tier, cpu, memory] of [
      ['Sampling', '1024', '2048'],
      ['LoadBalancing', '512', '1024'],
    ] as const) {
      const id = idOf(template, 'AWS::ECS::TaskDefinition', `Gateway${tier}TaskDefinition`);
      expect(template.toJSON().Resources[id].Properties).toMatchObject({
        Cpu: cpu,
        Memory: memory,
        NetworkMode: 'awsvpc',
        RequiresCompatibilities: ['FARGATE'],
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      });
      const container = containerOf(template, tier);
      expect(container).toMatchObject({
        Image: `otel/opentelemetry-collector-contrib:${GATEWAY_COLLECTOR_VERSION}`,
        Command: [`--config=env:${CONFIG_ENV}`],
        Essential: true,
        ReadonlyRootFilesystem: true,
        PortMappings: [
          { ContainerPort: 4317, Protocol: 'tcp' },
          { ContainerPort: 4318, Protocol: 'tcp' },
          { ContainerPort: 13133, Protocol: 'tcp' },
        ],
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: { 'awslogs-stream-prefix': tier === 'Sampling' ? 'sampling' : 'load-balancing' },
        },
      });
      // The image has no shell: no container health check (see the class doc).
      expect(container.HealthCheck).toBeUndefined();
    }
    expect(GATEWAY_IMAGE_REPOSITORY).toBe('otel/opentelemetry-collector-contrib');
  });

  test('the image tag is a released collector version', () => {
    expect(GATEWAY_COLLECTOR_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('what the construct asks the renderers for (the configuration contract)', () => {
    const { gateway } = gatewayStack({
      samplingPercentage: 5,
      latencyThreshold: Duration.seconds(3),
      decisionWait: Duration.seconds(20),
      expectedNewTracesPerSecond: 50,
      lateSpanWindow: Duration.minutes(5),
      sampling: { cpu: 2048, memoryLimitMiB: 4096 },
    });
    const stack = Stack.of(gateway);
    const lb = lastLoadBalancingConfig();
    expect(lb).toMatchObject({
      resolver: { kind: 'dns', hostname: gateway.samplingHostname, port: 4317 },
      ports: { grpc: 4317, http: 4318, health: 13133 },
      memoryLimitMiB: 819, // 80% of the task's 1024 MiB
    });
    expect(gateway.samplingHostname).toMatch(/^sampling\.[a-z0-9-]+\.internal$/);
    expect(lastSamplingConfig()).toEqual({
      sampling: {
        percentage: 5,
        latencyThresholdMs: 3000,
        decisionWaitSeconds: 20,
        numTraces: 2000, // 2 x 50/s x 20 s
        expectedNewTracesPerSec: 50,
        decisionCacheSize: 15000, // 50/s x 300 s
      },
      exporter: { kind: 'xray', region: 'eu-west-1' },
      ports: { grpc: 4317, http: 4318, health: 13133 },
      memoryLimitMiB: 3276, // 80% of the task's 4096 MiB
      metrics: {
        namespace: `${gateway.metricsNamespace}/sampling`,
        logGroupName: gateway.metricsLogGroup.logGroupName,
        region: 'eu-west-1',
      },
    });
    expect(lb.metrics).toEqual({
      ...lastSamplingConfig().metrics,
      namespace: `${gateway.metricsNamespace}/load-balancing`,
    });
    expect(stack.resolve(gateway.metricsNamespace)).toMatch(/^CdkServerlessTracing\/Gateway\/\w+$/);
  });

  test('the defaults of the sampling settings: 10%, no latency policy, 30 s, a decision cache for 10 minutes', () => {
    gatewayStack();
    const sampling = lastSamplingConfig().sampling;
    expect(sampling).toEqual({
      percentage: 10,
      decisionWaitSeconds: 30,
      numTraces: 6000,
      expectedNewTracesPerSec: 100,
      decisionCacheSize: 60000,
    });
  });

  test('the sampling percentage defaults to the samplingRatio of the enclosing TracingSettings', () => {
    const { stack } = newStack({ env: true });
    TracingSettings.set(stack, { samplingRatio: 0.25 });
    new TracingGateway(stack, 'Gateway');
    expect(lastSamplingConfig().sampling.percentage).toBe(25);
  });

  test('the configuration holds the region as a reference in an environment-agnostic stack (written as given)', () => {
    const { stack } = newStack();
    new TracingGateway(stack, 'Gateway', {
      exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.alreadyEnabled() }),
    });
    const template = Template.fromStack(stack);
    const text = configText(template, 'Sampling');
    expect(text).toContain('{{AWS::Region}}');
    expect(text).not.toContain('${{{AWS::Region}}');
  });

  test('the load-balancing tier: OTLP in, the loadbalancing exporter by trace id to sampling.<namespace>:4317', () => {
    const { stack, gateway } = gatewayStack();
    const config = parseYaml(configText(Template.fromStack(stack), 'LoadBalancing', true)) as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(config.receivers)).toEqual(expect.arrayContaining(['otlp']));
    const lbName = Object.keys(config.exporters).find((k) => /^load_?balancing(\/|$)/.test(k));
    expect(lbName).toBeDefined();
    const exporter = config.exporters[lbName!] as Record<string, Record<string, Record<string, unknown>>>;
    expect(exporter.routing_key).toBe('traceID');
    expect(exporter.resolver.dns).toMatchObject({ hostname: gateway.samplingHostname });
    expect(String(exporter.resolver.dns.port)).toBe('4317');
    expect(Object.keys(config.extensions)).toEqual(expect.arrayContaining(['health_check']));
  });

  test('the sampling tier: OTLP in, tail_sampling, the exporter out', () => {
    const { stack } = gatewayStack();
    const config = parseYaml(configText(Template.fromStack(stack), 'Sampling', true)) as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(config.receivers)).toEqual(expect.arrayContaining(['otlp']));
    expect(Object.keys(config.processors).some((k) => k.startsWith('tail_sampling'))).toBe(true);
    expect(Object.keys(config.extensions)).toEqual(expect.arrayContaining(['health_check']));
    const pipelines = (config.service as Record<string, Record<string, Record<string, string[]>>>).pipelines;
    const traces = Object.entries(pipelines).find(([name]) => name.startsWith('traces'))![1];
    expect(traces.processors.some((p) => p.startsWith('tail_sampling'))).toBe(true);
  });
});

describe('TracingGateway: the tasks as the collector starts them', () => {
  const needsGateway = testNeeding(
    OTELCOL_GATEWAY,
    "the test that starts the gateway tasks' command in the collector",
  );

  /**
   * `otelcol-gateway validate` with the container's command and environment (the references of the
   * template as deploy-time values would be, each secret as a value ECS would inject): the `env`
   * configuration provider reads the configuration, and every component is checked.
   */
  function validateAsTask(
    template: Template,
    tier: 'Sampling' | 'LoadBalancing',
  ): { status: number | null; output: string } {
    const container = containerOf(template, tier);
    const environment: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'task-secret',
    };
    for (const e of container.Environment as { Name: string; Value: unknown }[]) {
      environment[e.Name] = flatten(e.Value, (name) => `ref-${name.replace(/[:.]/g, '-').toLowerCase()}`);
    }
    for (const secret of (container.Secrets ?? []) as { Name: string }[]) {
      environment[secret.Name] = 'the-secret-value';
    }
    const result = spawnSync(OTELCOL_GATEWAY.path, ['validate', ...(container.Command as string[])], {
      env: environment,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  needsGateway(
    'both tiers load their configuration from the environment (--config=env:...), with X-Ray or OTLP with a secret header',
    () => {
      for (const exporter of [
        undefined,
        (stack: Stack) =>
          TracingExporter.otlp({
            endpoint: 'https://api.honeycomb.io',
            headers: {
              'x-honeycomb-team': ExporterHeaderValue.fromSecret(
                new secretsmanager.Secret(stack, 'ApiKey'),
                'apiKey',
              ),
              'x-honeycomb-dataset': ExporterHeaderValue.plain('pay$ments'),
            },
          }),
      ]) {
        const { stack } = newStack({ env: true });
        new TracingGateway(stack, 'Gateway', {
          exporter: exporter?.(stack),
          latencyThreshold: Duration.seconds(2),
        });
        const template = Template.fromStack(stack);
        for (const tier of ['Sampling', 'LoadBalancing'] as const) {
          const outcome = validateAsTask(template, tier);
          expect({ tier, ...outcome }).toEqual({ tier, status: 0, output: expect.any(String) });
          expect(outcome.output).not.toMatch(/deprecated/i);
        }
      }
    },
  );
});

describe('TracingGateway: Cloud Map, security groups, the load balancer', () => {
  test('the sampling tier is registered in a private DNS namespace of the VPC (A records, short TTL)', () => {
    const { stack, gateway } = gatewayStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: gateway.namespace.namespaceName,
      Vpc: { Ref: idOf(template, 'AWS::EC2::VPC', 'GatewayVpc') },
    });
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'sampling',
      DnsConfig: { DnsRecords: [{ Type: 'A', TTL: 10 }], RoutingPolicy: 'MULTIVALUE' },
    });
    const samplingService = idOf(template, 'AWS::ECS::Service', 'GatewaySamplingService');
    expect(template.toJSON().Resources[samplingService].Properties.ServiceRegistries).toEqual([
      {
        RegistryArn: {
          'Fn::GetAtt': [idOf(template, 'AWS::ServiceDiscovery::Service', 'GatewaySampling'), 'Arn'],
        },
      },
    ]);
    const lbService = idOf(template, 'AWS::ECS::Service', 'GatewayLoadBalancingService');
    expect(template.toJSON().Resources[lbService].Properties.ServiceRegistries).toBeUndefined();
  });

  test('security groups: only load balancer -> load-balancing tier (4318, health 13133) -> sampling tier (4317), clients -> load balancer (4318)', () => {
    const { ingress, egress } = securityGroupRules(Template.fromStack(gatewayStack().stack));
    expect(ingress).toEqual([
      'LoadBalancer -> LoadBalancing:13133',
      'LoadBalancer -> LoadBalancing:4318',
      'LoadBalancing -> Sampling:4317',
      'VpcLink -> LoadBalancer:4318',
    ]);
    expect(egress).toEqual([
      'LoadBalancer -> LoadBalancing:13133/tcp',
      'LoadBalancer -> LoadBalancing:4318/tcp',
      'LoadBalancing -> 0.0.0.0/0:443/tcp',
      'LoadBalancing -> Sampling:4317/tcp',
      'Sampling -> 0.0.0.0/0:443/tcp',
      'VpcLink -> LoadBalancer:4318/tcp',
    ]);
  });

  test('an OTLP backend on another port is the one more egress rule of the sampling tier', () => {
    const { stack } = gatewayStack({
      exporter: TracingExporter.otlp({ endpoint: 'https://otlp.example.com:8443' }),
    });
    const { egress } = securityGroupRules(Template.fromStack(stack));
    expect(egress.filter((r) => r.startsWith('Sampling'))).toEqual([
      'Sampling -> 0.0.0.0/0:443/tcp',
      'Sampling -> 0.0.0.0/0:8443/tcp',
    ]);
  });

  test('an internal Network Load Balancer on 4318, health checked on the health_check extension (13133)', () => {
    const { stack } = gatewayStack();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
      SecurityGroups: [
        {
          'Fn::GetAtt': [
            idOf(template, 'AWS::EC2::SecurityGroup', 'GatewayLoadBalancerSecurityGroup'),
            'GroupId',
          ],
        },
      ],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 4318, Protocol: 'TCP' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 4318,
      Protocol: 'TCP',
      TargetType: 'ip',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '13133',
      HealthCheckPath: '/',
    });
    const lbService = idOf(template, 'AWS::ECS::Service', 'GatewayLoadBalancingService');
    expect(template.toJSON().Resources[lbService].Properties).toMatchObject({
      LoadBalancers: [{ ContainerName: 'Collector', ContainerPort: 4318 }],
      HealthCheckGracePeriodSeconds: 60,
    });
  });

  test('a VPC of its own: two zones, private subnets with egress through one NAT gateway', () => {
    const template = Template.fromStack(gatewayStack().stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
  });

  test('a VPC given is used as is', () => {
    const { stack } = newStack({ env: true });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 3, natGateways: 3, restrictDefaultSecurityGroup: false });
    const gateway = new TracingGateway(stack, 'Gateway', { vpc, access: GatewayAccess.vpc() });
    expect(gateway.vpc).toBe(vpc);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Vpc: { Ref: idOf(template, 'AWS::EC2::VPC', 'Vpc') },
    });
  });
});

describe('TracingGateway: access', () => {
  test('iam() (the default): an HTTP API with IAM authorization on POST /v1/traces, through a VPC link to the listener', () => {
    const { stack, gateway } = gatewayStack();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/traces',
      AuthorizationType: 'AWS_IAM',
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'HTTP_PROXY',
      ConnectionType: 'VPC_LINK',
      ConnectionId: { Ref: idOf(template, 'AWS::ApiGatewayV2::VpcLink', 'GatewayVpcLink') },
      IntegrationUri: {
        Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'GatewayLoadBalancerOtlpHttp'),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::VpcLink', {
      SecurityGroupIds: [
        {
          'Fn::GetAtt': [idOf(template, 'AWS::EC2::SecurityGroup', 'GatewayVpcLinkSecurityGroup'), 'GroupId'],
        },
      ],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: {
          'Fn::GetAtt': [idOf(template, 'AWS::Logs::LogGroup', 'GatewayApiAccessLogs'), 'Arn'],
        },
      },
    });
    expect(gateway.auth).toEqual({ kind: 'sigv4', region: 'eu-west-1', service: 'execute-api' });
    expect(flatten(stack.resolve(gateway.tracesUrl))).toBe(
      `{{${idOf(template, 'AWS::ApiGatewayV2::Api', 'GatewayApi')}.ApiEndpoint}}/v1/traces`,
    );
  });

  test('iam(): grantExport gives execute-api:Invoke on the route of the $default stage only (no wildcard)', () => {
    const { stack, gateway } = gatewayStack();
    const role = new iam.Role(stack, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    gateway.grantExport(role);
    const template = Template.fromStack(stack);
    const api = idOf(template, 'AWS::ApiGatewayV2::Api', 'GatewayApi');
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: idOf(template, 'AWS::IAM::Role', 'FunctionRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[],
    );
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('execute-api:Invoke');
    expect(flatten(statements[0].Resource)).toBe(
      `arn:{{AWS::Partition}}:execute-api:eu-west-1:123456789012:{{${api}}}/$default/POST/v1/traces`,
    );
  });

  test('vpc(): no API; the load balancer URL and no authentication; a function in the VPC is let in on 4318 from its security group', () => {
    const { stack, gateway } = gatewayStack({ access: GatewayAccess.vpc() });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
      vpc: gateway.vpc,
    });
    const outside = new lambda.Function(stack, 'Outside', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    gateway.grantExport(fn);
    gateway.grantExport(outside);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::VpcLink', 0);
    expect(gateway.auth).toEqual({ kind: 'none' });
    expect(gateway.vpc).toBeDefined();
    expect(flatten(stack.resolve(gateway.tracesUrl))).toBe(
      `http://{{${idOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'GatewayLoadBalancer')}.DNSName}}:4318/v1/traces`,
    );
    const { ingress } = securityGroupRules(template);
    // Fn's, not Outside's (which is in no VPC).
    expect(ingress.filter((r) => r.endsWith('-> LoadBalancer:4318'))).toEqual(['Fn -> LoadBalancer:4318']);
    // No execute-api permission for anyone.
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('execute-api');
  });
});

describe('TracingGateway: the exporter', () => {
  test('X-Ray: the sampling task role alone may write spans (xray:PutTraceSegments, as the functions)', () => {
    const { stack } = gatewayStack({
      exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.alreadyEnabled() }),
    });
    const template = Template.fromStack(stack);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('xray:'),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties).toEqual({
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'xray:PutTraceSegments', Effect: 'Allow', Resource: '*' }],
      },
      PolicyName: expect.any(String),
      Roles: [{ Ref: idOf(template, 'AWS::IAM::Role', 'GatewaySamplingTaskDefinitionTaskRole') }],
    });
  });

  test('X-Ray with TransactionSearch.enable(): the stack gets the Transaction Search configuration', () => {
    const { stack } = gatewayStack({
      exporter: TracingExporter.xray({
        transactionSearch: TransactionSearch.enable({ indexingPercentage: 2 }),
      }),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::XRay::TransactionSearchConfig', {
      IndexingPercentage: 2,
    });
  });

  test('the default: X-Ray with Transaction Search already enabled (nothing created, a warning on aws/spans)', () => {
    const { stack } = gatewayStack();
    expect(lastSamplingConfig().exporter).toEqual({ kind: 'xray', region: 'eu-west-1' });
    Template.fromStack(stack).resourceCountIs('AWS::XRay::TransactionSearchConfig', 0);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('aws/spans'));
  });

  test("the default follows the enclosing TracingSettings' exporter, unless it is a gateway", () => {
    const { stack } = newStack({ env: true });
    TracingSettings.set(stack, { exporter: TracingExporter.debug() });
    new TracingGateway(stack, 'Gateway');
    expect(lastSamplingConfig().exporter).toEqual({ kind: 'debug' });

    const other = newStack({ env: true }).stack;
    const first = new TracingGateway(other, 'First', { exporter: TracingExporter.debug() });
    const scope = new Stack(other.node.root as App, 'Second', { env: TEST_ENV });
    TracingSettings.set(scope, { exporter: TracingExporter.gateway(first) });
    new TracingGateway(scope, 'Gateway');
    expect(lastSamplingConfig().exporter).toEqual({ kind: 'xray', region: 'eu-west-1' });
  });

  test('OTLP: plain headers in the configuration, secret ones from Secrets Manager through ECS secrets', () => {
    const { stack } = newStack({ env: true });
    const secret = new secretsmanager.Secret(stack, 'ApiKey');
    new TracingGateway(stack, 'Gateway', {
      exporter: TracingExporter.otlp({
        endpoint: 'https://api.honeycomb.io',
        headers: {
          'x-honeycomb-team': ExporterHeaderValue.fromSecret(secret, 'apiKey'),
          'x-honeycomb-dataset': ExporterHeaderValue.plain('pay$ments'),
        },
      }),
    });
    const env = `${HEADER_ENV_PREFIX}0`;
    expect(lastSamplingConfig().exporter).toEqual({
      kind: 'otlp',
      endpoint: 'https://api.honeycomb.io',
      headers: { 'x-honeycomb-team': `\${env:${env}}`, 'x-honeycomb-dataset': 'pay$ments' },
    });
    const template = Template.fromStack(stack);
    const container = containerOf(template, 'Sampling');
    const secretId = idOf(template, 'AWS::SecretsManager::Secret', 'ApiKey');
    expect(container.Secrets).toEqual([
      { Name: env, ValueFrom: { 'Fn::Join': ['', [{ Ref: secretId }, ':apiKey::']] } },
    ]);
    // The value never appears in the template; the execution role reads the secret.
    expect((container.Environment as { Name: string }[]).map((e) => e.Name)).toEqual([CONFIG_ENV]);
    const executionPolicy = idOf(
      template,
      'AWS::IAM::Policy',
      'GatewaySamplingTaskDefinitionExecutionRoleDefaultPolicy',
    );
    expect(template.toJSON().Resources[executionPolicy].Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: { Ref: secretId },
        }),
      ]),
    );
    expect(containerOf(template, 'LoadBalancing').Secrets).toBeUndefined();
  });

  test('OTLP in the YAML: the plain value escaped once, the secret read from the environment', () => {
    const { stack } = newStack({ env: true });
    new TracingGateway(stack, 'Gateway', {
      exporter: TracingExporter.otlp({
        endpoint: 'https://api.honeycomb.io',
        headers: {
          'x-honeycomb-team': ExporterHeaderValue.fromSecret(new secretsmanager.Secret(stack, 'ApiKey')),
          'x-honeycomb-dataset': ExporterHeaderValue.plain('pay$ments'),
        },
      }),
    });
    const config = parseYaml(configText(Template.fromStack(stack), 'Sampling', true)) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    expect(config.exporters.otlp_http).toMatchObject({
      endpoint: 'https://api.honeycomb.io',
      headers: { 'x-honeycomb-team': `\${env:${HEADER_ENV_PREFIX}0}`, 'x-honeycomb-dataset': 'pay$$ments' },
    });
  });

  test('a secret encrypted with an imported key: kms:Decrypt through Secrets Manager for the execution role', () => {
    const { stack } = newStack({ env: true });
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
      secretCompleteArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf',
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234'),
    });
    new TracingGateway(stack, 'Gateway', {
      exporter: TracingExporter.otlp({
        endpoint: 'https://otlp.example.com',
        headers: { key: ExporterHeaderValue.fromSecret(secret) },
      }),
    });
    const template = Template.fromStack(stack);
    const executionPolicy = idOf(
      template,
      'AWS::IAM::Policy',
      'GatewaySamplingTaskDefinitionExecutionRoleDefaultPolicy',
    );
    expect(template.toJSON().Resources[executionPolicy].Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'kms:Decrypt',
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
        }),
      ]),
    );
  });

  test('debug: no X-Ray permission, no egress beyond HTTPS', () => {
    const { stack } = gatewayStack({ exporter: TracingExporter.debug() });
    expect(lastSamplingConfig().exporter).toEqual({ kind: 'debug' });
    expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).not.toContain(
      'xray:',
    );
  });
});

describe('TracingGateway: scaling, alarms, logs', () => {
  test('autoscaling: the load-balancing tier quickly on CPU, the sampling tier conservatively on CPU and memory', () => {
    const { stack } = gatewayStack({
      loadBalancing: { minCount: 3, maxCount: 6 },
      sampling: { minCount: 2, maxCount: 4 },
    });
    const template = Template.fromStack(stack);
    const target = (tier: string) =>
      idOf(template, 'AWS::ApplicationAutoScaling::ScalableTarget', `Gateway${tier}ServiceTaskCountTarget`);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 3,
      MaxCapacity: 6,
      ResourceId: Match.anyValue(),
    });
    expect(template.toJSON().Resources[target('LoadBalancing')].Properties).toMatchObject({
      MinCapacity: 3,
      MaxCapacity: 6,
    });
    expect(template.toJSON().Resources[target('Sampling')].Properties).toMatchObject({
      MinCapacity: 2,
      MaxCapacity: 4,
    });
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map(
      (p) => ({
        target: (p.Properties.ScalingTargetId as { Ref: string }).Ref,
        ...p.Properties.TargetTrackingScalingPolicyConfiguration,
      }),
    );
    expect(policies).toEqual(
      expect.arrayContaining([
        {
          target: target('LoadBalancing'),
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          TargetValue: 60,
          ScaleOutCooldown: 60,
          ScaleInCooldown: 300,
        },
        {
          target: target('Sampling'),
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          TargetValue: 75,
          ScaleOutCooldown: 300,
          ScaleInCooldown: 1800,
        },
        {
          target: target('Sampling'),
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' },
          TargetValue: 60,
          ScaleOutCooldown: 300,
          ScaleInCooldown: 1800,
        },
      ]),
    );
    expect(policies).toHaveLength(3);
  });

  test("alarms on the collectors' own metrics and on the tasks' CPU and memory; addAlarmAction reaches them all", () => {
    const { stack, gateway } = gatewayStack();
    const topic = new sns.Topic(stack, 'Alarms');
    gateway.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    expect(gateway.alarms).toHaveLength(8);
    // Drops after the retries to a sampling task are only in the log: a metric filter counts them.
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: idOf(template, 'AWS::Logs::LogGroup', 'GatewayLogs') },
      FilterPattern: '"Exporting failed. Dropping data." "load_balancing"',
      MetricTransformations: [
        {
          MetricNamespace: gateway.metricsNamespace,
          MetricName: 'LoadBalancerDroppedBatches',
          MetricValue: '1',
        },
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: gateway.metricsNamespace,
      MetricName: 'LoadBalancerDroppedBatches',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: idOf(template, 'AWS::SNS::Topic', 'Alarms') }],
    });
    for (const metric of Object.values(GATEWAY_METRICS)) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: `${gateway.metricsNamespace}/${metric.tier}`,
        MetricName: metric.metricName,
        Dimensions: Object.keys(metric.dimensionsMap).length
          ? Object.entries(metric.dimensionsMap).map(([Name, Value]) => ({ Name, Value }))
          : Match.absent(),
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: idOf(template, 'AWS::SNS::Topic', 'Alarms') }],
      });
    }
    for (const [metricName, threshold] of [
      ['CPUUtilization', 85],
      ['MemoryUtilization', 70],
    ] as const) {
      for (const tier of ['Sampling', 'LoadBalancing']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/ECS',
          MetricName: metricName,
          Dimensions: Match.arrayWith([
            {
              Name: 'ServiceName',
              Value: { 'Fn::GetAtt': [idOf(template, 'AWS::ECS::Service', `Gateway${tier}Service`), 'Name'] },
            },
          ]),
          Threshold: threshold,
          ComparisonOperator: 'GreaterThanThreshold',
        });
      }
    }
    expect(gateway.metricTracesDroppedTooEarly().metricName).toBe(
      GATEWAY_METRICS.tracesDroppedTooEarly.metricName,
    );
    expect(gateway.metricLoadBalancerSendFailures({ period: Duration.minutes(1) }).period.toSeconds()).toBe(
      60,
    );
  });

  test('the alarms read metrics the collectors publish, with the dimensions they publish them with', () => {
    const published = { 'load-balancing': LOAD_BALANCING_METRICS, sampling: SAMPLING_METRICS };
    for (const metric of Object.values(GATEWAY_METRICS)) {
      const declared = published[metric.tier].find((m) => m.name === metric.metricName);
      expect(declared).toBeDefined();
      expect(declared!.dimensions.map((d) => [...d].sort())).toContainEqual(
        Object.keys(metric.dimensionsMap).sort(),
      );
    }
  });

  test("each tier publishes its metrics in its own namespace, to the gateway's metrics log group", () => {
    const { stack, gateway } = gatewayStack();
    const template = Template.fromStack(stack);
    const metricsLogs = idOf(template, 'AWS::Logs::LogGroup', 'GatewayMetricsLogs');
    for (const [tier, namespace] of [
      ['Sampling', 'sampling'],
      ['LoadBalancing', 'load-balancing'],
    ] as const) {
      const config = parseYaml(configText(template, tier, true)) as Record<
        string,
        Record<string, Record<string, unknown>>
      >;
      expect(config.exporters.awsemf).toMatchObject({
        namespace: `${stack.resolve(gateway.metricsNamespace) as string}/${namespace}`,
        log_group_name: `ref-${metricsLogs}`,
        region: 'eu-west-1',
      });
    }
  });

  test('log groups: one month by default, the settings, or the prop; the tasks write their metrics to theirs', () => {
    const retentions = (stack: Stack) =>
      Object.values(Template.fromStack(stack).findResources('AWS::Logs::LogGroup')).map(
        (g) => g.Properties.RetentionInDays,
      );
    expect(retentions(gatewayStack().stack)).toEqual([30, 30, 30]);
    expect(retentions(gatewayStack({ logRetention: logs.RetentionDays.ONE_WEEK }).stack)).toEqual([7, 7, 7]);
    const { stack } = newStack({ env: true });
    TracingSettings.set(stack, { logRetention: logs.RetentionDays.TWO_WEEKS });
    new TracingGateway(stack, 'Gateway', { access: GatewayAccess.vpc() });
    expect(retentions(stack)).toEqual([14, 14]);

    const template = Template.fromStack(gatewayStack().stack);
    const metricsLogs = idOf(template, 'AWS::Logs::LogGroup', 'GatewayMetricsLogs');
    for (const tier of ['Sampling', 'LoadBalancing']) {
      const policy = idOf(template, 'AWS::IAM::Policy', `Gateway${tier}TaskDefinitionTaskRoleDefaultPolicy`);
      expect(template.toJSON().Resources[policy].Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [metricsLogs, 'Arn'] },
          },
        ]),
      );
    }
  });
});

describe('TracingGateway: bad props', () => {
  const cases: [string, TracingGatewayProps, RegExp][] = [
    [
      'a count below 1',
      { sampling: { minCount: 0 } },
      /sampling\.minCount must be a whole number of tasks, at least 1 \(got 0\)/,
    ],
    [
      'a fractional count',
      { loadBalancing: { maxCount: 2.5 } },
      /loadBalancing\.maxCount must be a whole number/,
    ],
    [
      'min above max',
      { sampling: { minCount: 5, maxCount: 3 } },
      /sampling\.minCount \(5\) is above sampling\.maxCount \(3\): raise maxCount or lower minCount/,
    ],
    [
      'desired outside min..max',
      { loadBalancing: { desiredCount: 20 } },
      /loadBalancing\.desiredCount \(20\) must be from loadBalancing\.minCount \(2\) to loadBalancing\.maxCount \(10\)/,
    ],
    [
      'a CPU size Fargate lacks',
      { sampling: { cpu: 300 } },
      /sampling\.cpu 300 is not a Fargate task size: use 256, 512, 1024/,
    ],
    [
      'memory not a Fargate size for the CPU',
      { sampling: { cpu: 1024, memoryLimitMiB: 1024 } },
      /sampling\.memoryLimitMiB 1024 is not a Fargate memory size for cpu 1024: use 2048 to 8192 MiB in steps of 1024/,
    ],
    [
      'memory off the steps',
      { loadBalancing: { cpu: 512, memoryLimitMiB: 1536 } },
      /loadBalancing\.memoryLimitMiB 1536 is not a Fargate memory size for cpu 512/,
    ],
    [
      'a percentage above 100',
      { samplingPercentage: 120 },
      /samplingPercentage must be from 0 to 100 \(got 120\)/,
    ],
    [
      'a negative percentage',
      { samplingPercentage: -1 },
      /samplingPercentage must be from 0 to 100 \(got -1\)/,
    ],
    [
      'a decision wait below 1 s',
      { decisionWait: Duration.millis(500) },
      /decisionWait must be from 1 second to 10 minutes \(got 500 millis\)/,
    ],
    [
      'a decision wait above 10 min',
      { decisionWait: Duration.minutes(11) },
      /decisionWait must be from 1 second to 10 minutes \(got 11 minutes\)/,
    ],
    [
      'a zero latency threshold',
      { latencyThreshold: Duration.seconds(0) },
      /latencyThreshold must be positive/,
    ],
    [
      'a rate below 1',
      { expectedNewTracesPerSecond: 0 },
      /expectedNewTracesPerSecond must be a whole number, at least 1/,
    ],
    [
      'a late-span window over a day',
      { lateSpanWindow: Duration.days(2) },
      /lateSpanWindow must be from 0 \(no decision cache\) to 1 day/,
    ],
    [
      'an OTLP endpoint that is not a URL',
      { exporter: TracingExporter.otlp({ endpoint: 'otlp.example.com' }) },
      /exporter endpoint must be an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'an invalid header name',
      {
        exporter: TracingExporter.otlp({
          endpoint: 'https://x.example.com',
          headers: { 'bad name': ExporterHeaderValue.plain('v') },
        }),
      },
      /exporter header name 'bad name' is not a valid HTTP header name/,
    ],
  ];
  test.each(cases)('%s', (_, props, message) => {
    const { stack } = newStack({ env: true });
    expect(() => new TracingGateway(stack, 'Gateway', props)).toThrow(message);
    expect(() => new TracingGateway(newStack({ env: true }).stack, 'Gateway', props)).toThrow(
      /^TracingGateway TestStack\/Gateway has invalid props/,
    );
  });

  test('a gateway as the exporter', () => {
    const { stack } = newStack({ env: true });
    const other = new TracingGateway(stack, 'Other', { exporter: TracingExporter.debug() });
    expect(() => new TracingGateway(stack, 'Gateway', { exporter: TracingExporter.gateway(other) })).toThrow(
      /exporter is a gateway \(TracingExporter.gateway\): a gateway exports to a backend; give TracingExporter.xray/,
    );
  });

  test('a percentage above the sampling budget of the settings', () => {
    const { stack } = newStack({ env: true });
    TracingSettings.set(stack, { maxSamplingRatio: 0.05 });
    expect(() => new TracingGateway(stack, 'Gateway', { samplingPercentage: 10 })).toThrow(
      /samplingPercentage 10 is above the sampling budget of 5% \(maxSamplingRatio 0.05, set by TracingSettings on 'TestStack'\)/,
    );
  });

  test('every problem at once', () => {
    const { stack } = newStack({ env: true });
    expect(
      () => new TracingGateway(stack, 'Gateway', { samplingPercentage: 101, sampling: { minCount: 0 } }),
    ).toThrow(/invalid props:\n {2}- samplingPercentage[^\n]*\n {2}- sampling\.minCount/);
  });
});

describe("TracingGateway: cdk-nag's AwsSolutions checks", () => {
  function nagReport(access: GatewayAccess) {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gateway-nag-')) });
    const stack = new Stack(app, 'Nag', { env: TEST_ENV });
    new TracingGateway(stack, 'Gateway', {
      access,
      // Without the custom resources of the retention of aws/spans (TransactionSearch's, not the gateway's).
      exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.alreadyEnabled() }),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        pluginName: string;
        violations: { ruleName: string }[];
        suppressedViolations?: { ruleName: string }[];
      }[];
    };
    return report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')!;
  }

  test.each([
    ['iam()', GatewayAccess.iam()],
    ['vpc()', GatewayAccess.vpc()],
  ])('%s: clean, each finding fixed or acknowledged with a reason', (_, access) => {
    const nag = nagReport(access);
    expect(nag.violations).toEqual([]);
    expect([...new Set((nag.suppressedViolations ?? []).map((v) => v.ruleName))].sort()).toEqual([
      'AwsSolutions-ECS2',
      'AwsSolutions-ECS4',
      'AwsSolutions-ELB2',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-VPC7',
    ]);
  });
});
