import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { TracedFunction, TracedQueue, TracedTopic } from '../../../lib';
import { fixture, newStack, plainFunction } from '../../helpers/stack';

const ENTRY = fixture('hello.ts');

/** The ids acknowledged (`Validations.of(x).acknowledge`) on exactly this construct. */
function acknowledged(c: IConstruct): string[] {
  return c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as Record<string, string>));
}

function idOf(stack: Stack, c: IConstruct): string {
  return stack.getLogicalId((c.node.defaultChild ?? c) as never);
}

describe('dead-letter queues where the path is asynchronous', () => {
  test("SNS → SQS: the subscription's redrive policy is the traced queue's own dead-letter queue", () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Orders');
    const queue = new TracedQueue(stack, 'Fulfilment');
    topic.addQueueSubscription(queue);
    const template = Template.fromStack(stack);
    const dlq = idOf(stack, queue.deadLetterQueue);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
    });
    // SNS may send to it, from this topic only (and only over TLS, as before).
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: idOf(stack, topic.topic) } } },
          }),
        ]),
      },
    });
  });

  test('SNS → SQS: a dead-letter queue given to the subscription wins', () => {
    const { stack } = newStack();
    const mine = new sqs.Queue(stack, 'Mine');
    new TracedTopic(stack, 'Orders').addQueueSubscription(new TracedQueue(stack, 'Q'), {
      deadLetterQueue: mine,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack, mine), 'Arn'] } },
    });
  });

  test("SNS → Lambda: one dead-letter queue for the subscription and the function's asynchronous invocations", () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Orders');
    const notify = new TracedFunction(stack, 'Notify', { entry: ENTRY });
    topic.addFunctionSubscription(notify);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    const dlq = idOf(stack, notify.node.findChild('DeadLetterQueue'));
    const arn = { 'Fn::GetAtt': [dlq, 'Arn'] };
    template.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: { TargetArn: arn } });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      RedrivePolicy: { deadLetterTargetArn: arn },
    });
    // Encrypted, 14 days, TLS only; the function may send to it; SNS too, from the topic.
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arn }]),
      },
    });
    expect(acknowledged(notify.node.findChild('DeadLetterQueue'))).toEqual([
      'Serverless::Serverless-SQSRedrivePolicy',
    ]);
  });

  test("SNS → Lambda: a function's own dead-letter queue is used as it is", () => {
    const { stack } = newStack();
    const notify = new TracedFunction(stack, 'Notify', { entry: ENTRY, deadLetterQueueEnabled: true });
    new TracedTopic(stack, 'Orders').addFunctionSubscription(notify);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack, notify.deadLetterQueue!), 'Arn'] } },
    });
  });

  test('SNS → an imported function: a dead-letter queue for the subscription only', () => {
    const { stack } = newStack();
    const imported = lambda.Function.fromFunctionArn(
      stack,
      'Imported',
      'arn:aws:lambda:eu-west-1:123456789012:function:legacy',
    );
    const topic = new TracedTopic(stack, 'Orders');
    topic.addFunctionSubscription(imported, { untraced: { reason: 'owned by another team' } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { RedrivePolicy: Match.anyValue() });
  });
});

test('SNS → a plain function: its settings are left alone, a dead-letter queue for the subscription only', () => {
  const { stack } = newStack();
  const legacy = plainFunction(stack, 'Legacy');
  new TracedTopic(stack, 'Orders').addFunctionSubscription(legacy, {
    untraced: { reason: 'a vendor relay' },
  });
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::SQS::Queue', 1);
  expect(legacy.node.tryFindChild('DeadLetterQueue')).toBeUndefined();
  template.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: Match.absent() });
  template.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'lambda',
    RedrivePolicy: Match.anyValue(),
  });
});

test('one function subscribed to two traced topics: two subscriptions, one dead-letter queue', () => {
  const { stack } = newStack();
  const notify = new TracedFunction(stack, 'Notify', { entry: ENTRY });
  new TracedTopic(stack, 'Orders').addFunctionSubscription(notify);
  new TracedTopic(stack, 'Refunds').addFunctionSubscription(notify);
  const template = Template.fromStack(stack);
  template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'lambda' }, 2);
  template.resourceCountIs('AWS::SQS::Queue', 1);
  template.resourceCountIs('AWS::Lambda::Permission', 2);
});

describe('cdk-nag acknowledgements of the messaging wiring', () => {
  test('the dead-letter queue a TracedQueue creates (not one you give it) has none of its own: acknowledged', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q');
    expect(acknowledged(queue.deadLetterQueue)).toEqual(['Serverless::Serverless-SQSRedrivePolicy']);
    const given = new sqs.Queue(stack, 'Given');
    new TracedQueue(stack, 'R', { deadLetterQueue: given });
    expect(acknowledged(given)).toEqual([]);
  });

  test('the SQS event source mapping has no on-failure destination (SQS sources have none): acknowledged', () => {
    const { stack } = newStack();
    const consumer = new TracedFunction(stack, 'Consumer', { entry: ENTRY });
    const source = new TracedQueue(stack, 'Q').addConsumer(consumer);
    const mapping = consumer.node.children.find(
      (c) => c instanceof lambda.EventSourceMapping && c.eventSourceMappingId === source.eventSourceMappingId,
    )!;
    expect(acknowledged(mapping)).toEqual(['Serverless::Serverless-LambdaEventSourceMappingDestination']);
    // Only on that mapping: the function's other event sources keep their findings.
    expect(acknowledged(consumer)).not.toContain(
      'Serverless::Serverless-LambdaEventSourceMappingDestination',
    );
  });
});
