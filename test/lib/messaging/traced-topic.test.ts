import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildTraceMap, TracedFunction, TracedQueue, TracedTopic, TraceEdges } from '../../../lib';
import { fixture, newStack, plainFunction } from '../../helpers/stack';

function traced(stack: Stack, id: string): TracedFunction {
  return new TracedFunction(stack, id, { entry: fixture('hello.ts') });
}

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

describe('TracedTopic defaults', () => {
  let stack: Stack;
  let topic: TracedTopic;
  let template: Template;
  beforeAll(() => {
    ({ stack } = newStack());
    topic = new TracedTopic(stack, 'Payments');
    template = Template.fromStack(stack);
  });

  test('encrypted with the AWS managed key alias/aws/sns', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: 'alias/aws/sns' });
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  test('denies publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: idOf(stack, topic.topic) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
  });

  test('no warnings', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('TracedTopic props', () => {
  test('a customer managed key, names, FIFO', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'Key');
    new TracedTopic(stack, 'T', {
      masterKey: key,
      topicName: 'payments.fifo',
      displayName: 'Payments',
      fifo: true,
      contentBasedDeduplication: true,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [idOf(stack, key), 'Arn'] },
      TopicName: 'payments.fifo',
      DisplayName: 'Payments',
      FifoTopic: true,
      ContentBasedDeduplication: true,
    });
  });

  test('encrypted false and enforceSSL false warn', () => {
    const { stack } = newStack();
    new TracedTopic(stack, 'T', { encrypted: false, enforceSSL: false });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(
      '/TestStack/T',
      Match.stringLikeRegexp('encrypted is false.*\\[ack: cdk-serverless-tracing:topicUnencrypted\\]'),
    );
    annotations.hasWarning(
      '/TestStack/T',
      Match.stringLikeRegexp('enforceSSL is false.*\\[ack: cdk-serverless-tracing:topicSslNotEnforced\\]'),
    );
  });

  test('masterKey with encrypted false is an error', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'Key');
    expect(() => new TracedTopic(stack, 'T', { masterKey: key, encrypted: false })).toThrow(
      /TracedTopic TestStack\/T has invalid props:\n {2}- masterKey is given but encrypted is false/,
    );
  });
});

describe('TracedTopic.addQueueSubscription', () => {
  test('raw delivery by default; the queue policy lets the topic send; edge via raw-delivery', () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Payments');
    const queue = new TracedQueue(stack, 'Reconciliation');
    topic.addQueueSubscription(queue, {
      filterPolicy: { currency: sns.SubscriptionFilter.stringFilter({ allowlist: ['EUR'] }) },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: idOf(stack, topic.topic) },
      Endpoint: { 'Fn::GetAtt': [idOf(stack, queue.queue), 'Arn'] },
      RawMessageDelivery: true,
      FilterPolicy: { currency: ['EUR'] },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: idOf(stack, queue.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: idOf(stack, topic.topic) } } },
          }),
        ]),
      },
    });
    expect(TraceEdges.of(stack).edges).toEqual([
      {
        from: 'TestStack/Payments',
        to: 'TestStack/Reconciliation',
        kind: 'sns-to-sqs',
        carriesContext: true,
        via: 'raw-delivery',
      },
    ]);
  });

  test('rawMessageDelivery false: the envelope, no warning, edge via sns-envelope', () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Payments');
    const queue = new TracedQueue(stack, 'Audit');
    const dlq = new sqs.Queue(stack, 'DeliveryDlq');
    topic.addQueueSubscription(queue, { rawMessageDelivery: false, deadLetterQueue: dlq });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      RawMessageDelivery: false,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack, dlq), 'Arn'] } },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    expect(TraceEdges.of(stack).edges).toEqual([
      {
        from: 'TestStack/Payments',
        to: 'TestStack/Audit',
        kind: 'sns-to-sqs',
        carriesContext: true,
        via: 'sns-envelope',
      },
    ]);
  });

  test('a queue encrypted with alias/aws/sqs, or a FIFO queue on a standard topic, is an error', () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Payments');
    const managed = new TracedQueue(stack, 'Managed', { encryption: sqs.QueueEncryption.KMS_MANAGED });
    const fifo = new TracedQueue(stack, 'Fifo', { fifo: true });
    expect(() => topic.addQueueSubscription(managed)).toThrow(
      /TracedTopic TestStack\/Payments: queue TestStack\/Managed is encrypted with the AWS managed key alias\/aws\/sqs.*SQS_MANAGED/,
    );
    expect(() => topic.addQueueSubscription(fifo)).toThrow(
      /queue TestStack\/Fifo is a FIFO queue, and a standard topic cannot deliver to it/,
    );
    const fifoTopic = new TracedTopic(stack, 'FifoTopic', { fifo: true });
    expect(() => fifoTopic.addQueueSubscription(fifo)).not.toThrow();
  });
});

