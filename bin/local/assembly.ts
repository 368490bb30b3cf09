import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { TRACE_MAP_FILE, type TraceMap, type TraceMapNode } from '../../lib';
import { ENV } from '../../lib/core/constants';
import { ACCOUNT, REGION } from './lambda-events';
import type { LambdaBundle } from './lambda-process';
import type { QueueSubscription } from './local-aws';

/** A function of the flow, ready to run locally. */
export interface LocalFunction {
  /** The construct path (`Dev/Payments/Authorize`). */
  readonly id: string;
  readonly label: string;
  readonly bundle: LambdaBundle;
}

/** A queue or a topic of the flow, with the name and ARN it has locally. */
export interface LocalResource {
  readonly id: string;
  readonly label: string;
  readonly name: string;
  readonly arn: string;
}

/**
 * One stage of an app as the local run needs it, read from the cloud assembly: the trace map
 * (`trace-map.json`, what the library wrote at synth) gives the hops, the templates give each
 * function's bundle and configuration.
 */
export interface LocalFlow {
  readonly stage: string;
  /** API routes and the function behind each (`api-to-lambda` edges). */
  readonly routes: { readonly route: string; readonly fn: LocalFunction }[];
  readonly topics: LocalResource[];
  readonly queues: LocalResource[];
  /** SNS → SQS subscriptions (`sns-to-sqs` edges: `raw-delivery` or `sns-envelope`). */
  readonly subscriptions: (QueueSubscription & {
    readonly topic: LocalResource;
    readonly queue: LocalResource;
  })[];
  /** SQS event sources (`sqs-to-lambda` edges), with the batch size of their event source mapping. */
  readonly consumers: {
    readonly queue: LocalResource;
    readonly fn: LocalFunction;
    readonly batchSize: number;
  }[];
  /** Outside services the functions call (`http` edges to declared services). */
  readonly outsideServices: { readonly name: string; readonly url?: string }[];
  /** Environment variables whose deploy-time value has no local equivalent (left out). */
  readonly unresolved: string[];
}

/** How the flow's resources are reached locally. */
export interface LocalEndpoints {
  /** The URL of a queue on the local endpoint. */
  readonly queueUrl: (name: string) => string;
  /** The local stand-in's URL for a declared outside service's URL, if there is one. */
  readonly outsideUrl?: (service: string, url: string) => string | undefined;
  /**
   * Where a function of an `AdaptiveSampling` flow reads its boost locally (an http:// URL on an
   * AppConfig stand-in), instead of the AppConfig extension's path the template names.
   */
  readonly adaptiveConfigUrl?: (functionLabel: string) => string | undefined;
}

/** The AppConfig Agent extension's prefetch list: the same deploy-time path; no extension runs locally. */
const APPCONFIG_PREFETCH_LIST = 'AWS_APPCONFIG_EXTENSION_PREFETCH_LIST';

type Json = Record<string, unknown>;

interface FunctionResource {
  readonly Properties: {
    readonly Code?: { readonly S3Key?: string };
    readonly Handler?: string;
    readonly Timeout?: number;
    readonly MemorySize?: number;
    readonly LoggingConfig?: { readonly LogFormat?: string };
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
  };
}

