import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { TracingCollector } from '../tracing-collector';
import { COLLECTOR_CONFIG_DIR, COLLECTOR_CONFIG_FILE, COLLECTOR_LAYER_ACCOUNT } from './constants';
import { pinnedDistribution, RenderedCollectorConfig } from './collector-config';

/** `major.minor.patch`, the shape of the upstream layer versions. */
export const COLLECTOR_VERSION_PATTERN = /^\d+\.\d+\.\d+$/;

/** The collector layer version this library is validated against. */
export function defaultCollectorVersion(): string {
  return pinnedDistribution().version;
}

/**
 * The ARN of the upstream collector layer for the function's region and architecture, e.g.
 * `arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-collector-arm64-0_22_0:1`.
 * The region may be a token (environment-agnostic stack).
 */
export function collectorLayerArn(
  scope: IConstruct,
  collector: TracingCollector,
  architecture: lambda.Architecture,
): string {
  if (collector.layerArn) {
    return collector.layerArn;
  }
  const version = (collector.version ?? defaultCollectorVersion()).replace(/\./g, '_');
  const arch = architecture.name === lambda.Architecture.ARM_64.name ? 'arm64' : 'amd64';
  const region = Stack.of(scope).region;
  return `arn:aws:lambda:${region}:${COLLECTOR_LAYER_ACCOUNT}:layer:opentelemetry-collector-${arch}-${version}:1`;
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
