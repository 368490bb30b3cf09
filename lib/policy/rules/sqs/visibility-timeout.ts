import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { VISIBILITY_TIMEOUT_FACTOR } from '../../../messaging/private/validate-queue';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleLevel, RuleResult, TracingRule } from '../../rule';
import { queueConsumption, queueLabel, wiredConsumerEdge } from '../../private/trace-map';
import { currentValue, literalNumber } from '../../../core/resource-values';

/** The id of the rule {@link visibilityTimeout}. */
export const VISIBILITY_TIMEOUT = 'CST-VisibilityTimeout';

/** SQS's default visibility timeout, in seconds. */
const SQS_DEFAULT_VISIBILITY_SECONDS = 30;

/** Lambda's default function timeout, in seconds. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/**
 * `CST-VisibilityTimeout`: an SQS event source mapping (`CfnEventSourceMapping`) whose queue's
 * visibility timeout (default 30 seconds) is below 6 × the consuming function's timeout (default
 * 3 seconds), as AWS recommends. Not applicable when either value is a token, when the queue or
 * the function is not in the app, and to the consumers that `TracedQueue.addConsumer` wired (it
 * checks them itself: `visibilityTimeoutShort`).
 */
export const visibilityTimeout: TracingRule = {
  id: VISIBILITY_TIMEOUT,
  level: RuleLevel.WARNING,
  summary: `An SQS queue's visibility timeout is below ${VISIBILITY_TIMEOUT_FACTOR} × the timeout of the function that consumes it.`,
  fix:
    `Set the queue's visibilityTimeout to at least ${VISIBILITY_TIMEOUT_FACTOR} × the function timeout, ` +
    'or lower the function timeout',
  evaluate(node: IConstruct): RuleResult {
    if (!(node instanceof lambda.CfnEventSourceMapping)) {
      return NOT_APPLICABLE;
    }
    const consumption = queueConsumption(node);
    const fn = consumption?.fn;
    if (!consumption || !fn || wiredConsumerEdge(consumption.queue, fn.construct)) {
      return NOT_APPLICABLE;
    }
    const visibility = seconds(
      currentValue(consumption.queue.visibilityTimeout, node),
      SQS_DEFAULT_VISIBILITY_SECONDS,
    );
    const timeout = seconds(currentValue(fn.resource.timeout, node), LAMBDA_DEFAULT_TIMEOUT_SECONDS);
    if (visibility === undefined || timeout === undefined) {
      return NOT_APPLICABLE;
    }
    const recommended = timeout * VISIBILITY_TIMEOUT_FACTOR;
    if (visibility >= recommended) {
      return COMPLIANT;
    }
    const rejected =
      visibility < timeout ? ' (below the function timeout, AWS rejects the event source mapping)' : '';
    return nonCompliant(
      `queue ${queueLabel(consumption.queue)} has a visibility timeout of ${visibility} seconds, less than ` +
        `${VISIBILITY_TIMEOUT_FACTOR} × the ${timeout}-second timeout of its consumer ${fn.construct.node.path}` +
        `${rejected}: a message can become visible again while its batch is still being processed or retried; ` +
        `set it to ${recommended} seconds or more`,
    );
  },
};

/** A number of seconds that is known at synth: the value, or the default when it is not set. */
function seconds(value: unknown, byDefault: number): number | undefined {
  return value === undefined ? byDefault : literalNumber(value);
}
