import { Annotations, Aspects, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { TraceEdge, TraceEdges } from '../trace-map/trace-edges';
import { OPTED_OUT, POLICY_ASPECT, TRACED_CONSTRUCT, WARNING_PREFIX } from './constants';
import { DEFAULT_FUNCTION_TIMEOUT } from './defaults';
import { TracingWarning } from './validate';

/**
 * Whether a `TracingPolicy` added to an enclosing scope will trace this function at synth: a
 * Node.js `lambda.Function` that was not opted out (the policy must be added before the wiring).
 */
export function coveredByPolicy(construct: IConstruct): boolean {
  if (!(construct instanceof lambda.Function)) return false;
  if ((construct as unknown as Record<symbol, unknown>)[OPTED_OUT] !== undefined) return false;
  if (construct.runtime.family !== lambda.RuntimeFamily.NODEJS) return false;
  return construct.node.scopes.some((s) =>
    Aspects.of(s).all.some((a) => (a as unknown as Record<symbol, unknown>)[POLICY_ASPECT] === true),
  );
}

/** Whether a construct is traced by this library (a `TracedFunction`). */
export function isTracedConstruct(construct: IConstruct): boolean {
  return (construct as unknown as Record<symbol, unknown>)[TRACED_CONSTRUCT] === true;
}

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

/**
 * Throws one error for a list of problems: `<header>: <problem>` for one, a bulleted list for
 * several. Does nothing for an empty list.
 */
export function throwIfAny(header: string, errors: readonly string[]): void {
  if (errors.length === 1) {
    throw new Error(`${header}: ${errors[0]}`);
  }
  if (errors.length > 1) {
    throw new Error(`${header}:\n  - ${errors.join('\n  - ')}`);
  }
}

/** A warning with the library's id prefix. */
export function warning(id: string, message: string): TracingWarning {
  return { id: `${WARNING_PREFIX}${id}`, message };
}

/** The timeout of a function, when it is known at synth. */
export function functionTimeout(fn: lambda.IFunction): Duration | undefined {
  if (!(fn instanceof lambda.Function)) {
    return undefined; // an imported function: its timeout is not known at synth
  }
  const timeout = fn.timeout ?? DEFAULT_FUNCTION_TIMEOUT;
  return timeout.isUnresolved() ? undefined : timeout;
}

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
 * reason; a traced one must not have it.
 */
export function consumerTracingErrors(
  what: string,
  consumer: IConstruct,
  untraced: UntracedOptOut | undefined,
): string[] {
  const traced = isTracedConstruct(consumer);
  if (!traced && untraced === undefined && coveredByPolicy(consumer)) {
    return []; // a TracingPolicy of an enclosing scope traces it at synth
  }
  if (traced && untraced !== undefined) {
    return [`${what} ${consumer.node.path} is a TracedFunction: remove untraced`];
  }
  if (!traced && untraced === undefined) {
    return [
      `${what} ${consumer.node.path} is not a TracedFunction, so its spans would not continue the trace of ` +
        'the messages it reads; make it a TracedFunction (or pass { untraced: { reason } } to accept the broken trace)',
    ];
  }
  if (!traced && (typeof untraced?.reason !== 'string' || untraced.reason.trim() === '')) {
    return [`untraced.reason must say why ${consumer.node.path} may break the trace (got an empty reason)`];
  }
  return [];
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
  readonly grant: (producer: lambda.Function) => iam.Grant;
}

/**
 * The one way a producer is wired to a queue or topic: the permissions, the target in an
 * environment variable (default `<CONSTANT_CASE id>_<suffix>`), and the edge producer → target.
 */
export function grantProducer(
  target: IConstruct,
  producer: lambda.Function,
  environmentVariable: string | undefined,
  how: ProducerGrant,
): iam.Grant {
  const name = environmentVariable ?? `${constantCase(target.node.id)}_${how.suffix}`;
  throwIfAny(how.label, producerVariableErrors(producer, name, target));
  const grant = how.grant(producer);
  producer.addEnvironment(name, how.value);
  rememberProducerVariable(producer, name, target);
  recordEdge(target, producerEdge(producer, target, how.kind));
  return grant;
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
