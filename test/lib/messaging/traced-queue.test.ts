import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildTraceMap, TracedFunction, TracedFunctionProps, TracedQueue, TraceEdges } from '../../../lib';
import { fixture, newStack, plainFunction } from '../../helpers/stack';

function traced(stack: Stack, id: string, props: Partial<TracedFunctionProps> = {}): TracedFunction {
  return new TracedFunction(stack, id, { entry: fixture('hello.ts'), ...props });
}

/** The logical id of a construct's default child. */
function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

describe('TracedQueue defaults', () => {
  let stack: Stack;
  let queue: TracedQueue;
  let template: Template;
  beforeAll(() => {
    ({ stack } = newStack());
    queue = new TracedQueue(stack, 'Reconciliation');
    template = Template.fromStack(stack);
  });

  test('a queue and its dead-letter queue, both encrypted with SSE-SQS', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  test('the queue: 30-second visibility, 4-day retention, redrive after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 30,
      MessageRetentionPeriod: 345600,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack, queue.deadLetterQueue), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  test('the dead-letter queue keeps messages 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1209600,
      RedrivePolicy: Match.absent(),
    });
  });

  test('both queues deny requests without TLS', () => {
    for (const q of [queue.queue, queue.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: idOf(stack, q) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  test('no warnings', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('TracedQueue props', () => {
  test('maxReceiveCount, visibilityTimeout, retention and names', () => {
    const { stack } = newStack();
    new TracedQueue(stack, 'Q', {
      maxReceiveCount: 3,
      visibilityTimeout: Duration.minutes(2),
      retentionPeriod: Duration.days(7),
      deadLetterRetentionPeriod: Duration.days(10),
      queueName: 'orders',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'orders',
      VisibilityTimeout: 120,
      MessageRetentionPeriod: 604800,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'orders-dlq',
      MessageRetentionPeriod: 864000,
    });
  });

  test('fifo: both queues are FIFO', () => {
    const { stack } = newStack();
    new TracedQueue(stack, 'Q', { fifo: true, queueName: 'orders.fifo', contentBasedDeduplication: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'orders.fifo',
      FifoQueue: true,
      ContentBasedDeduplication: true,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'orders-dlq.fifo', FifoQueue: true });
  });

  test('bring your own dead-letter queue', () => {
    const { stack } = newStack();
    const dlq = new sqs.Queue(stack, 'MyDlq', { retentionPeriod: Duration.days(14) });
    const queue = new TracedQueue(stack, 'Q', { deadLetterQueue: dlq });
    expect(queue.deadLetterQueue).toBe(dlq);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack, dlq), 'Arn'] }, maxReceiveCount: 5 },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('a customer managed key means KMS encryption for both queues', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'Key');
    new TracedQueue(stack, 'Q', { encryptionMasterKey: key });
    Template.fromStack(stack).allResourcesProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [idOf(stack, key), 'Arn'] },
    });
  });

  test('tokens are not range-checked', () => {
    const { stack } = newStack();
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber;
    expect(
      () =>
        new TracedQueue(stack, 'Q', { maxReceiveCount: count, retentionPeriod: Duration.seconds(seconds) }),
    ).not.toThrow();
    const queue = new TracedQueue(stack, 'R', { visibilityTimeout: Duration.seconds(seconds) });
    expect(() => queue.addConsumer(traced(stack, 'Fn', { timeout: Duration.minutes(5) }))).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('TracedQueue validation: every problem at once, naming the prop', () => {
  test.each<[string, object, RegExp]>([
    [
      'maxReceiveCount 0',
      { maxReceiveCount: 0 },
      /maxReceiveCount must be a whole number from 1 to 1000 \(got 0\)/,
    ],
    [
      'maxReceiveCount 1.5',
      { maxReceiveCount: 1.5 },
      /maxReceiveCount must be a whole number from 1 to 1000 \(got 1.5\)/,
    ],
    ['maxReceiveCount 1001', { maxReceiveCount: 1001 }, /maxReceiveCount/],
    [
      'visibilityTimeout 13 h',
      { visibilityTimeout: Duration.hours(13) },
      /visibilityTimeout must be at most 12 hours/,
    ],
    [
      'retentionPeriod 15 days',
      { retentionPeriod: Duration.days(15) },
      /retentionPeriod must be from 60 seconds to 14 days \(got 15 days\)/,
    ],
    [
      'retentionPeriod 59 s',
      { retentionPeriod: Duration.seconds(59) },
      /retentionPeriod must be from 60 seconds to 14 days/,
    ],
    [
      'deadLetterRetentionPeriod 20 days',
      { deadLetterRetentionPeriod: Duration.days(20) },
      /deadLetterRetentionPeriod must be from 60 seconds/,
    ],
  ])('%s', (_name, props, message) => {
    const { stack } = newStack();
    expect(() => new TracedQueue(stack, 'Q', props)).toThrow(message);
  });

  test('several problems in one error', () => {
    const { stack } = newStack();
    expect(
      () => new TracedQueue(stack, 'Q', { maxReceiveCount: 0, retentionPeriod: Duration.days(30) }),
    ).toThrow(/TracedQueue TestStack\/Q has invalid props:\n {2}- maxReceiveCount.*\n {2}- retentionPeriod/);
  });

  test('a key with a non-KMS encryption', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'Key');
    expect(
      () =>
        new TracedQueue(stack, 'Q', {
          encryptionMasterKey: key,
          encryption: sqs.QueueEncryption.SQS_MANAGED,
        }),
    ).toThrow(/encryptionMasterKey needs encryption: sqs.QueueEncryption.KMS/);
  });

  test('the dead-letter queue must match FIFO-ness', () => {
    const { stack } = newStack();
    const standard = new sqs.Queue(stack, 'Standard');
    const fifo = new sqs.Queue(stack, 'Fifo', { fifo: true });
    expect(() => new TracedQueue(stack, 'A', { fifo: true, deadLetterQueue: standard })).toThrow(
      /deadLetterQueue TestStack\/Standard must be a FIFO queue/,
    );
    expect(() => new TracedQueue(stack, 'B', { deadLetterQueue: fifo })).toThrow(
      /a standard queue needs a standard dead-letter queue/,
    );
  });
});

