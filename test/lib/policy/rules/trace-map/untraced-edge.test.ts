import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TracedFunction } from '../../../../../lib/function';
import { TracedQueue, TracedTopic } from '../../../../../lib/messaging';
import { UNTRACED_EDGE, untracedEdge } from '../../../../../lib/policy';
import { fixture, newStack, plainFunction } from '../../../../helpers/stack';
import { COMPLIANT, evaluate, nonCompliant, NOT_APPLICABLE, resourceOf } from '../evaluate';

function traced(stack: Stack, id: string): TracedFunction {
  return new TracedFunction(stack, id, { entry: fixture('hello.ts') });
}

describe(`${UNTRACED_EDGE} (error)`, () => {
  test('the id and level', () => {
    expect(untracedEdge.id).toBe('CST-UntracedEdge');
    expect(untracedEdge.level).toBe('error');
  });

  describe('edges of the trace map', () => {
    test('a consumer accepted untraced: non-compliant, naming both ends and the reason', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      orders.grantSend(traced(stack, 'Checkout'));
      const legacy = plainFunction(stack, 'Legacy');
      orders.addConsumer(legacy, { untraced: { reason: 'the legacy batch job' } });
      expect(evaluate(untracedEdge, legacy)).toEqual(
        nonCompliant(
          'the trace breaks at TestStack/Orders → TestStack/Legacy (sqs-to-lambda: the legacy batch job)',
        ),
      );
    });

    test('a topic subscriber accepted untraced: non-compliant', () => {
      const { stack } = newStack();
      const payments = new TracedTopic(stack, 'Payments');
      const audit = plainFunction(stack, 'Audit');
      payments.addFunctionSubscription(audit, { untraced: { reason: 'owned by the audit team' } });
      expect(evaluate(untracedEdge, audit)).toEqual(
        nonCompliant(
          'the trace breaks at TestStack/Payments → TestStack/Audit (sns-to-lambda: owned by the audit team)',
        ),
      );
    });

    test('a producer that is not traced: non-compliant on the producer', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      const producer = plainFunction(stack, 'Producer');
      orders.grantSend(producer);
      expect(evaluate(untracedEdge, producer)).toEqual(
        nonCompliant(
          'the trace breaks at TestStack/Producer → TestStack/Orders (sqs-send: TestStack/Producer is not a ' +
            'TracedFunction, so it sends no trace context)',
        ),
      );
    });

    test('traced ends: compliant', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      const checkout = traced(stack, 'Checkout');
      const fulfil = traced(stack, 'Fulfil');
      orders.grantSend(checkout);
      orders.addConsumer(fulfil);
      expect(evaluate(untracedEdge, checkout)).toEqual(COMPLIANT);
      expect(evaluate(untracedEdge, fulfil)).toEqual(COMPLIANT);
    });

    test('a consumer that the context says is traced (a TracingPolicy traces it): compliant', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      const legacy = plainFunction(stack, 'Legacy');
      orders.addConsumer(legacy, { untraced: { reason: 'the legacy batch job' } });
      expect(evaluate(untracedEdge, legacy, (fn) => fn === legacy)).toEqual(COMPLIANT);
    });

    test('the queue end of a consumer edge, and constructs off the map: not applicable', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      orders.addConsumer(plainFunction(stack, 'Legacy'), { untraced: { reason: 'legacy' } });
      expect(evaluate(untracedEdge, orders)).toEqual(NOT_APPLICABLE);
      expect(evaluate(untracedEdge, plainFunction(stack, 'Alone'))).toEqual(NOT_APPLICABLE);
      expect(evaluate(untracedEdge, stack)).toEqual(NOT_APPLICABLE);
    });
  });

  describe('plain SQS event source mappings', () => {
    test('from a queue with traced producers into a function that is not traced: non-compliant', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      orders.grantSend(traced(stack, 'Checkout'));
      const plain = plainFunction(stack, 'Plain');
      plain.addEventSource(new lambdaEventSources.SqsEventSource(orders.queue));
      expect(evaluate(untracedEdge, plain)).toEqual(
        nonCompliant(
          'the trace breaks at TestStack/Orders → TestStack/Plain (an SQS event source: what TestStack/Checkout ' +
            'sends into the queue carries the trace context, and TestStack/Plain is not traced, so it does not read it)',
        ),
      );
    });

    test('an L1 mapping from a queue that a topic feeds, into a CfnFunction: non-compliant', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      new TracedTopic(stack, 'Payments').addQueueSubscription(orders);
      const cfn = new lambda.CfnFunction(stack, 'Raw', {
        runtime: 'nodejs22.x',
        handler: 'index.handler',
        role: 'arn:aws:iam::123456789012:role/raw',
        code: { zipFile: 'exports.handler = async () => undefined;' },
      });
      new lambda.CfnEventSourceMapping(stack, 'Mapping', {
        eventSourceArn: orders.queueArn,
        functionName: cfn.ref,
      });
      expect(evaluate(untracedEdge, cfn)).toEqual(
        nonCompliant(
          /^the trace breaks at TestStack\/Orders → TestStack\/Raw \(an SQS event source: what TestStack\/Payments sends/,
        ),
      );
    });

    test('into a traced function: compliant; from a queue without traced producers: not applicable', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      orders.grantSend(traced(stack, 'Checkout'));
      const plain = plainFunction(stack, 'Plain');
      plain.addEventSource(new lambdaEventSources.SqsEventSource(orders.queue));
      expect(evaluate(untracedEdge, plain, () => true)).toEqual(COMPLIANT);

      const quiet = new sqs.Queue(stack, 'Quiet');
      const reader = plainFunction(stack, 'Reader');
      reader.addEventSource(new lambdaEventSources.SqsEventSource(quiet));
      expect(evaluate(untracedEdge, reader)).toEqual(NOT_APPLICABLE);
    });

    test('a mapping that TracedQueue.addConsumer wired is reported once, as its edge', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      orders.grantSend(traced(stack, 'Checkout'));
      const legacy = plainFunction(stack, 'Legacy');
      orders.addConsumer(legacy, { untraced: { reason: 'legacy' } });
      const result = evaluate(untracedEdge, legacy);
      expect(result).toEqual(
        nonCompliant('the trace breaks at TestStack/Orders → TestStack/Legacy (sqs-to-lambda: legacy)'),
      );
    });

    test('the CfnFunction of a lambda.Function is evaluated on the L2 only', () => {
      const { stack } = newStack();
      const orders = new TracedQueue(stack, 'Orders');
      orders.grantSend(traced(stack, 'Checkout'));
      const plain = plainFunction(stack, 'Plain');
      plain.addEventSource(new lambdaEventSources.SqsEventSource(orders.queue));
      expect(evaluate(untracedEdge, resourceOf(plain))).toEqual(NOT_APPLICABLE);
    });
  });
});
