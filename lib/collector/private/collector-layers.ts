import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { TracingCollector } from '../tracing-collector';
import { COLLECTOR_CONFIG_DIR, COLLECTOR_CONFIG_FILE, COLLECTOR_LAYER_ACCOUNT } from './constants';
import { CollectorDistribution, pinnedDistribution, RenderedCollectorConfig } from './collector-config';

/** `major.minor.patch`, the shape of the upstream layer versions. */
export const COLLECTOR_VERSION_PATTERN = /^\d+\.\d+\.\d+$/;

/**
 * The ARN of the upstream collector layer for the function's region and architecture, e.g.
 * `arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-collector-arm64-0_23_0:1`.
 *
 * For the pinned version in an environment-agnostic stack (the region is a token), the ARN comes
 * from a mapping of the regions the layer is published to, read with `Fn::FindInMap` on
 * `AWS::Region` — as CDK does for its own region facts: a deploy to a region the layer is not
 * published in fails at CloudFormation with the mapping's name rather than at the function. A
 * known region outside the list is a synth error (`collectorRegionErrors`). Another version, or
 * a given `layerArn`, is used as is.
 */
export function collectorLayerArn(
  scope: IConstruct,
  collector: TracingCollector,
  architecture: lambda.Architecture,
): string {
  if (collector.layerArn) {
    return collector.layerArn;
  }
  const distribution = pinnedDistribution();
  const version = collector.version ?? distribution.version;
  const arch = architecture.name === lambda.Architecture.ARM_64.name ? 'arm64' : 'amd64';
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.region) && version === distribution.version) {
    return publishedLayers(stack, distribution).findInMap(Aws.REGION, arch);
  }
  return layerArn(stack.region, arch, version);
}

function layerArn(region: string, arch: string, version: string): string {
  return `arn:aws:lambda:${region}:${COLLECTOR_LAYER_ACCOUNT}:layer:opentelemetry-collector-${arch}-${version.replace(/\./g, '_')}:1`;
}

/** The mapping region → architecture → layer ARN of the pinned version, one per stack. */
function publishedLayers(stack: Stack, distribution: CollectorDistribution): CfnMapping {
  const id = `OpenTelemetryCollectorLayer${distribution.version.replace(/\./g, '')}`;
  const existing = stack.node.tryFindChild(id);
  if (existing instanceof CfnMapping) {
    return existing;
  }
  const mapping: Record<string, Record<string, string>> = {};
  for (const region of distribution.regions) {
    mapping[region] = {
      amd64: layerArn(region, 'amd64', distribution.version),
      arm64: layerArn(region, 'arm64', distribution.version),
    };
  }
  return new CfnMapping(stack, id, { mapping });
}

/**
 * Why the pinned collector layer cannot be used in a region known at synth: it is not published
 * there. Nothing for a token region, another version or a given `layerArn`.
 */
export function collectorRegionErrors(collector: TracingCollector, region: string | undefined): string[] {
  const distribution = pinnedDistribution();
  if (
    collector.layerArn !== undefined ||
    (collector.version ?? distribution.version) !== distribution.version ||
    region === undefined ||
    Token.isUnresolved(region) ||
    distribution.regions.includes(region)
  ) {
    return [];
  }
  return [
    `collector: the OpenTelemetry Collector layer ${distribution.version} is not published in ${region} ` +
      `(it is in ${distribution.regions.join(', ')}); deploy to one of those regions, or publish the layer in ` +
      `${region} yourself and give its ARN: TracingCollector.lambdaLayer({ layerArn })`,
  ];
}

/**
 * The layer holding a rendered collector configuration at
 * `/opt/cdk-serverless-tracing/collector.yaml`: one per stack per distinct configuration
 * (found by a hash of the YAML), so functions with the same settings share it.
 */
export function collectorConfigLayer(
  scope: IConstruct,
  rendered: RenderedCollectorConfig,
): lambda.ILayerVersion {
  const stack = Stack.of(scope);
  const hash = crypto.createHash('sha256').update(rendered.yaml).digest('hex');
  const id = `TracingCollectorConfig${hash.slice(0, 12)}`;
  const existing = stack.node.tryFindChild(id);
  if (existing) {
    return existing as lambda.LayerVersion;
  }
  // One directory per distinct configuration (named by its hash), reused across synths.
  const dir = path.join(os.tmpdir(), 'cdk-serverless-tracing-collector', hash);
  fs.mkdirSync(path.join(dir, COLLECTOR_CONFIG_DIR), { recursive: true });
  fs.writeFileSync(path.join(dir, COLLECTOR_CONFIG_DIR, COLLECTOR_CONFIG_FILE), rendered.yaml);
  return new lambda.LayerVersion(stack, id, {
    code: lambda.Code.fromAsset(dir),
    description: 'OpenTelemetry Collector configuration rendered by cdk-serverless-tracing',
    compatibleArchitectures: [lambda.Architecture.X86_64, lambda.Architecture.ARM_64],
  });
}