describe('TracedQueue warnings for overridden safe defaults', () => {
  test('UNENCRYPTED and enforceSSL false', () => {
    const { stack } = newStack();
    new TracedQueue(stack, 'Q', { encryption: sqs.QueueEncryption.UNENCRYPTED, enforceSSL: false });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(
      '/TestStack/Q',
      Match.stringLikeRegexp('encryption is UNENCRYPTED.*\\[ack: cdk-serverless-tracing:queueUnencrypted\\]'),
    );
    annotations.hasWarning(
      '/TestStack/Q',
      Match.stringLikeRegexp('enforceSSL is false.*\\[ack: cdk-serverless-tracing:queueSslNotEnforced\\]'),
    );
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 0);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: false });
  });

  test('your own dead-letter queue: unencrypted, too short a retention, and deadLetterRetentionPeriod ignored', () => {
    const { stack } = newStack();
    const dlq = new sqs.Queue(stack, 'MyDlq', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    new TracedQueue(stack, 'Q', { deadLetterQueue: dlq, deadLetterRetentionPeriod: Duration.days(14) });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(
      '/TestStack/Q',
      Match.stringLikeRegexp('deadLetterQueue TestStack/MyDlq is not encrypted.*deadLetterQueueUnencrypted'),
    );
    annotations.hasWarning(
      '/TestStack/Q',
      Match.stringLikeRegexp(
        'keeps messages 4 days, not longer than the queue \\(4 days\\).*deadLetterRetentionShort',
      ),
    );
    annotations.hasWarning('/TestStack/Q', Match.stringLikeRegexp('deadLetterRetentionIgnored'));
  });
});

