import { Annotations, ArnFormat, Duration, Names, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpNlbIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cloudmap from 'aws-cdk-lib/aws-servicediscovery';
import { Construct, IConstruct } from 'constructs';
import {
  TransactionSearchResources,
  transactionSearchResources,
  TRANSACTION_SEARCH_ID,
} from '../collector/private/transaction-search-resources';
import { TracingExporter, TracingExporterKind } from '../collector/tracing-exporter';
import { TransactionSearch } from '../collector/transaction-search';
import { WARNING_PREFIX } from '../core/constants';
import { throwIfAny } from '../core/errors';
import { GatewayNoAuth, GatewaySigV4Auth, IGatewayEndpoint } from '../core/gateway-endpoint';
import { grantSecretRead } from '../core/secret-grants';
import { TracingSettings } from '../settings/tracing-settings';
import { GatewayAccess, GatewayAccessKind } from './gateway-access';
import {
  COLLECTOR_MEMORY_SHARE,
  GATEWAY_METRICS,
  GATEWAY_METRICS_NAMESPACE,
  GatewayTierName,
  GATEWAY_PORTS,
  HEALTH_CHECK_PATH,
  SAMPLING_SERVICE_NAME,
  TRACES_PATH,
} from './private/constants';
import {
  GatewayMetricsConfig,
  renderLoadBalancingConfig,
  renderSamplingConfig,
  TailSamplingSettings,
} from './private/gateway-config';
import { gatewayExport, gatewayExporterErrors } from './private/gateway-exporter';
import { GatewayTier } from './private/gateway-tier';
import { ResolvedTier, samplingErrors, tierErrors } from './private/validate-gateway';

/** The size and the task counts of one tier of a `TracingGateway`. */
export interface GatewayTierOptions {
  /**
   * The tasks the service starts with (and is set back to when this value changes in a deploy);
   * the autoscaling moves it between `minCount` and `maxCount`.
   *
   * @default - minCount
   */
  readonly desiredCount?: number;

  /**
   * The fewest tasks the autoscaling keeps.
   *
   * @default 2 - one task in each of two Availability Zones
   */
  readonly minCount?: number;

  /**
   * The most tasks the autoscaling starts.
   *
   * @default 10
   */
  readonly maxCount?: number;

  /**
   * The CPU units of a task (1024 is one vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
   *
   * @default - 512 for the load-balancing tier, 1024 for the sampling tier
   */
  readonly cpu?: number;

  /**
   * The memory of a task, in MiB; a Fargate size for `cpu` (for example 1024 to 4096 in steps of
   * 1024 for 512 CPU units). The collector's memory limiter may use 80% of it and refuses spans
   * above 64% (its soft limit), so the tasks stay clear of the out-of-memory kill.
   *
   * @default - 1024 for the load-balancing tier, 2048 for the sampling tier
   */
  readonly memoryLimitMiB?: number;
}

/** Props of a `TracingGateway`. */
export interface TracingGatewayProps {
  /**
   * The VPC of the gateway (its tasks and its internal load balancer, in `vpcSubnets`). With
   * `GatewayAccess.vpc()` the functions must be in it.
   *
   * @default - a new VPC with two Availability Zones, public subnets and private subnets with
   * egress through one NAT gateway (about 33 USD a month plus 0.045 USD per GB in us-east-1; the
   * tasks need it to pull the image from Docker Hub and to reach CloudWatch and the backend).
   * One NAT gateway, not one per zone, for cost: while its zone is down the gateway cannot export.
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of the tasks and of the internal load balancer.
   *
   * @default - the private subnets with egress of `vpc`
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Where the sampling tier sends the traces it keeps: `TracingExporter.xray(...)` (the task role
   * gets the span-writing permission, and the stack the Transaction Search resources it asks
   * for), `TracingExporter.otlp(...)` (secret header values are given to the task by ECS from
   * Secrets Manager), or `TracingExporter.debug()` (the tasks' log).
   *
   * @default - the exporter of the enclosing `TracingSettings`, unless it is a gateway; else
   * `TracingExporter.xray({ transactionSearch })` with the Transaction Search of the stack's
   * X-Ray functions, or `TransactionSearch.alreadyEnabled()` when there are none
   */
  readonly exporter?: TracingExporter;

  /**
   * The percentage (0 to 100) of the traces that no other policy keeps (no error, no always-keep
   * mark, not slower than `latencyThreshold`) which the gateway keeps, decided by trace id.
   *
   * @default - the `samplingRatio` of the enclosing `TracingSettings` as a percentage; else 10,
   * since a gateway that keeps every trace costs the backend what no gateway would
   */
  readonly samplingPercentage?: number;

  /**
   * Keep every trace that lasts longer than this.
   *
   * @default - no latency policy: a trace through queues lasts as long as its messages wait, so
   * no threshold fits every app
   */
  readonly latencyThreshold?: Duration;

  /**
   * How long the sampling tier holds a trace after its first span before it decides (whole
   * seconds, 1 second to 10 minutes). Spans that arrive later follow the decision already made,
   * from the decision cache (`lateSpanWindow`).
   *
   * @default Duration.seconds(30) - enough for a request and the consumers that SQS batching
   * windows of a few seconds delay, while every held trace costs memory for that long
   */
  readonly decisionWait?: Duration;

  /**
   * The new traces per second one sampling task is sized for: the traces it holds at once (twice
   * this times `decisionWait`) and its decision cache (this times `lateSpanWindow`).
   *
   * @default 100
   */
  readonly expectedNewTracesPerSecond?: number;

  /**
   * How long after its decision a trace's late spans (a consumer that SQS delivered minutes
   * later, a retry after a visibility timeout) still get that decision, from the sampling tier's
   * decision cache. 0 turns the cache off.
   *
   * @default Duration.minutes(10) - covers the longest SQS batching window (5 minutes) and a
   * retry after a visibility timeout of a few minutes
   */
  readonly lateSpanWindow?: Duration;

  /**
   * The load-balancing tier: it receives the functions' OTLP/HTTP and routes each trace, by trace
   * id, to one sampling task. It is stateless and scales quickly on CPU (60%; a minute after a
   * scale-out, 5 minutes before a scale-in).
   *
   * @default - 512 CPU units, 1024 MiB, 2 to 10 tasks
   */
  readonly loadBalancing?: GatewayTierOptions;

  /**
   * The sampling tier: it holds each trace until it decides. It scales conservatively, on CPU at
   * 75% and on memory at 60% (just below where its collectors start refusing spans), with a
   * 5-minute cooldown after a scale-out and 30 minutes before a scale-in:
   * each change of its membership sends some traces to a new task, which decides on the spans it
   * sees.
   *
   * @default - 1024 CPU units, 2048 MiB, 2 to 10 tasks
   */
  readonly sampling?: GatewayTierOptions;

  /**
   * How long the gateway's log groups (the collectors' logs, their metrics, the API's access
   * logs) keep their events.
   *
   * @default - the `logRetention` of the enclosing `TracingSettings`, else `logs.RetentionDays.ONE_MONTH`
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How functions reach the gateway.
   *
   * @default GatewayAccess.iam() - functions need no VPC
   */
  readonly access?: GatewayAccess;
}

/** The defaults of the load-balancing tier. */
/** The metric the log filter on the load-balancing tier's drops writes. */
const LOAD_BALANCER_DROPPED_BATCHES = 'LoadBalancerDroppedBatches';

const LOAD_BALANCING_DEFAULTS = { minCount: 2, maxCount: 10, cpu: 512, memoryLimitMiB: 1024 } as const;
/** The defaults of the sampling tier. */
const SAMPLING_DEFAULTS = { minCount: 2, maxCount: 10, cpu: 1024, memoryLimitMiB: 2048 } as const;

/**
 * The access log line of the gateway's HTTP API (GatewayAccess.iam()): a JSON object of HTTP API
 * access log variables, with the caller's identity (IAM authorization).
 */
const API_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  caller: '$context.identity.caller',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  error: '$context.error.message',
  integrationError: '$context.integrationErrorMessage',
} as const;

