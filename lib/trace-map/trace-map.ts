import * as path from 'path';
import { CfnResource, Stack, Stage, Token } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { EDGES_ID } from '../core/constants';
import { isTracedConstruct, wrappedResource } from '../core/markers';
import { AppTree, TraceMapNodeType } from './app-tree';
import { discoverEdges, FUNCTION_END, functionEdge } from './discovered-edges';
import type { ExternalService, TraceEdge, TraceEdgeKind } from './trace-edge';

export type { TraceMapNodeType } from './app-tree';

/** The file of the trace map in the cloud assembly directory (`cdk.out`). */
export const TRACE_MAP_FILE = 'trace-map.json';

/** The Mermaid flowchart of the trace map in the cloud assembly directory (`cdk.out`). */
export const TRACE_MAP_MERMAID_FILE = 'trace-map.mmd';

/** The stack that holds the resource of a node. */
export interface TraceMapStack {
  /** The artifact id of the stack in the cloud assembly (`ProdPayments1A2B3C4D`). */
  readonly artifactId: string;

  /**
   * The CloudFormation stack name (`Prod-Payments`).
   *
   * @default - not known at synth (a nested stack)
   */
  readonly stackName?: string;

  /** The construct path of the stack, as the CDK CLI shows it (`Prod/Payments`). */
  readonly path: string;

  /**
   * The template, relative to the app's assembly directory (stacks of a stage are in the
   * stage's nested assembly: `assembly-Prod/ProdPayments1A2B3C4D.template.json`).
   */
  readonly templateFile: string;

  /**
   * The account of the stack.
   *
   * @default - environment-agnostic
   */
  readonly account?: string;

  /**
   * The region of the stack.
   *
   * @default - environment-agnostic
   */
  readonly region?: string;
}

/** A node of the trace map: a function, queue, topic, API, event bus or outside service. */
export interface TraceMapNode {
  /** The construct path (`Prod/Payments/Authorize`), or `external:<name>` for an outside service. */
  readonly id: string;

  /** What the node is. */
  readonly type: TraceMapNodeType;

  /** A short name: the path inside its stack (`Authorize`), or the outside service's name. */
  readonly label: string;

  /**
   * The stack of the node's CloudFormation resource.
   *
   * @default - no resource in the app (an outside service or an imported resource)
   */
  readonly stack?: TraceMapStack;

  /**
   * The logical id of the node's CloudFormation resource in its stack.
   *
   * @default - no resource in the app
   */
  readonly logicalId?: string;

  /**
   * The CloudFormation type of the node's resource (`AWS::Lambda::Function`).
   *
   * @default - no resource in the app
   */
  readonly resourceType?: string;

  /**
   * The physical name (function name, queue name, topic name, API name, event bus name) when
   * it is set and known at synth.
   *
   * @default - generated at deploy
   */
  readonly physicalName?: string;

  /**
   * A function's `OTEL_SERVICE_NAME`: the `service.name` its spans carry.
   *
   * @default - not a function, or the variable is not set or not known at synth
   */
  readonly serviceName?: string;

  /**
   * Whether a function is traced (a `TracedFunction`, or traced by a `TracingPolicy`).
   *
   * @default - not a function
   */
  readonly traced?: boolean;

  /**
   * `true` for a function where traces start: behind an API route, or with no incoming edge.
   *
   * @default - not an entry point
   */
  readonly entry?: boolean;

  /**
   * The URL of an outside service, without its query string.
   *
   * @default - no URL declared
   */
  readonly url?: string;
}

/**
 * The trace map of an app, as written to `trace-map.json`: its nodes and the edges between
 * them, each marked as carrying the trace context or not and why.
 */
export interface TraceMap {
  /** The version of this format. */
  readonly version: 1;

  /** The nodes, sorted by id. */
  readonly nodes: TraceMapNode[];

  /** The edges, sorted by `from`, `to`, `kind` and `route`. */
  readonly edges: TraceEdge[];
}

/**
 * The trace map of the app that `scope` belongs to: the edges recorded in `TraceEdges` (wiring
 * of this library, declared HTTP calls), and those found in the construct tree (API routes,
 * event source mappings, SNS subscriptions, IAM policies that let functions send to queues,
 * topics and event buses). Call it once the app is complete (the library writes it at synth,
 * after the aspects ran).
 *
 * An edge recorded as broken only because its function was not traced yet carries the context
 * in the map when the function is traced by then (a `TracingPolicy` traces functions at synth).
 */
