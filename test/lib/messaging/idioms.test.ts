import * as path from 'path';
import { App, AspectPriority, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import {
  AlwaysKeep,
  buildTraceMap,
  TracedFunction,
  TracedQueue,
  TracedTopic,
  TraceEdges,
  TracingPolicy,
} from '../../../lib';
import { fixture, FIXTURES, newStack } from '../../helpers/stack';

const SHIM = '/opt/cdk-serverless-tracing/handler.handler';

function traced(stack: Stack, id: string): TracedFunction {
  return new TracedFunction(stack, id, { entry: fixture('hello.ts') });
}

/** A plain Node.js function with its code in a directory: what a TracingPolicy traces. */
function plain(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    code: lambda.Code.fromAsset(path.join(FIXTURES, 'assets', 'cjs')),
    handler: 'index.handler',
  });
}

const idOf = (stack: Stack, c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as never);

describe('TracedQueue is an sqs.IQueue: what takes a queue acts on the queue it wraps', () => {
  test('an SqsEventSource, grantConsumeMessages, a metric, a key grant', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'Key');
    const queue = new TracedQueue(stack, 'Orders', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
    });
    const asQueue: sqs.IQueue = queue;
    expect(asQueue.queueArn).toBe(queue.queue.queueArn);
    expect(queue.fifo).toBe(false);
    expect(queue.encryptionType).toBe(sqs.QueueEncryption.KMS);
    expect(queue.encryptionMasterKey).toBe(key);

    const fn = traced(stack, 'Consumer');
    fn.addEventSource(new lambdaEventSources.SqsEventSource(queue, { reportBatchItemFailures: true }));
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    queue.grantConsumeMessages(role);
    const metric = queue.metricApproximateAgeOfOldestMessage();

    const template = Template.fromStack(stack);
    const arn = { 'Fn::GetAtt': [idOf(stack, queue.queue), 'Arn'] };
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: arn });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: idOf(stack, role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['sqs:ReceiveMessage']), Resource: arn }),
          Match.objectLike({
            Action: 'kms:Decrypt',
            Resource: { 'Fn::GetAtt': [idOf(stack, key), 'Arn'] },
          }),
        ]),
      },
    });
    expect(stack.resolve(metric.dimensions)).toEqual({
      QueueName: { 'Fn::GetAtt': [idOf(stack, queue.queue), 'QueueName'] },
    });
  });

  test('an SqsSubscription of a plain topic: the policy and the subscription are on the wrapped queue', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Orders');
    const topic = new sns.Topic(stack, 'Plain');
    topic.addSubscription(new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: { 'Fn::GetAtt': [idOf(stack, queue.queue), 'Arn'] },
    });
    // One queue policy, the wrapped queue's (enforceSSL and the topic's SendMessage in it).
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      { Queues: [{ Ref: idOf(stack, queue.queue) }] },
      1,
    );
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: idOf(stack, queue.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:SendMessage', Effect: 'Allow' })]),
      },
    });
    expect(queue.node.tryFindChild('Policy')).toBeUndefined();
  });

  test('AlwaysKeep.queue takes a TracedQueue: the rule names the wrapped queue', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Orders', { visibilityTimeout: Duration.seconds(18) });
    const fn = new TracedFunction(stack, 'Consumer', {
      entry: fixture('hello.ts'),
      alwaysKeep: [AlwaysKeep.queue(queue)],
    });
    queue.addConsumer(fn);
    const env = Template.fromStack(stack).findResources('AWS::Lambda::Function', {
      Properties: { Handler: Match.anyValue() },
    })[idOf(stack, fn)].Properties.Environment.Variables as Record<string, unknown>;
    expect(env.TRACING_ALWAYS_KEEP).toEqual({
      'Fn::Join': ['', ['queue:', { 'Fn::GetAtt': [idOf(stack, queue.queue), 'Arn'] }]],
    });
  });
});

describe('TracedTopic is an sns.ITopic: what takes a topic acts on the topic it wraps', () => {
  test('an alarm action, grantSubscribe, addSubscription, addToResourcePolicy', () => {
    const { stack } = newStack();
    const topic = new TracedTopic(stack, 'Alerts');
    const asTopic: sns.ITopic = topic;
    expect(asTopic.topicArn).toBe(topic.topic.topicArn);
    expect(topic.fifo).toBe(false);
    expect(topic.contentBasedDeduplication).toBe(false);
    expect(topic.masterKey).toBe(topic.topic.masterKey);

    const alarm = new cloudwatch.Alarm(stack, 'Alarm', {
      metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(topic));
    const role = new iam.Role(stack, 'Subscriber', { assumedBy: new iam.AccountRootPrincipal() });
    topic.grantSubscribe(role);
    topic.addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        resources: [topic.topicArn],
      }),
    );

    const template = Template.fromStack(stack);
    const ref = { Ref: idOf(stack, topic.topic) };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [ref] });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'sns:Subscribe', Resource: ref })] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', TopicArn: ref });
    // One topic policy, the wrapped topic's: its TLS-only statement and the added one.
    template.resourceCountIs('AWS::SNS::TopicPolicy', 1);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });
});