/**
 * A tail-sampling gateway: the OpenTelemetry Collector (contrib image, pinned) on ECS Fargate
 * (ARM64), in two tiers. The load-balancing tier receives the functions' spans on OTLP/HTTP and
 * routes every span of a trace, by trace id, to the same task of the sampling tier, which it finds
 * in Cloud Map (`sampling.<namespace>`, DNS A records). The sampling tier holds each trace for
 * `decisionWait`, then keeps it when a span failed, an always-keep rule or the after-deploy check
 * marked it, it is slower than `latencyThreshold`, or its trace id falls in `samplingPercentage`;
 * it sends the kept traces to the exporter, and remembers its decisions for the late spans.
 *
 * Functions reach it with `TracingExporter.gateway(gateway)`:
 * - `GatewayAccess.iam()` (the default): an API Gateway HTTP API with IAM authorization on
 *   `POST /v1/traces`, through a VPC link to the internal Network Load Balancer. The functions'
 *   collectors sign with SigV4 and need no VPC. Cost: about 1 USD per million export requests
 *   (us-east-1) on top of the load balancer.
 * - `GatewayAccess.vpc()`: the internal Network Load Balancer on port 4318, from functions in
 *   the gateway's VPC. Cost: the load balancer's hours (about 16 USD a month in us-east-1) and
 *   capacity units, no per-request price; the functions need a NAT gateway or VPC endpoints to
 *   reach AWS. Since Lambda's shared VPC network interfaces (Hyperplane), a VPC function rarely
 *   pays for one in a cold start.
 *
 * Neither adds to a function's latency: its collector sends after the response.
 *
 * Health: the contrib image has no shell, so no container health check can run in it. The
 * load-balancing tier is checked by its target group on the collector's `health_check` extension
 * (port 13133), which takes a task out of the load balancer and has ECS replace it. The sampling
 * tier, reached only through Cloud Map, relies on ECS: a collector that exits is replaced and
 * leaves Cloud Map; the `health_check` extension would report little more than that the process
 * is up, and a sidecar to probe it would add an image and a task's worth of cost to every task.
 * The collectors' own metrics (`metricsNamespace`) carry the rest: alarms on
 * traces dropped before their decision, failed sends between the tiers and to the backend, and
 * the tasks' CPU and memory.
 *
 * Cost, before traffic (us-east-1, Linux/ARM Fargate at 0.03238 USD per vCPU-hour and 0.00356 USD
 * per GB-hour): the default four tasks are about 87 USD a month; add the NAT gateway of a new VPC
 * and the load balancer. The image comes from Docker Hub, whose anonymous pull limits apply to the
 * NAT gateway's address.
 *
 * @example
 * const gateway = new TracingGateway(stack, 'Gateway', {
 *   exporter: TracingExporter.xray({ transactionSearch: TransactionSearch.enable() }),
 *   samplingPercentage: 5,
 * });
 * TracingSettings.set(app, { samplingMode: SamplingMode.TAIL, exporter: TracingExporter.gateway(gateway) });
 */
