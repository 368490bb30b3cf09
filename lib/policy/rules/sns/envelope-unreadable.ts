import { Token } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import {
  COMPLIANT,
  NOT_APPLICABLE,
  nonCompliant,
  RuleContext,
  RuleLevel,
  RuleResult,
  TracingRule,
} from '../../rule';
import { queueConsumptions, queueLabel } from '../../private/trace-map';
import { currentValue, literalString, ownerOf, referencedConstruct } from '../../../core/resource-values';

/** The id of the rule {@link envelopeUnreadable}. */
export const ENVELOPE_UNREADABLE = 'CST-EnvelopeUnreadable';

/**
 * `CST-EnvelopeUnreadable`: an SNS → SQS subscription (`CfnSubscription`, protocol `sqs`) without
 * raw message delivery, whose queue is consumed (an event source mapping) by a function that is
 * not traced. Without raw delivery the `traceparent` message attribute travels inside the SNS
 * JSON envelope in the message body, and only this library's runtime reads it there. Raw delivery
 * or traced consumers are compliant; another protocol, a queue outside the app or one that no
 * function of the app consumes is not applicable.
 */
export const envelopeUnreadable: TracingRule = {
  id: ENVELOPE_UNREADABLE,
  level: RuleLevel.ERROR,
  summary:
    'An SNS → SQS subscription without raw message delivery feeds a queue whose consumer is not traced: ' +
    'the trace context is inside the SNS envelope, where only this library’s runtime reads it.',
  fix:
    'Turn on raw message delivery (rawMessageDelivery: true, the default of TracedTopic.addQueueSubscription), ' +
    'or trace the consumer (a TracedFunction, or a TracingPolicy)',
  evaluate(node: IConstruct, context: RuleContext): RuleResult {
    if (!(node instanceof sns.CfnSubscription) || literalString(node.protocol) !== 'sqs') {
      return NOT_APPLICABLE;
    }
    const raw = currentValue(node.rawMessageDelivery, node);
    if (Token.isUnresolved(raw)) {
      return NOT_APPLICABLE;
    }
    if (raw === true || raw === 'true') {
      return COMPLIANT;
    }
    const queue = referencedConstruct(node.endpoint);
    if (!(queue instanceof sqs.CfnQueue)) {
      return NOT_APPLICABLE;
    }
    const consumers = queueConsumptions(node).filter((c) => c.queue === queue && c.fn !== undefined);
    if (consumers.length === 0) {
      return NOT_APPLICABLE;
    }
    const untraced = [
      ...new Set(
        consumers.filter((c) => !context.isTraced(c.fn!.construct)).map((c) => c.fn!.construct.node.path),
      ),
    ];
    if (untraced.length === 0) {
      return COMPLIANT;
    }
    return nonCompliant(
      `subscription ${ownerOf(node).node.path} delivers the SNS envelope (no raw message delivery) to queue ` +
        `${queueLabel(queue)}, and its ${untraced.length > 1 ? 'consumers' : 'consumer'} ${untraced.join(', ')} ` +
        `${untraced.length > 1 ? 'are' : 'is'} not traced: the trace context in the ` +
        'envelope is not read, so the trace breaks there',
    );
  },
};
