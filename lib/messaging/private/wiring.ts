import { Annotations, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { throwIfAny, TracingWarning, warning } from '../../core/errors';
import { coveredByPolicy, isTracedConstruct, optedOutReason, policyCanTrace } from '../../core/markers';
import type { TraceEdge } from '../../trace-map/trace-edge';
import { TraceEdges } from '../../trace-map/trace-edges';

// How producers and consumers are wired to a traced queue or topic: the checks, the producer's
// environment variable and permissions, and the edges of the trace map.

/** `PaymentEvents` → `PAYMENT_EVENTS`, `audit-queue` → `AUDIT_QUEUE`. */
export function constantCase(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

/** A valid Lambda environment variable name. */
export const ENV_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The environment variable names this library set on each producer, and what they point to. */
const producerVariables = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Checks that a producer's variable name is valid and not already set by this library to
 * another queue or topic; returns the problems.
 */
export function producerVariableErrors(producer: IConstruct, name: string, target: IConstruct): string[] {
  if (Token.isUnresolved(name)) {
    return [];
  }
  if (!ENV_NAME.test(name)) {
    return [
      `environmentVariable '${name}' is not a valid environment variable name: use letters, digits and _ (starting with a letter)`,
    ];
  }
  const owner = producerVariables.get(producer)?.get(name);
  if (owner !== undefined && owner !== target.node.path) {
    return [
      `producer ${producer.node.path} already has ${name}, set for ${owner}; pass { environmentVariable: '<ANOTHER_NAME>' }`,
    ];
  }
  return [];
}

/** Remembers that this library set `name` on `producer` for `target`. */
export function rememberProducerVariable(producer: IConstruct, name: string, target: IConstruct): void {
  let names = producerVariables.get(producer);
  if (!names) {
    names = new Map();
    producerVariables.set(producer, names);
  }
  names.set(name, target.node.path);
}

/** The untraced opt-out of a consumer or subscriber. */
export interface UntracedOptOut {
  readonly reason: string;
}

/**
 * The problems with a consumer's traced state: an untraced consumer needs `untraced` with a
 * reason; a traced one must not have it. A consumer a `TracingPolicy` can trace (a Node.js
 * `lambda.Function`) is checked at synth instead, when every policy has run, whether the policy
 * was added before the wiring or after it (see `checkTracedAtSynth`).
 */
export function consumerTracingErrors(
  what: string,
  consumer: IConstruct,
  untraced: UntracedOptOut | undefined,
): string[] {
  const traced = isTracedConstruct(consumer);
  if (!traced && untraced === undefined && policyCanTrace(consumer)) {
    return [];
  }
  if (traced && untraced !== undefined) {
    return [`${what} ${consumer.node.path} is a TracedFunction: remove untraced`];
  }
  if (!traced && untraced === undefined) {
    return [untracedConsumerMessage(what, consumer)];
  }
  if (!traced && (typeof untraced?.reason !== 'string' || untraced.reason.trim() === '')) {
    return [`untraced.reason must say why ${consumer.node.path} may break the trace (got an empty reason)`];
  }
  return [];
}

/**
 * For a consumer a `TracingPolicy` could trace and no `untraced` opt-out: a synth-time check on
 * the queue or topic that it was traced (by the policy, whenever it was added).
 */
export function checkTracedAtSynth(
  source: IConstruct,
  label: string,
  what: string,
  consumer: IConstruct,
  untraced: UntracedOptOut | undefined,
): void {
  if (untraced !== undefined || isTracedConstruct(consumer) || !policyCanTrace(consumer)) return;
  source.node.addValidation({
    validate: () =>
      isTracedConstruct(consumer) ? [] : [`${label}: ${untracedConsumerMessage(what, consumer)}`],
  });
}

function untracedConsumerMessage(what: string, consumer: IConstruct): string {
  const optedOut = optedOutReason(consumer);
  const how = policyCanTrace(consumer)
    ? 'make it a TracedFunction, add a TracingPolicy to a scope above it (Aspects.of(app).add(new TracingPolicy()), ' +
      'before or after this wiring)'
    : optedOut !== undefined
      ? `it was opted out of the TracingPolicy (${optedOut}), so make it a TracedFunction`
      : consumer instanceof lambda.Function
        ? `a TracingPolicy traces only Node.js functions (its runtime is ${consumer.runtime.name}), so make it a TracedFunction`
        : 'make it a TracedFunction';
  return (
    `${what} ${consumer.node.path} is not a TracedFunction, so its spans would not continue the trace of ` +
    `the messages it reads; ${how} (or pass { untraced: { reason } } to accept the broken trace)`
  );
}

/** Records an edge of the trace map. */
export function recordEdge(scope: IConstruct, edge: TraceEdge): void {
  TraceEdges.of(scope).add(edge);
}

/** The edge from a producer to a queue or topic. */
export function producerEdge(
  producer: IConstruct,
  target: IConstruct,
  kind: 'sqs-send' | 'sns-publish',
): TraceEdge {
  return isTracedConstruct(producer) || coveredByPolicy(producer)
    ? {
        from: producer.node.path,
        to: target.node.path,
        kind,
        carriesContext: true,
        via: 'message-attributes',
      }
    : {
        from: producer.node.path,
        to: target.node.path,
        kind,
        carriesContext: false,
        reason: `${producer.node.path} is not a TracedFunction, so it sends no trace context`,
      };
}

/** The edge source → consumer: it carries the context unless the consumer was accepted untraced. */
export function consumerEdge(
  source: IConstruct,
  consumer: IConstruct,
  kind: 'sqs-to-lambda' | 'sns-to-lambda',
  untraced: { readonly reason: string } | undefined,
): TraceEdge {
  const base = { from: source.node.path, to: consumer.node.path, kind };
  return untraced
    ? { ...base, carriesContext: false, reason: untraced.reason }
    : { ...base, carriesContext: true, via: 'message-attributes' };
}

/** What `grantSend`/`grantPublish` need to know about their target. */
export interface ProducerGrant {
  /** `TracedQueue <path>` or `TracedTopic <path>`, for error messages. */
  readonly label: string;
  /** The default variable name's suffix: `QUEUE_URL` or `TOPIC_ARN`. */
  readonly suffix: string;
  /** The value the producer gets in that variable. */
  readonly value: string;
  /** The edge kind. */
  readonly kind: 'sqs-send' | 'sns-publish';
  /** Grants the IAM permissions. */
  readonly grant: (grantee: iam.IGrantable) => iam.Grant;
}

/**
 * The one way a producer is wired to a queue or topic. A `lambda.Function` gets the permissions,
 * the target in an environment variable (default `<CONSTANT_CASE id>_<suffix>`; `false` sets
 * none) and the edge producer → target; any other grantee (a role, an imported function) gets
 * only the permissions.
 */
export function grantProducer(
  target: IConstruct,
  producer: iam.IGrantable,
  environmentVariable: string | boolean | undefined,
  how: ProducerGrant,
): iam.Grant {
  if (!(producer instanceof lambda.Function)) {
    if (typeof environmentVariable === 'string') {
      throw new Error(
        `${how.label}: environmentVariable '${environmentVariable}' needs a lambda.Function producer ` +
          `(${grantableName(producer)} is not one, so only the permissions are granted); remove environmentVariable`,
      );
    }
    return how.grant(producer);
  }
  const name =
    typeof environmentVariable === 'string'
      ? environmentVariable
      : `${constantCase(target.node.id)}_${how.suffix}`;
  const setVariable = environmentVariable !== false;
  if (setVariable) {
    throwIfAny(how.label, producerVariableErrors(producer, name, target));
  }
  const grant = how.grant(producer);
  if (setVariable) {
    producer.addEnvironment(name, how.value);
    rememberProducerVariable(producer, name, target);
  }
  // Read at synth: a TracingPolicy added after this call traces the producer too.
  TraceEdges.of(target)._addDeferred(() => producerEdge(producer, target, how.kind));
  return grant;
}

/** The construct path of a grantee, or what it is when it is not a construct. */
function grantableName(grantee: iam.IGrantable): string {
  return Construct.isConstruct(grantee) ? grantee.node.path : `the grantee ${grantee.grantPrincipal}`;
}

/**
 * The end of wiring a consumer (queue → function, topic → function): the warnings, one more if
 * the consumer was accepted untraced, and the edge source → consumer.
 */
export function finishConsumerWiring(
  source: IConstruct,
  consumer: IConstruct,
  kind: 'sqs-to-lambda' | 'sns-to-lambda',
  untraced: { readonly reason: string } | undefined,
  warnings: TracingWarning[] = [],
): void {
  if (untraced) {
    const where = kind === 'sqs-to-lambda' ? 'queue' : 'topic';
    const role = kind === 'sqs-to-lambda' ? 'consumer' : 'subscriber';
    warnings.push(
      warning(
        kind === 'sqs-to-lambda' ? 'untracedConsumer' : 'untracedSubscriber',
        `${role} ${consumer.node.path} is not a TracedFunction: the trace breaks at this ${where} (${untraced.reason})`,
      ),
    );
  }
  for (const w of warnings) {
    Annotations.of(source).addWarningV2(w.id, w.message);
  }
  recordEdge(source, consumerEdge(source, consumer, kind, untraced));
}