export class TracingGateway extends Construct implements IGatewayEndpoint, ec2.IConnectable {
  /** The VPC of the tasks and of the load balancer. */
  public readonly vpc: ec2.IVpc;
  /** How functions reach the gateway. */
  public readonly access: GatewayAccess;
  /** Where the sampling tier sends the traces it keeps. */
  public readonly exporter: TracingExporter;
  /** The OTLP/HTTP traces URL the functions' collectors send to. */
  public readonly tracesUrl: string;
  /** How the functions' collectors authenticate (SigV4 for `iam()`, none for `vpc()`). */
  public readonly auth: GatewaySigV4Auth | GatewayNoAuth;
  /** The load balancer's security group (port 4318): let a client in with `connections.allowDefaultPortFrom`. */
  public readonly connections: ec2.Connections;
  /** The ECS cluster of both tiers. */
  public readonly cluster: ecs.Cluster;
  /** The load-balancing tier's service. */
  public readonly loadBalancingService: ecs.FargateService;
  /** The sampling tier's service. */
  public readonly samplingService: ecs.FargateService;
  /** The Cloud Map namespace the sampling tier is registered in. */
  public readonly namespace: cloudmap.PrivateDnsNamespace;
  /** The DNS name the load-balancing tier resolves to find the sampling tasks. */
  public readonly samplingHostname: string;
  /** The internal Network Load Balancer in front of the load-balancing tier. */
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** Its OTLP/HTTP listener (port 4318). */
  public readonly listener: elbv2.NetworkListener;
  /** The HTTP API (`GatewayAccess.iam()` only). */
  public readonly httpApi?: apigwv2.HttpApi;
  /** The `POST /v1/traces` route of the HTTP API (`GatewayAccess.iam()` only). */
  public readonly route?: apigwv2.HttpRoute;
  /** The collectors' log group (both tiers, by stream prefix). */
  public readonly logGroup: logs.LogGroup;
  /** The log group the collectors write their own metrics to (CloudWatch embedded metric format). */
  public readonly metricsLogGroup: logs.LogGroup;
  /**
   * The prefix of the CloudWatch namespaces of the collectors' own metrics: each tier publishes in
   * `<this>/load-balancing` and `<this>/sampling` (one prefix per gateway).
   */
  public readonly metricsNamespace: string;
  /** The gateway's alarms (no action: add one with `addAlarmAction`). */
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: TracingGatewayProps = {}) {
    super(scope, id);
    const settings = TracingSettings.resolve(this);
    const stack = Stack.of(this);

    // Defaults, then the props.
    const exporter = props.exporter ?? defaultExporter(this, settings.exporter);
    const settingsRatio = settings.samplingRatio;
    const samplingPercentage =
      props.samplingPercentage ??
      (settingsRatio !== undefined && !Token.isUnresolved(settingsRatio)
        ? Math.round(settingsRatio * 100 * 1e6) / 1e6
        : 10);
    const decisionWait = props.decisionWait ?? Duration.seconds(30);
    const expectedNewTracesPerSecond = props.expectedNewTracesPerSecond ?? 100;
    const lateSpanWindow = props.lateSpanWindow ?? Duration.minutes(10);
    const loadBalancingTier = resolveTier(LOAD_BALANCING_DEFAULTS, props.loadBalancing);
    const samplingTier = resolveTier(SAMPLING_DEFAULTS, props.sampling);
    const logRetention = props.logRetention ?? settings.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.access = props.access ?? GatewayAccess.iam();
    this.exporter = exporter;

    throwIfAny(`TracingGateway ${this.node.path} has invalid props`, [
      ...gatewayExporterErrors(exporter),
      ...samplingErrors({
        samplingPercentage,
        latencyThreshold: props.latencyThreshold,
        decisionWait,
        expectedNewTracesPerSecond,
        lateSpanWindow,
        budget: TracingSettings.budget(this),
      }),
      ...tierErrors('loadBalancing', loadBalancingTier),
      ...tierErrors('sampling', samplingTier),
    ]);

    this.vpc = props.vpc ?? this.newVpc();
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logRetention });
    this.metricsLogGroup = new logs.LogGroup(this, 'MetricsLogs', { retention: logRetention });
    // One namespace per gateway and tier, so that two gateways of an account, or the two tiers'
    // metrics of the same name, do not add up in one alarm.
    this.metricsNamespace = `${GATEWAY_METRICS_NAMESPACE}/${Names.uniqueResourceName(this, { maxLength: 64 })}`;
    const metrics = (tier: GatewayTierName): GatewayMetricsConfig => ({
      namespace: `${this.metricsNamespace}/${tier}`,
      logGroupName: this.metricsLogGroup.logGroupName,
      region: stack.region,
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc });
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ECS4',
      reason:
        "the gateway alarms on its services' CPU and memory (AWS/ECS, no charge) and on the collectors' own " +
        'metrics; Container Insights would add per-task metrics at a charge',
    });

    // Security groups: clients -> load balancer (4318) -> load-balancing tier (4318, health 13133)
    // -> sampling tier (4317); out, only HTTPS (and the backend's port).
    const loadBalancerGroup = this.securityGroup(
      'LoadBalancerSecurityGroup',
      'The internal load balancer of the tracing gateway (OTLP/HTTP in)',
    );
    const loadBalancingGroup = this.securityGroup(
      'LoadBalancingSecurityGroup',
      'The load-balancing tier of the tracing gateway',
    );
    const samplingGroup = this.securityGroup(
      'SamplingSecurityGroup',
      'The sampling tier of the tracing gateway',
    );
    loadBalancingGroup.connections.allowFrom(
      loadBalancerGroup,
      ec2.Port.tcp(GATEWAY_PORTS.http),
      'OTLP/HTTP from the load balancer',
    );
    loadBalancingGroup.connections.allowFrom(
      loadBalancerGroup,
      ec2.Port.tcp(GATEWAY_PORTS.health),
      'Health checks of the load balancer (health_check extension)',
    );
    samplingGroup.connections.allowFrom(
      loadBalancingGroup,
      ec2.Port.tcp(GATEWAY_PORTS.grpc),
      'OTLP/gRPC from the load-balancing tier',
    );
    loadBalancingGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS: the image registry and CloudWatch Logs',
    );
    const exported = gatewayExport(exporter, stack.region);
    const egressPorts = new Set([443, ...(exported.ports ?? [])]);
    if (exported.ports === undefined) {
      Annotations.of(this).addWarningV2(
        `${WARNING_PREFIX}gatewayExporterPortUnknown`,
        'exporter endpoint is a deploy-time value: the sampling tier may send to port 443 only; give an ' +
          'endpoint known at synth, or add an egress rule to samplingService.connections for its port',
      );
    }
    for (const port of [...egressPorts].sort((a, b) => a - b)) {
      samplingGroup.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(port),
        port === 443
          ? 'HTTPS: the image registry, CloudWatch Logs and the backend'
          : `The backend (port ${port})`,
      );
    }
    this.connections = new ec2.Connections({
      securityGroups: [loadBalancerGroup],
      defaultPort: ec2.Port.tcp(GATEWAY_PORTS.http),
    });

    // The sampling tier, registered in Cloud Map.
    this.namespace = new cloudmap.PrivateDnsNamespace(this, 'Namespace', {
      name: `${Names.uniqueResourceName(this, { maxLength: 40, separator: '-', allowedSpecialCharacters: '-' }).toLowerCase()}.internal`,
      vpc: this.vpc,
      description: `The tracing gateway ${this.node.path}: its sampling tier`,
    });
    this.samplingHostname = `${SAMPLING_SERVICE_NAME}.${this.namespace.namespaceName}`;
    const sampling = new GatewayTier(this, 'Sampling', {
      cluster: this.cluster,
      vpcSubnets,
      securityGroup: samplingGroup,
      logGroup: this.logGroup,
      streamPrefix: 'sampling',
      tier: samplingTier,
      config: renderSamplingConfig({
        sampling: tailSampling(
          samplingPercentage,
          props.latencyThreshold,
          decisionWait,
          expectedNewTracesPerSecond,
          lateSpanWindow,
        ),
        exporter: exported.config,
        ports: GATEWAY_PORTS,
        memoryLimitMiB: collectorMemory(samplingTier),
        metrics: metrics('sampling'),
      }),
      secrets: exported.secrets,
      // Memory below the collector's soft limit (64% of the task's memory), where it would refuse spans.
      scaling: {
        cpuTarget: 75,
        memoryTarget: 60,
        scaleOutCooldown: Duration.minutes(5),
        scaleInCooldown: Duration.minutes(30),
      },
      // A short TTL: the load-balancing tier sees a new or stopped task within seconds.
      cloudMap: { namespace: this.namespace, name: SAMPLING_SERVICE_NAME, dnsTtl: Duration.seconds(10) },
    });
    this.samplingService = sampling.service;

    const loadBalancing = new GatewayTier(this, 'LoadBalancing', {
      cluster: this.cluster,
      vpcSubnets,
      securityGroup: loadBalancingGroup,
      logGroup: this.logGroup,
      streamPrefix: 'load-balancing',
      tier: loadBalancingTier,
      config: renderLoadBalancingConfig({
        resolver: { kind: 'dns', hostname: this.samplingHostname, port: GATEWAY_PORTS.grpc },
        ports: GATEWAY_PORTS,
        memoryLimitMiB: collectorMemory(loadBalancingTier),
        metrics: metrics('load-balancing'),
      }),
      scaling: { cpuTarget: 60, scaleOutCooldown: Duration.minutes(1), scaleInCooldown: Duration.minutes(5) },
      healthCheckGracePeriod: Duration.seconds(60),
    });
    this.loadBalancingService = loadBalancing.service;

    for (const tier of [sampling, loadBalancing]) {
      this.metricsLogGroup.grantWrite(tier.taskDefinition.taskRole);
      Validations.of(tier.taskDefinition).acknowledge({
        id: 'AwsSolutions::AwsSolutions-ECS2',
        reason:
          "the collector's configuration is passed in an environment variable (--config=env:...); it holds no " +
          "secret: secret header values come from Secrets Manager through the container definition's secrets",
      });
      // The configuration holds the collector's own `${env:NAME}` references, which CloudFormation
      // passes through as they are (only Fn::Sub reads `${...}`); the template check takes them
      // for a Sub parameter.
      Validations.of(tier.taskDefinition).acknowledge({
        id: 'CloudFormation-Validate::E1029',
        reason:
          "`${env:NAME}` in the collector's configuration is the collector's own reference to a variable of the task, read when it starts; CloudFormation passes it through",
      });
    }

    // The exporter's permissions.
    for (const secret of exported.secretResources) {
      grantSecretRead(secret, sampling.taskDefinition.obtainExecutionRole(), this);
    }
    if (exporter.kind === TracingExporterKind.XRAY && exporter.transactionSearch) {
      this.grantXrayExport(sampling.taskDefinition.taskRole);
      transactionSearchResources(this, exporter.transactionSearch, logRetention, 'TracingGateway');
    }

    // The internal load balancer in front of the load-balancing tier.
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      vpcSubnets,
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [loadBalancerGroup],
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ELB2',
      reason:
        'a Network Load Balancer writes access logs for TLS listeners only; this one has a TCP listener ' +
        "(the access logs of GatewayAccess.iam() are the HTTP API stage's)",
    });
    this.listener = this.loadBalancer.addListener('OtlpHttp', {
      port: GATEWAY_PORTS.http,
      protocol: elbv2.Protocol.TCP,
    });
    this.listener.addTargets('LoadBalancingTier', {
      port: GATEWAY_PORTS.http,
      protocol: elbv2.Protocol.TCP,
      targets: [
        this.loadBalancingService.loadBalancerTarget({
          containerName: loadBalancing.container.containerName,
          containerPort: GATEWAY_PORTS.http,
        }),
      ],
      healthCheck: {
        protocol: elbv2.Protocol.HTTP,
        port: String(GATEWAY_PORTS.health),
        path: HEALTH_CHECK_PATH,
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      // A stopping task finishes the exports it has accepted.
      deregistrationDelay: Duration.seconds(30),
    });

    // How functions reach it.
    if (this.access.kind === GatewayAccessKind.IAM) {
      const { api, route } = this.newHttpApi(vpcSubnets, logRetention);
      this.httpApi = api;
      this.route = route;
      this.tracesUrl = `${api.apiEndpoint}${TRACES_PATH}`;
      this.auth = { kind: 'sigv4', region: stack.region, service: 'execute-api' };
    } else {
      this.tracesUrl = `http://${this.loadBalancer.loadBalancerDnsName}:${GATEWAY_PORTS.http}${TRACES_PATH}`;
      this.auth = { kind: 'none' };
    }

    this.alarms = this.newAlarms(sampling.service, loadBalancing.service);
  }

  /**
   * Lets a function's collector send to the gateway: with `GatewayAccess.iam()`,
   * `execute-api:Invoke` on the `POST /v1/traces` route only; with `GatewayAccess.vpc()`, an
   * ingress rule on port 4318 from the grantee's security groups when it is connectable and in a
   * VPC (a function outside the VPC is reported where it is wired, not here).
   */
  public grantExport(grantee: iam.IGrantable): void {
    if (this.route && this.httpApi) {
      // The route of the one stage ($default), not `*/POST/v1/traces` as route.grantInvoke gives:
      // no wildcard in the function's policy.
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['execute-api:Invoke'],
        resourceArns: [
          Stack.of(this).formatArn({
            service: 'execute-api',
            resource: this.httpApi.apiId,
            resourceName: `$default/POST${TRACES_PATH}`,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      });
      return;
    }
    if ((grantee as { isBoundToVpc?: boolean }).isBoundToVpc === false || !isConnectable(grantee)) {
      return;
    }
    this.connections.allowDefaultPortFrom(
      grantee,
      `OTLP/HTTP from ${(grantee as unknown as IConstruct).node?.path ?? 'a client'}`,
    );
  }

  /** Adds an action to every alarm of the gateway. */
  public addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(...actions);
    }
  }

  /** Traces the sampling tier evicted before their decision (`expectedNewTracesPerSecond` too low for the load). */
  public metricTracesDroppedTooEarly(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.collectorMetric(GATEWAY_METRICS.tracesDroppedTooEarly, props);
  }

  /** Sends from the load-balancing tier to a sampling task that failed. */
  public metricLoadBalancerSendFailures(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.collectorMetric(GATEWAY_METRICS.loadBalancerSendFailures, props);
  }

  /**
   * Batches the load-balancing tier dropped after its retries to a sampling task (a task that
   * died or cannot be reached): counted from its log, since the `load_balancing` exporter gives
   * its per-task exporters no meter (`loadbalancingexporter` v0.161.0 `factory.go:69-71`), so no
   * collector metric counts them.
   */
  public metricLoadBalancerDroppedBatches(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    this.loadBalancerDropsFilter ??= new logs.MetricFilter(this, 'LoadBalancerDropsFilter', {
      logGroup: this.logGroup,
      metricNamespace: this.metricsNamespace,
      metricName: LOAD_BALANCER_DROPPED_BATCHES,
      filterPattern: logs.FilterPattern.allTerms('Exporting failed. Dropping data.', 'load_balancing'),
      metricValue: '1',
    });
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: LOAD_BALANCER_DROPPED_BATCHES,
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  private loadBalancerDropsFilter?: logs.MetricFilter;

  /** Spans the sampling tier could not send to the backend. */
  public metricExportFailedSpans(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.collectorMetric(GATEWAY_METRICS.exportFailedSpans, props);
  }

  private collectorMetric(
    metric: {
      readonly tier: GatewayTierName;
      readonly metricName: string;
      readonly dimensionsMap: Record<string, string>;
    },
    props: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: `${this.metricsNamespace}/${metric.tier}`,
      metricName: metric.metricName,
      dimensionsMap: metric.dimensionsMap,
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  private newVpc(): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
      // Every resource of the gateway has its own security group; the custom resource that
      // empties the default one would add a Lambda function to the gateway.
      restrictDefaultSecurityGroup: false,
    });
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions::AwsSolutions-VPC7',
      reason:
        'the VPC carries only telemetry between the gateway tiers; flow logs would be billed per GB of it. ' +
        'Pass your own VPC (vpc) to have them',
    });
    return vpc;
  }

  private securityGroup(id: string, description: string): ec2.SecurityGroup {
    return new ec2.SecurityGroup(this, id, { vpc: this.vpc, description, allowAllOutbound: false });
  }

  /**
   * The X-Ray OTLP endpoint authorizes `xray:PutTraceSegments`, which has no resource-level
   * permissions: a policy of its own, so that the wildcard is acknowledged on it alone (as for the
   * functions that export to X-Ray).
   */
  private grantXrayExport(role: iam.IRole): void {
    const policy = new iam.Policy(this, 'XRayExportPolicy', {
      statements: [new iam.PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] })],
    });
    policy.attachToRole(role);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments (what the X-Ray OTLP endpoint authorizes) has no resource-level permissions; ' +
        'this policy grants nothing else',
    });
  }

  private newHttpApi(
    vpcSubnets: ec2.SubnetSelection,
    logRetention: logs.RetentionDays,
  ): { api: apigwv2.HttpApi; route: apigwv2.HttpRoute } {
    const vpcLinkGroup = this.securityGroup(
      'VpcLinkSecurityGroup',
      'The API Gateway VPC link of the tracing gateway',
    );
    this.connections.allowDefaultPortFrom(vpcLinkGroup, 'OTLP/HTTP from the API Gateway VPC link');
    const vpcLink = new apigwv2.VpcLink(this, 'VpcLink', {
      vpc: this.vpc,
      subnets: vpcSubnets,
      securityGroups: [vpcLinkGroup],
    });
    const api = new apigwv2.HttpApi(this, 'Api', {
      description: `OTLP/HTTP traces into the tracing gateway ${this.node.path} (IAM authorization)`,
      createDefaultStage: false,
    });
    // The $default stage: no stage name in the path the load balancer receives. Access logs are
    // JSON lines (cdk-nag Serverless-APIGWStructuredLogging), one field per HTTP API variable.
    const stage = api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(this, 'ApiAccessLogs', { retention: logRetention }),
        ),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(API_ACCESS_LOG_FIELDS)),
      },
    });
    Validations.of(stage).acknowledge({
      id: 'Serverless::Serverless-APIGWDefaultThrottling',
      reason:
        "the API carries only the functions' span exports into the gateway, from IAM principals granted " +
        'execute-api:Invoke on its one route (grantExport); a stage throttle would drop spans at peak ' +
        "traffic, and the account's API Gateway throttle still applies",
    });
    const [route] = api.addRoutes({
      path: TRACES_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpNlbIntegration('LoadBalancer', this.listener, { vpcLink }),
      authorizer: new HttpIamAuthorizer(),
    });
    return { api, route };
  }

  private newAlarms(sampling: ecs.FargateService, loadBalancing: ecs.FargateService): cloudwatch.Alarm[] {
    const collectorAlarm = (id: string, metric: cloudwatch.IMetric, description: string) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        // The collectors write these metrics only while they count something.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${description} (tracing gateway ${this.node.path})`,
      });
    const usageAlarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        alarmDescription: `${description} (tracing gateway ${this.node.path})`,
      });
    const period = { period: Duration.minutes(5) };
    return [
      collectorAlarm(
        'TracesDroppedTooEarlyAlarm',
        this.metricTracesDroppedTooEarly(),
        'The sampling tier evicted traces before their decision: raise expectedNewTracesPerSecond or sampling.maxCount',
      ),
      collectorAlarm(
        'LoadBalancerSendFailuresAlarm',
        this.metricLoadBalancerSendFailures(),
        'The load-balancing tier failed to send spans to sampling tasks',
      ),
      collectorAlarm(
        'LoadBalancerDroppedBatchesAlarm',
        this.metricLoadBalancerDroppedBatches(),
        'The load-balancing tier dropped spans a sampling task did not take (after its retries)',
      ),
      collectorAlarm(
        'ExportFailuresAlarm',
        this.metricExportFailedSpans(),
        'The sampling tier failed to send spans to the backend',
      ),
      usageAlarm(
        'SamplingCpuAlarm',
        sampling.metricCpuUtilization(period),
        85,
        'The sampling tier runs above 85% CPU',
      ),
      usageAlarm(
        'SamplingMemoryAlarm',
        sampling.metricMemoryUtilization(period),
        70,
        'The sampling tier runs above 70% memory: its collectors refuse spans above 64%',
      ),
      usageAlarm(
        'LoadBalancingCpuAlarm',
        loadBalancing.metricCpuUtilization(period),
        85,
        'The load-balancing tier runs above 85% CPU',
      ),
      usageAlarm(
        'LoadBalancingMemoryAlarm',
        loadBalancing.metricMemoryUtilization(period),
        70,
        'The load-balancing tier runs above 70% memory: its collectors refuse spans above 64%',
      ),
    ];
  }
}

