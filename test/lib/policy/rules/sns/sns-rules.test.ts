import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TracedFunction } from '../../../../../lib/function';
import { TracedQueue, TracedTopic } from '../../../../../lib/messaging';
import { ENVELOPE_UNREADABLE, envelopeUnreadable } from '../../../../../lib/policy';
import { fixture, newStack, plainFunction } from '../../../../helpers/stack';
import { COMPLIANT, evaluate, nonCompliant, NOT_APPLICABLE, resourceOf } from '../evaluate';

/** A topic → queue subscription (its CfnSubscription), the queue read by `consumer` when given. */
function subscribe(stack: Stack, rawMessageDelivery: boolean, consumerId?: string): sns.CfnSubscription {
  const queue = new sqs.Queue(stack, 'Queue');
  const subscription = new sns.Topic(stack, 'Topic').addSubscription(
    new subscriptions.SqsSubscription(queue, { rawMessageDelivery }),
  );
  if (consumerId) {
    plainFunction(stack, consumerId).addEventSource(new lambdaEventSources.SqsEventSource(queue));
  }
  return subscription.node.defaultChild as sns.CfnSubscription;
}

describe(`${ENVELOPE_UNREADABLE} (error)`, () => {
  test('the id and level', () => {
    expect(envelopeUnreadable.id).toBe('CST-EnvelopeUnreadable');
    expect(envelopeUnreadable.level).toBe('error');
  });

  test('the SNS envelope to a queue whose consumer is not traced: non-compliant, naming the queue and the consumer', () => {
    const { stack } = newStack();
    const subscription = subscribe(stack, false, 'Legacy');
    expect(evaluate(envelopeUnreadable, subscription)).toEqual(
      nonCompliant(
        `subscription ${subscription.node.scope!.node.path} delivers the SNS envelope (no raw message delivery) ` +
          'to queue TestStack/Queue, and its consumer TestStack/Legacy is not traced: the trace context in the ' +
          'envelope is not read, so the trace breaks there',
      ),
    );
  });

  test('a TracedTopic without raw delivery into a TracedQueue with an untraced consumer: non-compliant', () => {
    const { stack } = newStack();
    const audit = new TracedQueue(stack, 'Audit');
    const subscription = new TracedTopic(stack, 'Payments').addQueueSubscription(audit, {
      rawMessageDelivery: false,
    });
    audit.addConsumer(plainFunction(stack, 'Legacy'), { untraced: { reason: 'legacy' } });
    expect(evaluate(envelopeUnreadable, resourceOf(subscription))).toEqual(
      nonCompliant(/to queue TestStack\/Audit, and its consumer TestStack\/Legacy is not traced/),
    );
  });

  test('raw delivery, or the envelope to traced consumers: compliant', () => {
    const raw = newStack();
    expect(evaluate(envelopeUnreadable, subscribe(raw.stack, true, 'Legacy'))).toEqual(COMPLIANT);

    const { stack } = newStack();
    const audit = new TracedQueue(stack, 'Audit');
    const subscription = new TracedTopic(stack, 'Payments').addQueueSubscription(audit, {
      rawMessageDelivery: false,
    });
    audit.addConsumer(new TracedFunction(stack, 'Reader', { entry: fixture('hello.ts') }));
    expect(evaluate(envelopeUnreadable, resourceOf(subscription))).toEqual(COMPLIANT);
    expect(evaluate(envelopeUnreadable, subscribe(newStack().stack, false, 'Policy'), () => true)).toEqual(
      COMPLIANT,
    );
  });

  test('not applicable: a queue no function consumes, another protocol, a queue outside the app, a token, other constructs', () => {
    const { stack } = newStack();
    const unread = subscribe(stack, false);
    const lambdaSubscription = new sns.CfnSubscription(stack, 'ToLambda', {
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:payments',
      protocol: 'lambda',
      endpoint: plainFunction(stack, 'Fn').functionArn,
    });
    const outside = new sns.CfnSubscription(stack, 'Outside', {
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:payments',
      protocol: 'sqs',
      endpoint: 'arn:aws:sqs:eu-west-1:123456789012:elsewhere',
    });
    const token = new sns.CfnSubscription(stack, 'Token', {
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:payments',
      protocol: 'sqs',
      endpoint: 'arn:aws:sqs:eu-west-1:123456789012:elsewhere',
      rawMessageDelivery: new CfnParameter(stack, 'Raw').valueAsString as unknown as boolean,
    });
    for (const node of [unread, lambdaSubscription, outside, token, stack]) {
      expect(evaluate(envelopeUnreadable, node)).toEqual(NOT_APPLICABLE);
    }
  });
});