describe('TracedTopic.addFunctionSubscription', () => {
  test('a traced function: a lambda subscription and the edge', () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Payments');
    const fn = traced(stack, 'Notify');
    topic.addFunctionSubscription(fn);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [idOf(stack, fn), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'sns.amazonaws.com' });
    expect(TraceEdges.of(stack).edges).toEqual([
      {
        from: 'TestStack/Payments',
        to: 'TestStack/Notify',
        kind: 'sns-to-lambda',
        carriesContext: true,
        via: 'message-attributes',
      },
    ]);
  });

  test('an untraced subscriber is an error with the fix; untraced with a reason warns', () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Payments');
    const legacy = plainFunction(stack, 'Legacy');
    const python = plainFunction(stack, 'Python', {
      runtime: lambda.Runtime.PYTHON_3_13,
      code: lambda.Code.fromInline('def handler(e, c): pass'),
    });
    expect(() => topic.addFunctionSubscription(python)).toThrow(
      /TracedTopic TestStack\/Payments: subscriber TestStack\/Python is not a TracedFunction.*a TracingPolicy traces only Node.js functions.*make it a TracedFunction \(or pass \{ untraced: \{ reason \} \}/,
    );
    topic.addFunctionSubscription(legacy, { untraced: { reason: 'a third-party webhook relay' } });
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Payments',
      Match.stringLikeRegexp('subscriber TestStack/Legacy is not a TracedFunction.*untracedSubscriber'),
    );
    expect(TraceEdges.of(stack).to('TestStack/Legacy')).toEqual([
      {
        from: 'TestStack/Payments',
        to: 'TestStack/Legacy',
        kind: 'sns-to-lambda',
        carriesContext: false,
        reason: 'a third-party webhook relay',
      },
    ]);
  });
});

describe('TracedTopic.grantPublish', () => {
  test('sns:Publish on the topic and the ARN in <ID>_TOPIC_ARN; the edge', () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Payments');
    const producer = traced(stack, 'Authorize');
    topic.grantPublish(producer);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sns:Publish',
            Effect: 'Allow',
            Resource: { Ref: idOf(stack, topic.topic) },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PAYMENTS_TOPIC_ARN: { Ref: idOf(stack, topic.topic) } }) },
    });
    expect(TraceEdges.of(stack).edges).toEqual([
      {
        from: 'TestStack/Authorize',
        to: 'TestStack/Payments',
        kind: 'sns-publish',
        carriesContext: true,
        via: 'message-attributes',
      },
    ]);
  });

  test('a custom variable; a customer managed key is granted too', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'Key');
    const topic = new TracedTopic(stack, 'Payments', { masterKey: key });
    const producer = traced(stack, 'Authorize');
    topic.grantPublish(producer, { environmentVariable: 'TOPIC' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOPIC: { Ref: idOf(stack, topic.topic) } }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['kms:GenerateDataKey*']),
            Resource: { 'Fn::GetAtt': [idOf(stack, key), 'Arn'] },
          }),
        ]),
      },
    });
  });

  test('a user gets only sns:Publish: no variable, no edge', () => {
    const { app, stack } = newStack();
    const topic = new TracedTopic(stack, 'Payments');
    const user = new iam.User(stack, 'User');
    expect(topic.grantPublish(user).success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Users: [{ Ref: idOf(stack, user) }],
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: idOf(stack, topic.topic) } })],
      },
    });
    template.resourceCountIs('AWS::Lambda::Function', 0);
    expect(TraceEdges.of(stack).edges).toEqual([]);
    expect(buildTraceMap(app).edges).toEqual([]);
  });

  test('environmentVariable: false grants and records the edge but sets no variable', () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Payments');
    const producer = traced(stack, 'Authorize');
    expect(topic.grantPublish(producer, { environmentVariable: false }).success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish' })]) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PAYMENTS_TOPIC_ARN: Match.absent() }) },
    });
    expect(TraceEdges.of(stack).edges).toEqual([
      expect.objectContaining({ from: 'TestStack/Authorize', to: 'TestStack/Payments', kind: 'sns-publish' }),
    ]);
  });
});