/** A tier's options with the defaults applied (an absent desired count is the minimum). */
function resolveTier(
  defaults: {
    readonly minCount: number;
    readonly maxCount: number;
    readonly cpu: number;
    readonly memoryLimitMiB: number;
  },
  options: GatewayTierOptions = {},
): ResolvedTier {
  return {
    desiredCount: options.desiredCount,
    minCount: options.minCount ?? defaults.minCount,
    maxCount: options.maxCount ?? defaults.maxCount,
    cpu: options.cpu ?? defaults.cpu,
    memoryLimitMiB: options.memoryLimitMiB ?? defaults.memoryLimitMiB,
  };
}

/** The collector's memory limit in a task of the tier (a token stays a token). */
function collectorMemory(tier: ResolvedTier): number {
  return Token.isUnresolved(tier.memoryLimitMiB)
    ? tier.memoryLimitMiB
    : Math.floor(tier.memoryLimitMiB * COLLECTOR_MEMORY_SHARE);
}

/**
 * The sampling tier's settings: it holds twice the traces it expects during `decisionWait`, and
 * remembers a decision for `lateSpanWindow` at the expected rate.
 */
function tailSampling(
  percentage: number,
  latencyThreshold: Duration | undefined,
  decisionWait: Duration,
  expectedNewTracesPerSec: number,
  lateSpanWindow: Duration,
): TailSamplingSettings {
  const waitSeconds = decisionWait.toSeconds();
  return {
    percentage,
    ...(latencyThreshold ? { latencyThresholdMs: latencyThreshold.toMilliseconds() } : {}),
    decisionWaitSeconds: waitSeconds,
    numTraces: Math.max(1000, Math.ceil(2 * expectedNewTracesPerSec * waitSeconds)),
    expectedNewTracesPerSec,
    decisionCacheSize: Math.ceil(expectedNewTracesPerSec * lateSpanWindow.toSeconds({ integral: false })),
  };
}

/**
 * The exporter of the enclosing settings unless it is a gateway (the functions' exporter, with
 * tail sampling); else X-Ray, with the Transaction Search of the stack's X-Ray functions if any.
 */
function defaultExporter(scope: IConstruct, fromSettings: TracingExporter | undefined): TracingExporter {
  if (fromSettings && fromSettings.kind !== TracingExporterKind.GATEWAY) {
    return fromSettings;
  }
  const existing = Stack.of(scope).node.tryFindChild(TRANSACTION_SEARCH_ID);
  return TracingExporter.xray({
    transactionSearch:
      existing instanceof TransactionSearchResources
        ? existing.transactionSearch
        : TransactionSearch.alreadyEnabled(),
  });
}

function isConnectable(x: unknown): x is ec2.IConnectable {
  return typeof x === 'object' && x !== null && 'connections' in x;
}
