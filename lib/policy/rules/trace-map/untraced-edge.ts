import { IConstruct } from 'constructs';
import { TraceEdge, TraceEdgeKind } from '../../../trace-map/trace-edge';
import {
  COMPLIANT,
  NOT_APPLICABLE,
  nonCompliant,
  RuleContext,
  RuleLevel,
  RuleResult,
  TracingRule,
} from '../../rule';
import {
  queueConsumptions,
  queueLabel,
  recordedEdges,
  tracedInflow,
  wiredConsumerEdge,
} from '../../private/trace-map';
import { functionTarget } from '../../../core/resource-values';

/** The id of the rule {@link untracedEdge}. */
export const UNTRACED_EDGE = 'CST-UntracedEdge';

/**
 * The edges a function starts (a send, a publish, a put, an outgoing HTTP call): evaluated at
 * their sender. Every other kind (a delivery, an invocation) is evaluated at its receiver.
 */
const SENDS: ReadonlySet<TraceEdgeKind> = new Set<TraceEdgeKind>([
  'sqs-send',
  'sns-publish',
  'eventbridge-put',
  'http',
]);

/**
 * `CST-UntracedEdge`: the trace breaks at this construct. Evaluated on the producer or consumer
 * end of a hop: an edge of the trace map that does not carry the context (a consumer accepted
 * with `untraced: { reason }`, a producer that is not traced), and a plain SQS event source
 * mapping that reads a queue with traced producers into a function that is not traced. A
 * function that `context.isTraced` says is traced (a `TracingPolicy` traces it) is compliant,
 * whatever was recorded when it was wired.
 */
export const untracedEdge: TracingRule = {
  id: UNTRACED_EDGE,
  level: RuleLevel.ERROR,
  summary:
    'A hop of the trace map (a producer, a queue or topic consumer, an SQS event source) does not carry ' +
    'the trace context, so the trace breaks there.',
  fix:
    'Make the function a TracedFunction or put it under a TracingPolicy; for a known break, ' +
    `acknowledgeRule(scope, '${UNTRACED_EDGE}', reason)`,
  evaluate(node: IConstruct, context: RuleContext): RuleResult {
    const path = node.node.path;
    const fn = functionTarget(node);
    const traced = fn !== undefined && context.isTraced(fn.construct);
    const ends = recordedEdges(node).filter((e) => (SENDS.has(e.kind) ? e.from : e.to) === path);
    const breaks = traced ? [] : ends.filter((e) => !e.carriesContext).map(describeEdge);
    let applicable = ends.length > 0;
    if (fn) {
      for (const { queue, fn: consumer } of queueConsumptions(node)) {
        if (consumer?.resource !== fn.resource || wiredConsumerEdge(queue, fn.construct)) {
          continue; // another function's mapping, or one TracedQueue.addConsumer recorded as an edge
        }
        const producers = tracedInflow(queue);
        if (producers.length === 0) {
          continue;
        }
        applicable = true;
        if (!traced) {
          breaks.push(
            `${queueLabel(queue)} → ${path} (an SQS event source: ${listFrom(producers)} into the queue ` +
              `carries the trace context, and ${path} is not traced, so it does not read it)`,
          );
        }
      }
    }
    if (breaks.length > 0) {
      return nonCompliant(`the trace breaks at ${breaks.join('; ')}`);
    }
    return applicable ? COMPLIANT : NOT_APPLICABLE;
  },
};

function describeEdge(e: TraceEdge): string {
  return `${e.from} → ${e.to} (${e.kind}${e.reason ? `: ${e.reason}` : ''})`;
}

/** `what a traced producer sends` / `what A and B send`. */
function listFrom(edges: readonly TraceEdge[]): string {
  const from = [...new Set(edges.map((e) => e.from))];
  return from.length === 1
    ? `what ${from[0]} sends`
    : `what ${from.slice(0, -1).join(', ')} and ${from.at(-1)} send`;
}