describe('TracedQueue.addConsumer', () => {
  test('an SQS event source that reports batch item failures, with the options passed on', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q', { visibilityTimeout: Duration.seconds(18) });
    const fn = traced(stack, 'Consumer');
    queue.addConsumer(fn, { batchSize: 20, maxBatchingWindow: Duration.seconds(5), maxConcurrency: 4 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [idOf(stack, queue.queue), 'Arn'] },
      FunctionName: { Ref: idOf(stack, fn) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 20,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
            Resource: { 'Fn::GetAtt': [idOf(stack, queue.queue), 'Arn'] },
          }),
        ]),
      },
    });
    // 18 s = 6 × the default 3-second timeout: no warning
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    expect(TraceEdges.of(stack).edges).toEqual([
      {
        from: 'TestStack/Q',
        to: 'TestStack/Consumer',
        kind: 'sqs-to-lambda',
        carriesContext: true,
        via: 'message-attributes',
      },
    ]);
  });

  test('reportBatchItemFailures: true is accepted, false is an error', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q', { visibilityTimeout: Duration.seconds(18) });
    expect(() => queue.addConsumer(traced(stack, 'A'), { reportBatchItemFailures: true })).not.toThrow();
    expect(() => queue.addConsumer(traced(stack, 'B'), { reportBatchItemFailures: false })).toThrow(
      /TracedQueue TestStack\/Q: reportBatchItemFailures must stay true.*remove reportBatchItemFailures/,
    );
  });

  test('an untraced Node.js consumer and no policy: the synth fails, naming the fixes (a policy, before or after the wiring)', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    const legacy = plainFunction(stack, 'Legacy');
    // A TracingPolicy added later (where apps add their Aspects) would trace it: known only at synth.
    expect(() => queue.addConsumer(legacy)).not.toThrow();
    expect(() => Template.fromStack(stack)).toThrow(
      'TracedQueue TestStack/Reconciliation: consumer TestStack/Legacy is not a TracedFunction, so its spans ' +
        'would not continue the trace of the messages it reads; make it a TracedFunction, add a TracingPolicy to ' +
        'a scope above it (Aspects.of(app).add(new TracingPolicy()), before or after this wiring) (or pass ' +
        '{ untraced: { reason } } to accept the broken trace)',
    );
  });

  test('a consumer no policy can trace is an error at once: another runtime, an imported function', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    const python = plainFunction(stack, 'Python', {
      runtime: lambda.Runtime.PYTHON_3_13,
      code: lambda.Code.fromInline('def handler(e, c): pass'),
    });
    expect(() => queue.addConsumer(python)).toThrow(
      'TracedQueue TestStack/Reconciliation: consumer TestStack/Python is not a TracedFunction, so its spans ' +
        'would not continue the trace of the messages it reads; a TracingPolicy traces only Node.js functions ' +
        '(its runtime is python3.13), so make it a TracedFunction (or pass { untraced: { reason } } to accept ' +
        'the broken trace)',
    );
    const imported = lambda.Function.fromFunctionName(stack, 'Imported', 'legacy-consumer');
    expect(() => queue.addConsumer(imported)).toThrow(
      /consumer TestStack\/Imported is not a TracedFunction, .*; make it a TracedFunction \(or pass/,
    );
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });

  test('untraced with a reason: accepted, with a warning and an edge that does not carry the context', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    const legacy = plainFunction(stack, 'Legacy');
    queue.addConsumer(legacy, { untraced: { reason: 'vendor code, migrated in Q3' } });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Reconciliation',
      Match.stringLikeRegexp(
        'consumer TestStack/Legacy is not a TracedFunction: the trace breaks at this queue \\(vendor code, migrated in Q3\\).*untracedConsumer',
      ),
    );
    expect(TraceEdges.of(stack).edges).toEqual([
      {
        from: 'TestStack/Reconciliation',
        to: 'TestStack/Legacy',
        kind: 'sqs-to-lambda',
        carriesContext: false,
        reason: 'vendor code, migrated in Q3',
      },
    ]);
  });

  test('untraced needs a reason, and is wrong on a traced consumer', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q', { visibilityTimeout: Duration.seconds(18) });
    expect(() => queue.addConsumer(plainFunction(stack, 'Legacy'), { untraced: { reason: ' ' } })).toThrow(
      /untraced.reason must say why TestStack\/Legacy may break the trace/,
    );
    expect(() => queue.addConsumer(traced(stack, 'Fn'), { untraced: { reason: 'x' } })).toThrow(
      /consumer TestStack\/Fn is a TracedFunction: remove untraced/,
    );
  });

  test('a visibility timeout below the consumer timeout is an error with the fix', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q', { visibilityTimeout: Duration.seconds(30) });
    const fn = traced(stack, 'Slow', { timeout: Duration.minutes(1) });
    expect(() => queue.addConsumer(fn)).toThrow(
      'TracedQueue TestStack/Q: visibilityTimeout (30 seconds) must be at least the timeout of consumer ' +
        'TestStack/Slow (1 minute), or AWS rejects the event source mapping; set visibilityTimeout to ' +
        'Duration.seconds(360) (6 × the timeout) or lower the function timeout',
    );
  });

  test('several consumer problems in one error', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q');
    const legacy = plainFunction(stack, 'Legacy', {
      timeout: Duration.minutes(5),
      runtime: lambda.Runtime.PYTHON_3_13,
      code: lambda.Code.fromInline('def handler(e, c): pass'),
    });
    expect(() => queue.addConsumer(legacy, { reportBatchItemFailures: false })).toThrow(
      /TracedQueue TestStack\/Q:\n {2}- consumer TestStack\/Legacy is not a TracedFunction.*\n {2}- reportBatchItemFailures.*\n {2}- visibilityTimeout/,
    );
  });

  test('a visibility timeout below 6 × the consumer timeout warns', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q', { visibilityTimeout: Duration.seconds(30) });
    queue.addConsumer(traced(stack, 'Fn', { timeout: Duration.seconds(10) }));
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Q',
      Match.stringLikeRegexp(
        'visibilityTimeout \\(30 seconds\\) is less than 6 × the timeout of consumer TestStack/Fn \\(10 seconds\\).*Duration.seconds\\(60\\).*visibilityTimeoutShort',
      ),
    );
  });

  test('defaults: 30 seconds is over 6 × the default 3-second timeout, no warning', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q');
    queue.addConsumer(traced(stack, 'Fn'));
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('the timeout of an imported consumer is unknown: not checked', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Q', { visibilityTimeout: Duration.seconds(10) });
    const imported = lambda.Function.fromFunctionArn(
      stack,
      'Imported',
      'arn:aws:lambda:eu-west-1:123456789012:function:x',
    );
    expect(() => queue.addConsumer(imported, { untraced: { reason: 'imported' } })).not.toThrow();
  });
});

