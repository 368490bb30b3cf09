import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleLevel, RuleResult, TracingRule } from '../../rule';
import {
  currentValue,
  isPlainObject,
  literalString,
  ownerOf,
  referencedConstruct,
} from '../../../core/resource-values';

/** The id of the rule {@link queueWithoutDlq}. */
export const QUEUE_WITHOUT_DLQ = 'CST-QueueWithoutDlq';

/**
 * `CST-QueueWithoutDlq`: an SQS queue (`CfnQueue`) with no redrive policy. Not applicable to a
 * queue that is itself a dead-letter queue: the target of another queue's redrive policy, of an
 * SNS subscription's, of a function's dead-letter config or on-failure destination, of an event
 * source mapping's on-failure destination, of an EventBridge target's dead-letter config — or a
 * queue whose redrive allow policy lets queues use it as one.
 */
export const queueWithoutDlq: TracingRule = {
  id: QUEUE_WITHOUT_DLQ,
  level: RuleLevel.ERROR,
  summary:
    'An SQS queue without a dead-letter queue retries a failing message until its retention ends, then ' +
    'loses it with its trace.',
  fix:
    'Use a TracedQueue (it has a dead-letter queue), or give the queue deadLetterQueue: { queue, maxReceiveCount }; ' +
    `for a queue that needs none, acknowledgeRule(queue, '${QUEUE_WITHOUT_DLQ}', reason)`,
  evaluate(node: IConstruct): RuleResult {
    if (!(node instanceof sqs.CfnQueue)) {
      return NOT_APPLICABLE;
    }
    if (currentValue(node.redrivePolicy, node) !== undefined) {
      return COMPLIANT;
    }
    if (declaresDeadLetterQueue(node) || deadLetterUses(node).length > 0) {
      return NOT_APPLICABLE;
    }
    return nonCompliant(
      `queue ${ownerOf(node).node.path} has no dead-letter queue (no redrive policy): a message that keeps ` +
        'failing is received again and again until its retention period ends, then it is lost',
    );
  },
};

/** A redrive allow policy that lets other queues use this one as their dead-letter queue. */
function declaresDeadLetterQueue(queue: sqs.CfnQueue): boolean {
  const policy = objectValue(currentValue(queue.redriveAllowPolicy, queue));
  const permission = literalString(policy?.redrivePermission);
  return permission === 'allowAll' || permission === 'byQueue';
}

/** The constructs that use this queue as a dead-letter queue or an on-failure destination. */
export function deadLetterUses(queue: sqs.CfnQueue): IConstruct[] {
  return queue.node.root.node
    .findAll()
    .filter((user) => user !== queue && deadLetterTargets(user).some((arn) => isQueueArn(arn, queue)));
}

/** The dead-letter (or on-failure) targets a construct names, as written. */
function deadLetterTargets(c: IConstruct): unknown[] {
  if (c instanceof sqs.CfnQueue) {
    return [objectValue(currentValue(c.redrivePolicy, c))?.deadLetterTargetArn];
  }
  if (c instanceof sns.CfnSubscription) {
    return [objectValue(currentValue(c.redrivePolicy, c))?.deadLetterTargetArn];
  }
  if (c instanceof lambda.CfnFunction) {
    return [objectValue(currentValue(c.deadLetterConfig, c))?.targetArn];
  }
  if (c instanceof lambda.CfnEventSourceMapping || c instanceof lambda.CfnEventInvokeConfig) {
    return [onFailureDestination(currentValue(c.destinationConfig, c))];
  }
  if (c instanceof events.CfnRule) {
    const targets = currentValue(c.targets, c);
    return Array.isArray(targets)
      ? targets.map((t) => objectValue(objectValue(t)?.deadLetterConfig)?.arn)
      : [];
  }
  return [];
}

function onFailureDestination(config: unknown): unknown {
  return objectValue(objectValue(objectValue(config)?.onFailure))?.destination;
}

/** A property bag, or a redrive policy given as a JSON string. */
function objectValue(value: unknown): Record<string, unknown> | undefined {
  if (isPlainObject(value)) {
    return value;
  }
  const text = literalString(value);
  if (text?.trim().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return isPlainObject(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Whether an ARN is this queue's: a reference to it, or a literal ARN that ends with its literal name. */
function isQueueArn(arn: unknown, queue: sqs.CfnQueue): boolean {
  if (referencedConstruct(arn) === queue) {
    return true;
  }
  const literal = literalString(arn);
  const name = literalString(queue.queueName);
  return (
    literal !== undefined && name !== undefined && literal.startsWith('arn:') && literal.endsWith(`:${name}`)
  );
}