describe('the policy and the wiring, in either order', () => {
  function newApp(): { app: App; stack: Stack } {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    return { app, stack: new Stack(app, 'Payments') };
  }
  const addPolicy = (app: App) =>
    Aspects.of(app).add(new TracingPolicy(), { priority: AspectPriority.MUTATING });
  const handlerOf = (stack: Stack, fn: lambda.Function) =>
    Template.fromStack(stack).findResources('AWS::Lambda::Function')[idOf(stack, fn)].Properties.Handler;

  test.each([
    ['before', true],
    ['after', false],
  ])(
    'a policy added %s the wiring: plain consumers, subscribers and producers are traced and their edges carry the context',
    (_, policyFirst) => {
      const { app, stack } = newApp();
      if (policyFirst) addPolicy(app);
      const topic = new TracedTopic(stack, 'Payments');
      const queue = new TracedQueue(stack, 'Orders', { visibilityTimeout: Duration.seconds(18) });
      const producer = plain(stack, 'Producer');
      const consumer = plain(stack, 'Consumer');
      const subscriber = plain(stack, 'Subscriber');
      topic.grantPublish(producer);
      queue.grantSend(producer);
      topic.addQueueSubscription(queue);
      topic.addFunctionSubscription(subscriber);
      queue.addConsumer(consumer);
      TraceEdges.of(stack).declareHttpCall(producer, { name: 'fraud-api', url: 'https://fraud.example.com' });
      if (!policyFirst) addPolicy(app);

      for (const fn of [producer, consumer, subscriber]) expect(handlerOf(stack, fn)).toBe(SHIM);
      const edges = buildTraceMap(app).edges;
      const broken = edges.filter((e) => !e.carriesContext);
      expect(broken).toEqual([]);
      expect(edges.map((e) => `${e.from} -> ${e.to}`)).toEqual(
        expect.arrayContaining([
          'Payments/Producer -> Payments/Payments',
          'Payments/Producer -> Payments/Orders',
          'Payments/Producer -> external:fraud-api',
          'Payments/Orders -> Payments/Consumer',
          'Payments/Payments -> Payments/Subscriber',
        ]),
      );
    },
  );

  test('no policy at all: the synth fails for the plain consumer and subscriber, and the producer edges say why they break', () => {
    const { app, stack } = newApp();
    const topic = new TracedTopic(stack, 'Payments');
    const queue = new TracedQueue(stack, 'Orders', { visibilityTimeout: Duration.seconds(18) });
    const producer = plain(stack, 'Producer');
    queue.grantSend(producer);
    queue.addConsumer(plain(stack, 'Consumer'));
    topic.addFunctionSubscription(plain(stack, 'Subscriber'));
    expect(TraceEdges.of(stack).from('Payments/Producer')).toEqual([
      expect.objectContaining({
        carriesContext: false,
        reason: 'Payments/Producer is not a TracedFunction, so it sends no trace context',
      }),
    ]);
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(
      '[Payments/Orders] TracedQueue Payments/Orders: consumer Payments/Consumer is not a TracedFunction',
    );
    expect(message).toContain(
      '[Payments/Payments] TracedTopic Payments/Payments: subscriber Payments/Subscriber is not a TracedFunction',
    );
  });

  test('a consumer opted out of the policy after the wiring: the synth error says so', () => {
    const { app, stack } = newApp();
    addPolicy(app);
    const queue = new TracedQueue(stack, 'Orders', { visibilityTimeout: Duration.seconds(18) });
    const consumer = plain(stack, 'Consumer');
    queue.addConsumer(consumer);
    TracingPolicy.optOut(consumer, 'a vendor build we cannot wrap');
    expect(() => app.synth()).toThrow(
      'TracedQueue Payments/Orders: consumer Payments/Consumer is not a TracedFunction, so its spans would not ' +
        'continue the trace of the messages it reads; it was opted out of the TracingPolicy (a vendor build we ' +
        'cannot wrap), so make it a TracedFunction (or pass { untraced: { reason } } to accept the broken trace)',
    );
  });
});
