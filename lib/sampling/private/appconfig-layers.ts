import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';

// The AWS AppConfig Agent Lambda extension layer, per region and architecture.
//
// Source of the ARNs: the table aws-cdk-lib (2.275.0, the version this library pins) keeps for
// `appconfig.Application.getLambdaLayerVersionArn(region, platform)`, which the CDK maintainers
// copy from the AppConfig user guide's page "Understanding available versions of the AWS AppConfig
// Agent Lambda extension". Reading it from the installed aws-cdk-lib (rather than a copy here) keeps
// the map and its source the same thing; a newer aws-cdk-lib brings newer layer versions.

/** The mapping's second-level keys (CloudFormation allows only letters and digits). */
type Arch = 'amd64' | 'arm64';

function platformOf(architecture: lambda.Architecture): appconfig.Platform {
  return architecture.name === lambda.Architecture.ARM_64.name
    ? appconfig.Platform.ARM_64
    : appconfig.Platform.X86_64;
}

/** The layer ARN for a region known at synth, or undefined when the table has none there. */
export function appConfigLayerArnIn(region: string, architecture: lambda.Architecture): string | undefined {
  return appconfig.Application.getLambdaLayerVersionArn(region, platformOf(architecture));
}

/** Every region the table lists, with its ARNs (for a stack whose region is a token). */
export function publishedAppConfigLayers(): Record<string, Partial<Record<Arch, string>>> {
  const out: Record<string, Partial<Record<Arch, string>>> = {};
  for (const { name } of RegionInfo.regions) {
    const x86 = appConfigLayerArnIn(name, lambda.Architecture.X86_64);
    const arm = appConfigLayerArnIn(name, lambda.Architecture.ARM_64);
    if (x86 === undefined && arm === undefined) continue;
    out[name] = { ...(x86 ? { amd64: x86 } : {}), ...(arm ? { arm64: arm } : {}) };
  }
  return out;
}

/**
 * The extension layer ARN for a function: a given `layerArn`; for a region known at synth, the
 * table's ARN (undefined when the table has none: the caller reports it); for a token region, a
 * `Fn::FindInMap` on `AWS::Region` in a mapping of the listed regions (one per stack), so a deploy
 * to a region without the layer fails at CloudFormation naming the mapping.
 */
export function appConfigLayerArn(
  scope: IConstruct,
  architecture: lambda.Architecture,
  layerArn?: string,
): string | undefined {
  if (layerArn) return layerArn;
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) return appConfigLayerArnIn(stack.region, architecture);
  const arch: Arch = platformOf(architecture) === appconfig.Platform.ARM_64 ? 'arm64' : 'amd64';
  const id = 'AppConfigAgentLambdaExtensionLayers';
  let mapping = stack.node.tryFindChild(id) as CfnMapping | undefined;
  if (!mapping) {
    // Regions without an arm64 layer get no arm64 key: FindInMap fails there, at deploy.
    mapping = new CfnMapping(stack, id, { mapping: publishedAppConfigLayers() });
  }
  return mapping.findInMap(Aws.REGION, arch);
}