export function buildTraceMap(scope: IConstruct): TraceMap {
  const tree = new AppTree(scope.node.root);
  const registry = registryOf(tree.root);

  const edges = new Map<string, TraceEdge>();
  const recorded = new Set<string>();
  for (const edge of registry?.edges ?? []) {
    const current = recheck(tree, edge);
    edges.set(JSON.stringify(sortedEdge(current)), current);
    recorded.add(edgeKey(current));
  }
  for (const edge of discoverEdges(tree)) {
    if (!recorded.has(edgeKey(edge))) {
      edges.set(JSON.stringify(sortedEdge(edge)), edge);
    }
  }
  const sortedEdges = [...edges.values()]
    .map((edge) => sortedEdge(withBatching(tree, edge)))
    .sort(compareEdges);

  const nodeIds = new Map<string, TraceMapNodeType | undefined>();
  for (const edge of sortedEdges) {
    const [fromType, toType] = END_TYPES[edge.kind] ?? [];
    if (!nodeIds.get(edge.from)) nodeIds.set(edge.from, fromType);
    if (!nodeIds.get(edge.to)) nodeIds.set(edge.to, toType);
  }
  for (const construct of tree.byPath.values()) {
    const id = construct.node.path;
    if (!nodeIds.has(id) && ownNode(construct)) {
      nodeIds.set(id, undefined);
    }
  }

  const services = new Map((registry?.externalServices ?? []).map((s) => [`external:${s.name}`, s]));
  const nodes = [...nodeIds.entries()]
    .map(([id, type]) => describeNode(tree, id, type, services.get(id), sortedEdges))
    .sort((a, b) => compare(a.id, b.id));
  return { version: 1, nodes, edges: sortedEdges };
}

/**
 * The trace map as a Mermaid flowchart (left to right): one subgraph per stack; functions as
 * rounded boxes, queues as cylinders, topics as flags, APIs as hexagons, event buses as
 * parallelograms, outside services as circles. An edge that carries the context is a solid
 * arrow labelled with its route or how the context travels; one that breaks the trace is
 * dotted and labelled `breaks: <reason>`. The same map always gives the same text.
 */