/** Reads the flow of `stage` (the first segment of the construct paths) from a cloud assembly. */
export function readFlow(assemblyDir: string, stage: string, endpoints: LocalEndpoints): LocalFlow {
  const mapFile = join(assemblyDir, TRACE_MAP_FILE);
  if (!existsSync(mapFile)) {
    throw new Error(
      `no ${TRACE_MAP_FILE} in ${assemblyDir}: synthesize an app that uses cdk-serverless-tracing`,
    );
  }
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as TraceMap;
  const nodes = new Map(map.nodes.map((n) => [n.id, n]));
  const inStage = (id: string): boolean => id.startsWith(`${stage}/`);
  if (!map.nodes.some((n) => inStage(n.id))) {
    const stages = [...new Set(map.nodes.filter((n) => n.stack).map((n) => n.id.split('/')[0]))];
    throw new Error(`no stage '${stage}' in the trace map (stages: ${stages.join(', ')})`);
  }
  const edges = map.edges.filter((e) => inStage(e.from) || inStage(e.to));
  const templates = new Templates(assemblyDir);

  const resource = (node: TraceMapNode): LocalResource => {
    const name = node.label.replace(/[^A-Za-z0-9_-]/g, '-');
    const service = node.type === 'topic' ? 'sns' : 'sqs';
    return { id: node.id, label: node.label, name, arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${name}` };
  };
  const topics = map.nodes.filter((n) => inStage(n.id) && n.type === 'topic').map(resource);
  const queues = map.nodes.filter((n) => inStage(n.id) && n.type === 'queue').map(resource);
  const byId = new Map([...topics, ...queues].map((r) => [r.id, r]));

  const outsideServices = edges
    .filter((e) => e.kind === 'http')
    .map((e) => nodes.get(e.to)!)
    .map((n) => ({ name: n.label, url: n.url }));

  // A deploy-time reference in a function's environment, by the stack and logical id it names.
  const byLogicalId = new Map(
    [...byId.values()].map((r) => {
      const node = nodes.get(r.id)!;
      return [`${node.stack?.path}/${node.logicalId}`, r];
    }),
  );
  const unresolved: string[] = [];
  const functions = new Map<string, LocalFunction>();
  const fn = (id: string): LocalFunction => {
    const node = nodes.get(id)!;
    const made = functions.get(id) ?? {
      id,
      label: node.label,
      bundle: templates.bundle(node, (name, value) => {
        const local =
          typeof value === 'string'
            ? standIn(value, outsideServices, endpoints)
            : reference(value, (logicalId) => byLogicalId.get(`${node.stack?.path}/${logicalId}`), endpoints);
        // A deploy-time value of the collector's configuration (a gateway's URL, say): the local
        // collector's exporter is pointed at a local endpoint instead, so no value is needed.
        if (local === undefined && name.startsWith(ENV.COLLECTOR_VALUE_PREFIX)) return 'resolved-at-deploy';
        // Adaptive sampling: the boost from the local AppConfig stand-in.
        if (name === ENV.ADAPTIVE_CONFIG) {
          const url = endpoints.adaptiveConfigUrl?.(node.label);
          if (url !== undefined) return url;
        }
        if (name === APPCONFIG_PREFETCH_LIST && endpoints.adaptiveConfigUrl) return 'resolved-at-deploy';
        if (local === undefined) unresolved.push(`${node.label}: ${name}`);
        return local;
      }),
    };
    functions.set(id, made);
    return made;
  };

  return {
    stage,
    routes: edges
      .filter((e) => e.kind === 'api-to-lambda')
      .map((e) => ({ route: e.route ?? '$default', fn: fn(e.to) })),
    topics,
    queues,
    subscriptions: edges
      .filter((e) => e.kind === 'sns-to-sqs' && byId.has(e.from) && byId.has(e.to))
      .map((e) => {
        const topic = byId.get(e.from)!;
        const queue = byId.get(e.to)!;
        return {
          topic,
          queue,
          topicArn: topic.arn,
          queueArn: queue.arn,
          rawMessageDelivery: e.via === 'raw-delivery',
        };
      }),
    consumers: edges
      .filter((e) => e.kind === 'sqs-to-lambda' && byId.has(e.from))
      .map((e) => ({
        queue: byId.get(e.from)!,
        fn: fn(e.to),
        batchSize: templates.batchSize(nodes.get(e.from)!, nodes.get(e.to)!),
      })),
    outsideServices,
    unresolved,
  };
}

/** A string value, with a declared outside service's URL replaced by its local stand-in's. */
function standIn(
  value: string,
  outside: readonly { name: string; url?: string }[],
  endpoints: LocalEndpoints,
): string {
  for (const { name, url } of outside) {
    const local = url && value.startsWith(url) ? endpoints.outsideUrl?.(name, url) : undefined;
    if (local) return local + value.slice(url!.length);
  }
  return value;
}

/**
 * The local value of a deploy-time reference to a queue or topic of the stack: `Ref` (a queue's
 * URL, a topic's ARN), `Fn::GetAtt` `Arn`, `QueueUrl`, `QueueName`, `TopicName`; anything else
 * has none.
 */
function reference(
  value: unknown,
  resource: (logicalId: string) => LocalResource | undefined,
  endpoints: LocalEndpoints,
): string | undefined {
  const json = (value ?? {}) as Json;
  const getAtt = json['Fn::GetAtt'];
  const [logicalId, attribute] = Array.isArray(getAtt) ? (getAtt as string[]) : [String(json.Ref), 'Ref'];
  const local = resource(logicalId);
  if (!local) return undefined;
  const topic = local.arn.startsWith('arn:aws:sns:');
  if (attribute === 'Arn' || (attribute === 'Ref' && topic)) return local.arn;
  if (attribute === 'QueueUrl' || attribute === 'Ref') return endpoints.queueUrl(local.name);
  if (attribute === 'QueueName' || attribute === 'TopicName') return local.name;
  return undefined;
}

/** The templates and asset manifests of a cloud assembly. */
class Templates {
  private readonly cache = new Map<string, Json>();

  constructor(private readonly assemblyDir: string) {}

  bundle(node: TraceMapNode, env: (name: string, value: unknown) => string | undefined): LambdaBundle {
    const { Properties: props } = this.resource(node) as unknown as FunctionResource;
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(props.Environment?.Variables ?? {})) {
      const local = env(name, value);
      if (local !== undefined) environment[name] = local;
    }
    return {
      functionName: `${node.stack?.stackName ?? 'local'}-${node.label}`,
      codeDir: this.assetDir(node, props.Code?.S3Key),
      handler: props.Handler ?? 'index.handler',
      environment,
      timeoutSeconds: props.Timeout ?? 3,
      memorySize: props.MemorySize ?? 128,
      logFormat: props.LoggingConfig?.LogFormat ?? 'Text',
    };
  }

  /** The batch size of the event source mapping from a queue to a function (Lambda's default 10). */
  batchSize(queue: TraceMapNode, fn: TraceMapNode): number {
    const resources = this.template(queue).Resources as Record<string, { Type: string; Properties: Json }>;
    const mapping = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        (r.Properties.FunctionName as Json | undefined)?.Ref === fn.logicalId &&
        ((r.Properties.EventSourceArn as Json | undefined)?.['Fn::GetAtt'] as string[] | undefined)?.[0] ===
          queue.logicalId,
    );
    return (mapping?.Properties.BatchSize as number | undefined) ?? 10;
  }

  private template(node: TraceMapNode): Json {
    const file = node.stack?.templateFile;
    if (!file) throw new Error(`${node.id} has no template in the assembly`);
    if (!this.cache.has(file)) {
      this.cache.set(file, JSON.parse(readFileSync(join(this.assemblyDir, file), 'utf8')) as Json);
    }
    return this.cache.get(file)!;
  }

  private resource(node: TraceMapNode): Json {
    const resource = (this.template(node).Resources as Record<string, Json>)[node.logicalId ?? ''];
    if (!resource)
      throw new Error(`${node.id}: no resource ${node.logicalId} in ${node.stack?.templateFile}`);
    return resource;
  }

  /** The asset directory of a function's code: the file asset whose object key is the template's S3 key. */
  private assetDir(node: TraceMapNode, s3Key: string | undefined): string {
    const templateFile = join(this.assemblyDir, node.stack!.templateFile);
    const dir = s3Key === undefined ? undefined : assetDirOf(templateFile, s3Key);
    if (!dir) {
      throw new Error(
        `${node.id}: the code asset ${s3Key} is not in the assets of ${templateFile} (an inline or image function?)`,
      );
    }
    return dir;
  }
}

/** The directory of the file asset of a template whose object key is `s3Key`, from the stack's asset manifest. */
function assetDirOf(templateFile: string, s3Key: string): string | undefined {
  const manifestFile = templateFile.replace(/\.template\.json$/, '.assets.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    files?: Record<
      string,
      { source: { path?: string }; destinations: Record<string, { objectKey: string }> }
    >;
  };
  for (const asset of Object.values(manifest.files ?? {})) {
    if (asset.source.path && Object.values(asset.destinations).some((d) => d.objectKey === s3Key)) {
      return join(dirname(manifestFile), asset.source.path);
    }
  }
  return undefined;
}

/** A function's collector as the cloud assembly deploys it. */
export interface DeployedCollector {
  /** The construct path of the function (its `aws:cdk:path` without `/Resource`). */
  readonly path: string;
  /** The collector configuration in the function's configuration layer. */
  readonly yaml: string;
  /** The function's environment variables in the template (values that are not strings stay as CloudFormation wrote them). */
  readonly environment: Record<string, unknown>;
}

/**
 * Every function of a cloud assembly (all stages) that runs the collector next to it
 * (`OPENTELEMETRY_COLLECTOR_CONFIG_URI` set), with the configuration its configuration layer holds.
 */
export function deployedCollectors(assemblyDir: string): DeployedCollector[] {
  const found: DeployedCollector[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name.startsWith('assembly-')) visit(join(dir, entry.name));
      if (!entry.isFile() || !entry.name.endsWith('.template.json')) continue;
      const templateFile = join(dir, entry.name);
      const resources = (JSON.parse(readFileSync(templateFile, 'utf8')) as Json).Resources as Record<
        string,
        { Type: string; Properties?: Json; Metadata?: Json }
      >;
      for (const resource of Object.values(resources)) {
        const props = (resource.Properties ?? {}) as FunctionResource['Properties'] & { Layers?: unknown[] };
        const environment = props.Environment?.Variables ?? {};
        if (resource.Type !== 'AWS::Lambda::Function' || !environment.OPENTELEMETRY_COLLECTOR_CONFIG_URI)
          continue;
        const configFile = (props.Layers ?? [])
          .map((layer) => resources[String((layer as Json).Ref)])
          .filter((layer) => layer?.Type === 'AWS::Lambda::LayerVersion')
          .map((layer) => {
            const key = ((layer.Properties?.Content ?? {}) as Json).S3Key;
            const assetDir = assetDirOf(templateFile, String(key));
            return assetDir && join(assetDir, 'cdk-serverless-tracing', 'collector.yaml');
          })
          .find((file) => file !== undefined && existsSync(file));
        if (!configFile)
          throw new Error(`${templateFile}: a function with a collector has no configuration layer`);
        found.push({
          path: String(resource.Metadata?.['aws:cdk:path']).replace(/\/Resource$/, ''),
          yaml: readFileSync(configFile, 'utf8'),
          environment,
        });
      }
    }
  };
  visit(assemblyDir);
  return found;
}

/** What a stage's `TracingGateway` keeps, read from its sampling tier's configuration. */
export interface DeployedGateway {
  /** The construct path of the sampling tier's task definition. */
  readonly path: string;
  /** The `probabilistic` policy's percentage. */
  readonly percentage: number;
  /** The `latency` policy's threshold, when there is one. */
  readonly latencyThresholdMs?: number;
}

/**
 * The gateway of a stage (`Prod`), if it has one: the sampling tier's task definition holds the
 * collector's configuration in the variable its command reads (`--config=env:…`); its
 * `tail_sampling` policies say what it keeps.
 */
export function deployedGateway(
  assemblyDir: string,
  stage: string,
  configEnv: string,
): DeployedGateway | undefined {
  const dir = join(assemblyDir, `assembly-${stage}`);
  if (!existsSync(dir)) return undefined;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
    const resources = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json).Resources as Record<
      string,
      { Type: string; Properties?: Json; Metadata?: Json }
    >;
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
      const containers = (resource.Properties?.ContainerDefinitions ?? []) as {
        Environment?: { Name: string; Value: unknown }[];
      }[];
      for (const container of containers) {
        const yaml = textOf(container.Environment?.find((e) => e.Name === configEnv)?.Value);
        if (yaml === undefined) continue;
        const config = YAML.parse(yaml) as {
          processors?: { tail_sampling?: { policies?: { type: string; [key: string]: unknown }[] } };
        };
        const policies = config.processors?.tail_sampling?.policies;
        if (!policies) continue;
        const probabilistic = policies.find((p) => p.type === 'probabilistic')?.probabilistic as
          { sampling_percentage?: number } | undefined;
        const latency = policies.find((p) => p.type === 'latency')?.latency as
          { threshold_ms?: number } | undefined;
        return {
          path: String(resource.Metadata?.['aws:cdk:path']).replace(/\/Resource$/, ''),
          percentage: probabilistic?.sampling_percentage ?? 0,
          ...(latency?.threshold_ms !== undefined ? { latencyThresholdMs: latency.threshold_ms } : {}),
        };
      }
    }
  }
  return undefined;
}

/**
 * A template value as text: a string, or an `Fn::Join` whose deploy-time parts (a log group's
 * name, the region) are left as a placeholder; undefined for anything else.
 */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!Array.isArray(join)) return undefined;
  return join[1].map((part) => (typeof part === 'string' ? part : 'resolved-at-deploy')).join(join[0]);
}
