import { IResolvable, IResolveContext, Reference, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { IConstruct } from 'constructs';

/**
 * How aws-cdk-lib marks its `Box`es: the containers an L2 keeps until synthesis and passes to its
 * L1 as a property (a function's environment, a rule's targets), and the cached `Lazy` values.
 */
const BOX = Symbol.for('@aws-cdk/core.Box');

/**
 * A property value as it is now. A `Box` is opened: the mutable ones recompute their value at
 * every read and cache nothing, and a cached `Lazy` (also a box) must be stable by contract (a
 * producer whose value can change uses `Lazy.uncached…`), so reading it early changes nothing.
 * Any other token is returned as it is, never resolved; so is a box that cannot be read yet.
 */
export function currentValue(value: unknown, scope: IConstruct): unknown {
  if (typeof value !== 'object' || value === null || !(BOX in value)) {
    return value;
  }
  const context: IResolveContext = {
    scope,
    preparing: true,
    documentPath: [],
    resolve: (x: unknown) => x,
    registerPostProcessor: () => undefined,
  };
  try {
    return (value as unknown as IResolvable).resolve(context);
  } catch {
    return value;
  }
}

/** A literal string (not a token), or `undefined`. */
export function literalString(value: unknown): string | undefined {
  return typeof value === 'string' && !Token.isUnresolved(value) ? value : undefined;
}

/** A literal number (not a token), or `undefined`. */
export function literalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && !Token.isUnresolved(value) ? value : undefined;
}

/** A plain object (a property bag), not a token. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Token.isUnresolved(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/**
 * The construct a token refers to: `queue.queueArn` → the queue's `CfnQueue`, `fn.functionName`
 * → the function's `CfnFunction` (also across stacks). `undefined` for a literal, a
 * concatenation, or a token that is not a reference.
 */
export function referencedConstruct(value: unknown): IConstruct | undefined {
  if (value === undefined || value === null || !Token.isUnresolved(value)) {
    return undefined;
  }
  try {
    const token = Tokenization.reverse(value, { failConcat: false });
    return token instanceof Reference ? token.target : undefined;
  } catch {
    return undefined;
  }
}

/** The construct a resource stands for: the L2 whose default child it is, or the resource itself. */
export function ownerOf(resource: IConstruct): IConstruct {
  const parent = resource.node.scope;
  return parent && parent.node.defaultChild === resource ? parent : resource;
}

/** A Lambda function as the rules see it: the construct to report on, and its `CfnFunction`. */
export interface FunctionTarget {
  /** The `lambda.Function` (or the `CfnFunction` that no `lambda.Function` owns). */
  readonly construct: IConstruct;
  /** Its resource. */
  readonly resource: lambda.CfnFunction;
}

/**
 * The function a node stands for: a `lambda.Function`, or a `CfnFunction` that no
 * `lambda.Function` owns. The `CfnFunction` of a `lambda.Function` gives `undefined`, so that each
 * function is evaluated once, on its L2.
 */
export function functionTarget(node: IConstruct): FunctionTarget | undefined {
  if (node instanceof lambda.Function) {
    const resource = node.node.defaultChild;
    return resource instanceof lambda.CfnFunction ? { construct: node, resource } : undefined;
  }
  if (node instanceof lambda.CfnFunction && !(ownerOf(node) instanceof lambda.Function)) {
    return { construct: node, resource: node };
  }
  return undefined;
}

/** The function of a `CfnFunction` (its `lambda.Function` when it has one). */
export function functionOfResource(resource: lambda.CfnFunction): FunctionTarget {
  const owner = ownerOf(resource);
  return { construct: owner instanceof lambda.Function ? owner : resource, resource };
}

/**
 * The environment variables of a function, as they are now: values are literal strings or
 * tokens. `undefined` when the environment is not known at synth (a token).
 */
export function environmentVariables(resource: lambda.CfnFunction): Record<string, unknown> | undefined {
  const environment = currentValue(resource.environment, resource);
  if (environment === undefined) {
    return {};
  }
  if (!isPlainObject(environment)) {
    return undefined;
  }
  const variables = currentValue(environment.variables, resource);
  if (variables === undefined) {
    return {};
  }
  return isPlainObject(variables) ? variables : undefined;
}

/** Every construct of a type in the app of `scope`. */
export function allOfType<T extends IConstruct>(
  scope: IConstruct,
  type: abstract new (...args: never[]) => T,
): T[] {
  return scope.node.root.node.findAll().filter((c): c is T => c instanceof type);
}

/**
 * CDK's own custom-resource functions: the singleton functions (`AwsCustomResource`,
 * `BucketDeployment`, … — a stack-level function whose id ends in a 32-digit hex uuid) and the
 * functions of a `custom_resources.Provider`. They are CDK's plumbing, never a hop of a trace.
 */
export function isCdkCustomResourceFunction(fn: IConstruct): boolean {
  const scope = fn.node.scope;
  if (/[0-9a-f]{32}$/i.test(fn.node.id) && scope !== undefined && Stack.isStack(scope)) {
    return true;
  }
  return fn.node.scopes.some((s) => s instanceof cr.Provider);
}
