import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cloudmap from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { GATEWAY_COLLECTOR_VERSION } from './gateway-config';
import { CONFIG_ENV, GATEWAY_IMAGE_REPOSITORY, GATEWAY_PORTS } from './constants';
import { ResolvedTier } from './validate-gateway';

/** How a tier scales with its load. */
export interface TierScaling {
  /** The average CPU utilization (percent) the tier is kept at. */
  readonly cpuTarget: number;
  /** The average memory utilization (percent) the tier is kept at; absent: not scaled on memory. */
  readonly memoryTarget?: number;
  /** How long after a scale-out another may start. */
  readonly scaleOutCooldown: Duration;
  /** How long after a scaling activity a scale-in may start. */
  readonly scaleInCooldown: Duration;
}

/** Props of a `GatewayTier`. */
export interface GatewayTierProps {
  readonly cluster: ecs.ICluster;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly logGroup: logs.ILogGroup;
  /** The prefix of its log streams (`load-balancing`, `sampling`). */
  readonly streamPrefix: string;
  readonly tier: ResolvedTier;
  /** The collector configuration (YAML), passed in `CONFIG_ENV`. */
  readonly config: string;
  /** The secrets ECS puts into the container's environment. */
  readonly secrets?: Record<string, ecs.Secret>;
  readonly scaling: TierScaling;
  /** Register the tasks in Cloud Map (A records). */
  readonly cloudMap?: {
    readonly namespace: cloudmap.INamespace;
    readonly name: string;
    readonly dnsTtl: Duration;
  };
  /** How long ECS ignores the load balancer's health checks of a new task. */
  readonly healthCheckGracePeriod?: Duration;
}

/**
 * One tier of a `TracingGateway`: a Fargate service (ARM64) of collector tasks that read their
 * configuration from an environment variable, with its autoscaling.
 */
export class GatewayTier extends Construct {
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly service: ecs.FargateService;
  public readonly scaling: ecs.ScalableTaskCount;

  constructor(scope: Construct, id: string, props: GatewayTierProps) {
    super(scope, id);
    const { tier } = props;
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: tier.cpu,
      memoryLimitMiB: tier.memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    // The contrib image is built FROM scratch (no shell, no curl): no container-level health
    // check can run in it. The load-balancing tier is checked by its target group on the
    // health_check extension's port; the sampling tier by ECS (a task whose collector exits is
    // replaced and leaves Cloud Map).
    this.container = this.taskDefinition.addContainer('Collector', {
      image: ecs.ContainerImage.fromRegistry(`${GATEWAY_IMAGE_REPOSITORY}:${GATEWAY_COLLECTOR_VERSION}`),
      command: [`--config=env:${CONFIG_ENV}`],
      environment: { [CONFIG_ENV]: props.config },
      secrets: props.secrets,
      essential: true,
      readonlyRootFilesystem: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: props.streamPrefix }),
      portMappings: [
        { name: 'otlp-grpc', containerPort: GATEWAY_PORTS.grpc, protocol: ecs.Protocol.TCP },
        { name: 'otlp-http', containerPort: GATEWAY_PORTS.http, protocol: ecs.Protocol.TCP },
        { name: 'health', containerPort: GATEWAY_PORTS.health, protocol: ecs.Protocol.TCP },
      ],
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: tier.desiredCount ?? tier.minCount,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      // A deployment starts the new tasks before it stops the old ones, and rolls back when
      // the new ones do not stay up.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: props.healthCheckGracePeriod,
      cloudMapOptions: props.cloudMap
        ? {
            cloudMapNamespace: props.cloudMap.namespace,
            name: props.cloudMap.name,
            dnsRecordType: cloudmap.DnsRecordType.A,
            dnsTtl: props.cloudMap.dnsTtl,
          }
        : undefined,
    });

    this.scaling = this.service.autoScaleTaskCount({
      minCapacity: tier.minCount,
      maxCapacity: tier.maxCount,
    });
    const { scaling } = props;
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: scaling.cpuTarget,
      scaleOutCooldown: scaling.scaleOutCooldown,
      scaleInCooldown: scaling.scaleInCooldown,
    });
    if (scaling.memoryTarget !== undefined) {
      this.scaling.scaleOnMemoryUtilization('Memory', {
        targetUtilizationPercent: scaling.memoryTarget,
        scaleOutCooldown: scaling.scaleOutCooldown,
        scaleInCooldown: scaling.scaleInCooldown,
      });
    }
  }
}
