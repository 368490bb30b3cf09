import { CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { wrappedResource } from '../core/markers';

/** The kinds of node of the trace map. */
export type TraceMapNodeType = 'function' | 'queue' | 'topic' | 'api' | 'event-bus' | 'external';

/** The CloudFormation types of the resources that are nodes of the map. */
export const NODE_RESOURCE_TYPES: Readonly<Record<string, TraceMapNodeType>> = {
  'AWS::Lambda::Function': 'function',
  'AWS::SQS::Queue': 'queue',
  'AWS::SNS::Topic': 'topic',
  'AWS::ApiGatewayV2::Api': 'api',
  'AWS::ApiGateway::RestApi': 'api',
  'AWS::Events::EventBus': 'event-bus',
};

/** The property that holds the ARN of an imported resource (`Queue.fromQueueArn`, …), by type. */
const IMPORTED_ARN_PROPERTY: ReadonlyArray<readonly [string, TraceMapNodeType]> = [
  ['functionArn', 'function'],
  ['queueArn', 'queue'],
  ['topicArn', 'topic'],
  ['eventBusArn', 'event-bus'],
];

/**
 * A resource that values in the tree can point at: a node of the map (its construct path and
 * type) and the tokens that reference it (its `Ref`, its ARN attribute, …).
 */
export interface Target {
  readonly path: string;
  readonly type: TraceMapNodeType;
  readonly tokens: readonly unknown[];
  /** An imported resource (no CloudFormation resource in the app). */
  readonly imported: boolean;
  /** The stack of the resource (of the imported construct). */
  readonly stack: Stack;
}

/**
 * The construct tree of an app as the trace map reads it: every construct by path, the
 * CloudFormation resources by type, and values resolved in the stack that holds them.
 */
export class AppTree {
  /** Every construct of the app (all stages), by path. */
  public readonly byPath = new Map<string, IConstruct>();

  private readonly byType = new Map<string, CfnResource[]>();
  private readonly resolved = new Map<Stack, Map<unknown, string | undefined>>();
  private targetList?: Target[];

  constructor(public readonly root: IConstruct) {
    for (const construct of root.node.findAll()) {
      this.byPath.set(construct.node.path, construct);
      if (CfnResource.isCfnResource(construct)) {
        const list = this.byType.get(construct.cfnResourceType) ?? [];
        list.push(construct);
        this.byType.set(construct.cfnResourceType, list);
      }
    }
  }

  /** The CloudFormation resources of a type (`AWS::Lambda::Function`), in tree order. */
  public resources<T extends CfnResource = CfnResource>(type: string): T[] {
    return (this.byType.get(type) ?? []) as T[];
  }

  /** A value resolved in the stack of `scope` (undefined if it cannot be resolved). */
  public resolve(scope: IConstruct, value: unknown): unknown {
    try {
      return Stack.of(scope).resolve(value);
    } catch {
      return undefined;
    }
  }

  /** A value resolved in the stack of `scope`, as JSON (cached per stack). */
  public json(scope: IConstruct, value: unknown): string | undefined {
    if (value === undefined || value === null) {
      return undefined;
    }
    let stack: Stack;
    try {
      stack = Stack.of(scope);
    } catch {
      return undefined;
    }
    let cache = this.resolved.get(stack);
    if (!cache) {
      cache = new Map();
      this.resolved.set(stack, cache);
    }
    if (!cache.has(value)) {
      let text: string | undefined;
      try {
        text = JSON.stringify(stack.resolve(value));
      } catch {
        text = undefined;
      }
      cache.set(value, text);
    }
    return cache.get(value);
  }

  /**
   * The nodes a value (resolved in the stack of `scope`) points at, among `candidates`: the
   * app's own resources, or, when it points at none of them, imported ones (of the same stack
   * first).
   */
  public pointsAt(scope: IConstruct, valueJson: string | undefined, candidates: readonly Target[]): Target[] {
    const consumer = stackOf(scope);
    for (const group of [
      candidates.filter((t) => !t.imported),
      candidates.filter((t) => t.imported && t.stack === consumer),
      candidates.filter((t) => t.imported && t.stack !== consumer),
    ]) {
      const found = group.filter((t) => this.refersTo(scope, valueJson, t.stack, t.tokens, t.imported));
      if (found.length > 0) {
        return found;
      }
    }
    return [];
  }

  /**
   * Whether a value (as JSON, resolved in the stack of `scope`) holds one of the tokens of a
   * resource of `owner`'s stack. A stack of another stage never does (CloudFormation cannot
   * reference it); another stack of the stage does only through a cross-stack form (an import,
   * a formatted ARN), because the same logical id in two stacks names two resources.
   */
  public refersTo(
    scope: IConstruct,
    valueJson: string | undefined,
    owner: IConstruct,
    tokens: readonly unknown[],
    imported = false,
  ): boolean {
    const consumer = stackOf(scope);
    const ownerStack = stackOf(owner);
    if (valueJson === undefined || !consumer || !ownerStack) {
      return false;
    }
    if (ownerStack !== consumer && Stage.of(ownerStack) !== Stage.of(consumer)) {
      return false;
    }
    return tokens.some((token) => {
      const json = this.json(consumer, token);
      if (ownerStack !== consumer && !imported && json === this.json(ownerStack, token)) {
        return false; // resolved as a reference inside the consumer's own stack: not this resource
      }
      // Quoted strings and objects only: an empty or bare value would match anything.
      return json !== undefined && json.length > 2 && valueJson.includes(json);
    });
  }

  /** Every function, queue, topic and event bus of the app, with the tokens that reference it. */
  public targets(): Target[] {
    this.targetList ??= this.findTargets();
    return this.targetList;
  }

  /** The construct that stands for a resource in the map, and the resource's type there. */
  public ownerOf(resource: CfnResource): IConstruct {
    let current: IConstruct = resource;
    for (;;) {
      const parent = current.node.scope;
      if (!parent || Stack.isStack(parent) || Stage.isStage(parent) || parent.node.defaultChild !== current) {
        break;
      }
      current = parent;
    }
    const wrapper = current.node.scope;
    if (wrapper && wrappedResource(wrapper) === current) {
      return wrapper; // a TracedQueue or TracedTopic
    }
    return current;
  }

  /**
   * The CloudFormation resource behind a node's construct (the construct itself, its default
   * child, or the queue or topic of a `TracedQueue`/`TracedTopic`), if it has one.
   */
  public resourceOf(construct: IConstruct): CfnResource | undefined {
    const wrapped = wrappedResource(construct); // the queue or topic of a TracedQueue or TracedTopic
    if (wrapped) {
      return this.resourceOf(wrapped);
    }
    let current: IConstruct | undefined = construct;
    for (let depth = 0; current && depth < 5; depth++) {
      if (CfnResource.isCfnResource(current)) {
        return current;
      }
      current = current.node.defaultChild;
    }
    return undefined;
  }

  /** The node type of a construct, if it is a function, queue, topic, API or event bus. */
  public typeOf(construct: IConstruct): TraceMapNodeType | undefined {
    const resource = this.resourceOf(construct);
    if (resource) {
      return NODE_RESOURCE_TYPES[resource.cfnResourceType];
    }
    return importedType(construct);
  }

  private findTargets(): Target[] {
    const targets: Target[] = [];
    const l2 = (resource: CfnResource): Record<string, unknown> | undefined => {
      const parent = resource.node.scope;
      return parent && parent.node.defaultChild === resource
        ? (parent as unknown as Record<string, unknown>)
        : undefined;
    };
    const own = (resource: CfnResource, type: TraceMapNodeType, tokens: unknown[]): Target => ({
      path: this.ownerOf(resource).node.path,
      type,
      tokens: tokens.filter((t) => t !== undefined),
      imported: false,
      stack: Stack.of(resource),
    });

    const versions = [...this.resources('AWS::Lambda::Version'), ...this.resources('AWS::Lambda::Alias')];
    for (const fn of this.resources<CfnResource & { attrArn: string }>('AWS::Lambda::Function')) {
      const tokens: unknown[] = [fn.ref, fn.attrArn, l2(fn)?.functionArn].filter((t) => t !== undefined);
      // Its versions and aliases too (API integrations and event sources may point at them).
      for (const version of versions) {
        const functionName = (version as unknown as { functionName?: string }).functionName;
        if (this.refersTo(version, this.json(version, functionName), fn, tokens)) {
          tokens.push(version.ref);
        }
      }
      targets.push(own(fn, 'function', tokens));
    }
    for (const queue of this.resources<CfnResource & { attrArn: string }>('AWS::SQS::Queue')) {
      targets.push(own(queue, 'queue', [queue.ref, queue.attrArn, l2(queue)?.queueArn, l2(queue)?.queueUrl]));
    }
    for (const topic of this.resources<CfnResource & { attrTopicArn: string }>('AWS::SNS::Topic')) {
      targets.push(own(topic, 'topic', [topic.ref, topic.attrTopicArn, l2(topic)?.topicArn]));
    }
    for (const bus of this.resources<CfnResource & { attrArn: string }>('AWS::Events::EventBus')) {
      targets.push(own(bus, 'event-bus', [bus.attrArn, l2(bus)?.eventBusArn]));
    }
    for (const construct of this.byPath.values()) {
      const type = importedType(construct);
      const stack = stackOf(construct);
      if (type && stack) {
        const property = IMPORTED_ARN_PROPERTY.find(([, t]) => t === type)![0];
        targets.push({
          path: construct.node.path,
          type,
          tokens: [(construct as unknown as Record<string, unknown>)[property]],
          imported: true,
          stack,
        });
      }
    }
    return targets;
  }
}

/** The stack of a construct, if it is in one. */
function stackOf(construct: IConstruct): Stack | undefined {
  try {
    return Stack.of(construct);
  } catch {
    return undefined;
  }
}

/**
 * The type of an imported resource (`Function.fromFunctionArn`, `EventBus.fromEventBusName`, …):
 * a construct without children (so neither a wrapper nor a resource the app creates) with the
 * ARN property of a function, queue, topic or event bus.
 */
function importedType(construct: IConstruct): TraceMapNodeType | undefined {
  if (CfnResource.isCfnResource(construct) || construct.node.children.length > 0) {
    return undefined;
  }
  const record = construct as unknown as Record<string, unknown>;
  for (const [property, type] of IMPORTED_ARN_PROPERTY) {
    try {
      if (typeof record[property] === 'string') {
        return type;
      }
    } catch {
      // A getter that throws: not a resource of ours to map.
    }
  }
  return undefined;
}