export function renderMermaid(map: TraceMap): string {
  const ids = new MermaidIds();
  const nodeIds = new Map(map.nodes.map((n) => [n.id, ids.take(n.id)]));
  const lines = ['flowchart LR'];

  const stacks = new Map<string, TraceMapNode[]>();
  const loose: TraceMapNode[] = [];
  for (const node of map.nodes) {
    if (node.stack) {
      stacks.set(node.stack.path, [...(stacks.get(node.stack.path) ?? []), node]);
    } else {
      loose.push(node);
    }
  }
  for (const stackPath of [...stacks.keys()].sort(compare)) {
    lines.push(`  subgraph ${ids.take(`stack ${stackPath}`)}["${escape(stackPath)}"]`);
    for (const node of stacks.get(stackPath)!) {
      lines.push(`    ${mermaidNode(nodeIds.get(node.id)!, node)}`);
    }
    lines.push('  end');
  }
  for (const node of loose) {
    lines.push(`  ${mermaidNode(nodeIds.get(node.id)!, node)}`);
  }
  for (const edge of map.edges) {
    const from = nodeIds.get(edge.from) ?? ids.take(edge.from);
    const to = nodeIds.get(edge.to) ?? ids.take(edge.to);
    const label = edge.carriesContext
      ? `${edge.route ?? edge.via ?? edge.kind}${edge.note ? '; links only when a batch mixes traces' : ''}`
      : `breaks: ${edge.reason ?? 'no trace context'}`;
    lines.push(`  ${from} ${edge.carriesContext ? '-->' : '-.->'}|"${escape(label)}"| ${to}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The types of the two ends of each kind of edge. */
const END_TYPES: Readonly<Record<TraceEdgeKind, readonly [TraceMapNodeType, TraceMapNodeType]>> = {
  'api-to-lambda': ['api', 'function'],
  http: ['function', 'external'],
  'sqs-send': ['function', 'queue'],
  'sns-publish': ['function', 'topic'],
  'eventbridge-put': ['function', 'event-bus'],
  'sns-to-sqs': ['topic', 'queue'],
  'sns-to-lambda': ['topic', 'function'],
  'sqs-to-lambda': ['queue', 'function'],
};

/** What the map reads of the app's `TraceEdges` registry. */
interface EdgeRegistry {
  readonly edges: readonly TraceEdge[];
  readonly externalServices: readonly ExternalService[];
}

/** The registry of the app, if any construct made one (never created here). */
function registryOf(root: IConstruct): EdgeRegistry | undefined {
  const child = root.node.tryFindChild(EDGES_ID) as Partial<EdgeRegistry> | undefined;
  return child?.edges && child.externalServices ? (child as EdgeRegistry) : undefined;
}

/** A recorded edge, carrying the context if it broke only because its function is untraced and it is traced now. */
function recheck(tree: AppTree, edge: TraceEdge): TraceEdge {
  const end = FUNCTION_END[edge.kind];
  if (edge.carriesContext || !end || !isTracedConstruct(tree.byPath.get(edge[end]))) {
    return edge;
  }
  return functionEdge(tree, { from: edge.from, to: edge.to, kind: edge.kind, route: edge.route });
}

/** The key under which a found edge is the same hop as a recorded one. */
function edgeKey(edge: TraceEdge): string {
  return [edge.from, edge.to, edge.kind, edge.route ?? ''].join('\n');
}

/** The edge with its fields in a fixed order and no undefined field. */
function sortedEdge(edge: TraceEdge): TraceEdge {
  return {
    from: edge.from,
    to: edge.to,
    kind: edge.kind,
    ...(edge.route !== undefined ? { route: edge.route } : {}),
    carriesContext: edge.carriesContext,
    ...(edge.via !== undefined ? { via: edge.via } : {}),
    ...(edge.reason !== undefined ? { reason: edge.reason } : {}),
    ...(edge.batchSize !== undefined ? { batchSize: edge.batchSize } : {}),
    ...(edge.note !== undefined ? { note: edge.note } : {}),
  };
}

/** Lambda's default batch size for an SQS event source. */
const SQS_DEFAULT_BATCH_SIZE = 10;

/**
 * An `sqs-to-lambda` edge with the batch size of its event source mapping and, above one message
 * per batch, the note that says what the runtime does with a batch that mixes traces.
 */
function withBatching(tree: AppTree, edge: TraceEdge): TraceEdge {
  if (edge.kind !== 'sqs-to-lambda' || !edge.carriesContext) return edge;
  const queue = tree.byPath.get(edge.from);
  const fn = tree.byPath.get(edge.to);
  const queueResource = queue && tree.resourceOf(queue);
  const fnResource = fn && tree.resourceOf(fn);
  if (!queueResource || !fnResource) return edge;
  const mapping = tree
    .resources<lambda.CfnEventSourceMapping>('AWS::Lambda::EventSourceMapping')
    .find(
      (m) =>
        tree.pointsAt(m, tree.json(m, m.eventSourceArn), tree.targets()).some((t) => t.path === edge.from) &&
        tree.pointsAt(m, tree.json(m, m.functionName), tree.targets()).some((t) => t.path === edge.to),
    );
  if (!mapping) return edge;
  const size = tree.resolve(mapping, mapping.batchSize);
  const batchSize = typeof size === 'number' ? size : SQS_DEFAULT_BATCH_SIZE;
  return batchSize > 1
    ? {
        ...edge,
        batchSize,
        note:
          `batches of up to ${batchSize} messages: the invocation continues the trace when a batch's messages ` +
          'share one, and is only linked to them when a batch mixes traces; processRecords continues each ' +
          "message's own trace",
      }
    : { ...edge, batchSize };
}

function compareEdges(a: TraceEdge, b: TraceEdge): number {
  return (
    compare(a.from, b.from) ||
    compare(a.to, b.to) ||
    compare(a.kind, b.kind) ||
    compare(a.route ?? '', b.route ?? '') ||
    Number(a.carriesContext) - Number(b.carriesContext) ||
    compare(a.reason ?? '', b.reason ?? '')
  );
}

/** Code-point order (never the locale's), so the files are the same on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Constructs that are nodes even without an edge: traced functions, traced queues and topics. */
function ownNode(construct: IConstruct): boolean {
  return isTracedConstruct(construct) || wrappedResource(construct) !== undefined;
}

function describeNode(
  tree: AppTree,
  id: string,
  typeFromEdges: TraceMapNodeType | undefined,
  service: ExternalService | undefined,
  edges: readonly TraceEdge[],
): TraceMapNode {
  const construct = tree.byPath.get(id);
  if (!construct) {
    const name = service?.name ?? id.replace(/^external:/, '');
    return {
      id,
      type: typeFromEdges ?? 'external',
      label: name,
      ...(service?.url !== undefined ? { url: service.url } : {}),
    };
  }
  const type = tree.typeOf(construct) ?? typeFromEdges ?? 'external';
  const resource = tree.resourceOf(construct);
  const stack = resource ? stackOf(tree.root, Stack.of(resource)) : undefined;
  const node: Record<string, unknown> = {
    id,
    type,
    label: stack && id.startsWith(`${stack.path}/`) ? id.slice(stack.path.length + 1) : id,
  };
  if (resource && stack) {
    node.stack = stack;
    node.logicalId = tree.resolve(resource, resource.logicalId);
    node.resourceType = resource.cfnResourceType;
  }
  const name = physicalName(tree, construct, resource);
  if (name !== undefined) {
    node.physicalName = name;
  }
  if (type === 'function') {
    const serviceName = resource ? serviceNameOf(tree, resource) : undefined;
    if (serviceName !== undefined) {
      node.serviceName = serviceName;
    }
    node.traced = isTracedConstruct(construct);
    const incoming = edges.filter((e) => e.to === id);
    if (incoming.length === 0 || incoming.some((e) => e.kind === 'api-to-lambda')) {
      node.entry = true;
    }
  }
  return node as unknown as TraceMapNode;
}

/** Where a stack's template is, relative to the app's assembly directory. */
function stackOf(root: IConstruct, stack: Stack): TraceMapStack {
  const stage = Stage.of(stack);
  const rootDir = Stage.isStage(root) ? root.outdir : undefined;
  const dir = stage && rootDir && stage !== root ? path.relative(rootDir, stage.outdir) : '';
  const literal = (value: string) => (Token.isUnresolved(value) ? undefined : value);
  const env = {
    account: literal(stack.account),
    region: literal(stack.region),
  };
  return {
    artifactId: stack.artifactId,
    ...(literal(stack.stackName) !== undefined ? { stackName: stack.stackName } : {}),
    path: stack.node.path,
    templateFile: [...dir.split(path.sep).filter((p) => p !== ''), stack.templateFile].join('/'),
    ...(env.account !== undefined ? { account: env.account } : {}),
    ...(env.region !== undefined ? { region: env.region } : {}),
  };
}

/** The name properties of the resources, and of imported resources, by node type. */
const NAME_PROPERTIES: Readonly<Record<string, readonly [string, string]>> = {
  function: ['functionName', 'functionName'],
  queue: ['queueName', 'queueName'],
  topic: ['topicName', 'topicName'],
  api: ['name', 'restApiName'],
  'event-bus': ['name', 'eventBusName'],
};

function physicalName(
  tree: AppTree,
  construct: IConstruct,
  resource: CfnResource | undefined,
): string | undefined {
  const type = tree.typeOf(construct);
  const names = type ? NAME_PROPERTIES[type] : undefined;
  if (!names) {
    return undefined;
  }
  const value = resource
    ? (resource as unknown as Record<string, unknown>)[names[0]]
    : (construct as unknown as Record<string, unknown>)[names[1]];
  return typeof value === 'string' && !Token.isUnresolved(value) ? value : undefined;
}

/** A function's `OTEL_SERVICE_NAME`, when it is a string known at synth. */
function serviceNameOf(tree: AppTree, fn: CfnResource): string | undefined {
  const environment = tree.resolve(fn, (fn as unknown as { environment?: unknown }).environment) as
    { variables?: Record<string, unknown>; Variables?: Record<string, unknown> } | undefined;
  const value = (environment?.variables ?? environment?.Variables)?.OTEL_SERVICE_NAME;
  return typeof value === 'string' ? value : undefined;
}

/** A node in Mermaid's syntax, its shape by type. */
function mermaidNode(id: string, node: TraceMapNode): string {
  const label = `"${escape(node.label)}"`;
  switch (node.type) {
    case 'function':
      return `${id}(${label})`;
    case 'queue':
      return `${id}[(${label})]`;
    case 'topic':
      return `${id}>${label}]`;
    case 'api':
      return `${id}{{${label}}}`;
    case 'event-bus':
      return `${id}[/${label}/]`;
    case 'external':
      return `${id}((${label}))`;
  }
}

/** Text inside Mermaid quotes. */
function escape(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/\r?\n/g, ' ');
}

/** Mermaid ids from paths: letters, digits and `_`, unique, never a keyword. */
class MermaidIds {
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();

  public take(key: string): string {
    const known = this.byKey.get(key);
    if (known) {
      return known;
    }
    let base =
      key
        .replace(/^stack /, '')
        .replace(/[^A-Za-z0-9_]+/g, '_')
        .replace(/^_+|_+$/g, '') || 'node';
    if (
      /^(end|graph|subgraph|flowchart|style|class|classDef|click|linkStyle|direction|default)$/i.test(base)
    ) {
      base = `n_${base}`;
    }
    let id = base;
    for (let i = 2; this.used.has(id); i++) {
      id = `${base}_${i}`;
    }
    this.used.add(id);
    this.byKey.set(key, id);
    return id;
  }
}
