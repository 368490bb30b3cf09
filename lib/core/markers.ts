import { Aspects } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

// Marks that constructs of one folder set and others read, so that the readers need not import
// the constructs (which would make the folders import each other). Each mark is a property under
// a global symbol on the construct itself.

/** Marks the functions this library traces (`TracedFunction`, and those a `TracingPolicy` traced). */
const TRACED_CONSTRUCT = Symbol.for('cdk-serverless-tracing.traced-construct');

/** Marks a function that `TracingPolicy.optOut` left untraced (the value is the reason). */
const OPTED_OUT = Symbol.for('cdk-serverless-tracing.opted-out');

/** Marks a `TracingPolicy` aspect, so constructs can tell a policy covers them. */
const POLICY_ASPECT = Symbol.for('cdk-serverless-tracing.tracing-policy');

/** Marks a scope covered by a rules report (`TracingRulesReport`). */
const POLICY_REPORTING = Symbol.for('cdk-serverless-tracing.policy-reporting');

/** Marks a `TracedQueue` or `TracedTopic` (the value is the queue or topic it wraps). */
const WRAPPED_RESOURCE = Symbol.for('cdk-serverless-tracing.wrapped-resource');

type Marked = IConstruct & Record<symbol, unknown>;

function mark(construct: object, symbol: symbol, value: unknown): void {
  (construct as Record<symbol, unknown>)[symbol] = value;
}

function markOf(construct: IConstruct | undefined, symbol: symbol): unknown {
  return (construct as Marked | undefined)?.[symbol];
}

/** Record that this library traces a function. */
export function markTraced(construct: IConstruct): void {
  mark(construct, TRACED_CONSTRUCT, true);
}

/** Whether a construct is traced by this library (a `TracedFunction`, or a function a `TracingPolicy` traced). */
export function isTracedConstruct(construct: IConstruct | undefined): boolean {
  return markOf(construct, TRACED_CONSTRUCT) === true;
}

/** Record that `TracingPolicy.optOut` leaves a function untraced, and why. */
export function markOptedOut(fn: IConstruct, reason: string): void {
  mark(fn, OPTED_OUT, reason);
}

/** The reason a function was opted out of a `TracingPolicy`, if it was. */
export function optedOutReason(construct: IConstruct | undefined): string | undefined {
  const reason = markOf(construct, OPTED_OUT);
  return reason === undefined ? undefined : (reason as string);
}

/** Record that an aspect is a `TracingPolicy`. */
export function markPolicyAspect(aspect: object): void {
  mark(aspect, POLICY_ASPECT, true);
}

/**
 * Whether a `TracingPolicy` can trace this function: a Node.js `lambda.Function` that was not
 * opted out. Whether one will is known only at synth (policies are often added after the wiring).
 */
export function policyCanTrace(construct: IConstruct): construct is lambda.Function {
  return (
    construct instanceof lambda.Function &&
    optedOutReason(construct) === undefined &&
    construct.runtime.family === lambda.RuntimeFamily.NODEJS
  );
}

/**
 * Whether a `TracingPolicy` added, so far, to an enclosing scope will trace this function at
 * synth (see `policyCanTrace`).
 */
export function coveredByPolicy(construct: IConstruct): boolean {
  return (
    policyCanTrace(construct) &&
    construct.node.scopes.some((s) =>
      Aspects.of(s).all.some((a) => (a as unknown as Record<symbol, unknown>)[POLICY_ASPECT] === true),
    )
  );
}

/**
 * Record that a rules report (`TracingRulesReport`, with the `CST-LogRetention` rule) covers a
 * scope — the app root when it is added to the app — so that the log-retention check of
 * `TracingSettings` and `TracedFunction` skips the constructs under it instead of warning twice
 * about one log group. `TracingRulesReport` calls it on the first construct it visits: the scope
 * it was added to.
 */
export function markPolicyReporting(scope: IConstruct): void {
  mark(scope, POLICY_REPORTING, true);
}

/** Whether a rules report covers a construct (it, or one of its scopes, was marked). */
export function isPolicyReported(node: IConstruct): boolean {
  return node.node.scopes.some((s) => markOf(s, POLICY_REPORTING) === true);
}

/** Record that a construct (`TracedQueue`, `TracedTopic`) stands for the queue or topic it wraps. */
export function markWrapper(wrapper: IConstruct, resource: IConstruct): void {
  mark(wrapper, WRAPPED_RESOURCE, resource);
}

/** The queue or topic a `TracedQueue` or `TracedTopic` wraps; undefined for any other construct. */
export function wrappedResource(construct: IConstruct | undefined): IConstruct | undefined {
  return markOf(construct, WRAPPED_RESOURCE) as IConstruct | undefined;
}