describe('TracedQueue.grantSend', () => {
  test('sqs:SendMessage on the queue and the queue URL in <ID>_QUEUE_URL; the edge', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    const producer = traced(stack, 'Producer');
    const grant = queue.grantSend(producer);
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [idOf(stack, queue.queue), 'Arn'] },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ RECONCILIATION_QUEUE_URL: { Ref: idOf(stack, queue.queue) } }),
      },
    });
    expect(TraceEdges.of(stack).edges).toEqual([
      {
        from: 'TestStack/Producer',
        to: 'TestStack/Reconciliation',
        kind: 'sqs-send',
        carriesContext: true,
        via: 'message-attributes',
      },
    ]);
  });

  test('a custom variable name; an untraced producer is recorded as not carrying the context', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'PaymentEvents');
    const legacy = plainFunction(stack, 'Legacy');
    queue.grantSend(legacy, { environmentVariable: 'EVENTS_URL' });
    queue.grantSend(traced(stack, 'Fn'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { EVENTS_URL: { Ref: idOf(stack, queue.queue) } } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PAYMENT_EVENTS_QUEUE_URL: Match.anyValue() }) },
    });
    expect(TraceEdges.of(stack).from('TestStack/Legacy')).toEqual([
      {
        from: 'TestStack/Legacy',
        to: 'TestStack/PaymentEvents',
        kind: 'sqs-send',
        carriesContext: false,
        reason: 'TestStack/Legacy is not a TracedFunction, so it sends no trace context',
      },
    ]);
  });

  test('a role gets only sqs:SendMessage: no variable, no edge', () => {
    const { app, stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const grant = queue.grantSend(role);
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: idOf(stack, role) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [idOf(stack, queue.queue), 'Arn'] },
          }),
        ],
      },
    });
    template.resourceCountIs('AWS::Lambda::Function', 0);
    expect(TraceEdges.of(stack).edges).toEqual([]);
    expect(buildTraceMap(app).edges).toEqual([]);
  });

  test('an imported function gets only the grant; a variable name with it is an error', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', {
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:imported',
      role: iam.Role.fromRoleArn(stack, 'ImportedRole', 'arn:aws:iam::123456789012:role/imported'),
    });
    expect(queue.grantSend(imported).success).toBe(true);
    expect(TraceEdges.of(stack).edges).toEqual([]);
    expect(() => queue.grantSend(imported, { environmentVariable: 'URL' })).toThrow(
      /environmentVariable 'URL' needs a lambda.Function producer \(TestStack\/Imported is not one/,
    );
  });

  test('environmentVariable: false grants and records the edge but sets no variable', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    const producer = traced(stack, 'Producer');
    expect(queue.grantSend(producer, { environmentVariable: false }).success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']) })]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECONCILIATION_QUEUE_URL: Match.absent() }) },
    });
    expect(TraceEdges.of(stack).edges).toEqual([
      expect.objectContaining({
        from: 'TestStack/Producer',
        to: 'TestStack/Reconciliation',
        kind: 'sqs-send',
      }),
    ]);
  });

  test('environmentVariable: a name sets that variable instead of the default one', () => {
    const { stack } = newStack();
    const queue = new TracedQueue(stack, 'Reconciliation');
    queue.grantSend(traced(stack, 'Producer'), { environmentVariable: 'RECON_URL' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          RECON_URL: { Ref: idOf(stack, queue.queue) },
          RECONCILIATION_QUEUE_URL: Match.absent(),
        }),
      },
    });
  });

  test('an invalid variable name, or one already used for another queue, is an error', () => {
    const { stack } = newStack();
    const producer = traced(stack, 'Producer');
    const a = new TracedQueue(stack, 'A');
    const b = new TracedQueue(stack, 'B');
    expect(() => a.grantSend(producer, { environmentVariable: 'not-valid' })).toThrow(
      /environmentVariable 'not-valid' is not a valid environment variable name/,
    );
    a.grantSend(producer, { environmentVariable: 'QUEUE_URL' });
    expect(() => a.grantSend(producer, { environmentVariable: 'QUEUE_URL' })).not.toThrow();
    expect(() => b.grantSend(producer, { environmentVariable: 'QUEUE_URL' })).toThrow(
      /TracedQueue TestStack\/B: producer TestStack\/Producer already has QUEUE_URL, set for TestStack\/A/,
    );
  });
});
