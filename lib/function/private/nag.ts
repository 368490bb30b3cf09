import { Aspects, IAspect, Token, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

/**
 * Why a traced function has no Lambda active tracing (cdk-nag `Serverless-LambdaTracing`): the
 * library traces it with OpenTelemetry and exports the spans through its collector (to X-Ray's
 * OTLP endpoint with Transaction Search, or any OTLP backend); active tracing would add Lambda's
 * own X-Ray segments, as a trace of their own.
 */
export const ACTIVE_TRACING_REASON =
  'traced with OpenTelemetry by cdk-serverless-tracing: its spans go through the collector to the ' +
  "configured backend (X-Ray's OTLP endpoint with Transaction Search, or any OTLP endpoint); Lambda " +
  "active tracing would only add Lambda's own X-Ray segments, in a trace of their own. Set " +
  'tracing: lambda.Tracing.ACTIVE to have them too';

/** Why a function that nothing invokes asynchronously needs no dead-letter queue. */
export const SYNCHRONOUS_DLQ_REASON =
  'no asynchronous invoker of this function is declared in the app (no permission for SNS, S3, ' +
  'EventBridge, CloudWatch Logs, SES, IoT, AWS Config, CodeCommit or CodePipeline, no ' +
  'asynchronous invoke configuration): a function dead-letter queue holds failed asynchronous ' +
  "invocations only; an SQS source's failed messages go to that queue's own dead-letter queue. " +
  'TracedTopic.addFunctionSubscription gives the function one';

/**
 * The service principals that invoke a function asynchronously (Lambda's "Invoking a function
 * asynchronously"), as their permissions name them.
 */
const ASYNC_PRINCIPAL =
  /^(sns|s3|events|ses|iot|iotevents|codecommit|config|codepipeline|lambda\.alarms\.cloudwatch|logs(\.[a-z0-9-]+)?)\.amazonaws\.com(\.cn)?$/;

/**
 * The cdk-nag findings a `TracedFunction` accepts by design, acknowledged on it with the reason:
 * `Serverless-LambdaTracing` always (see `ACTIVE_TRACING_REASON`), and `Serverless-LambdaDLQ`
 * when, at synth, the function has no dead-letter target and nothing invokes it asynchronously
 * (decided after the app is built: an SNS subscription or an EventBridge rule added later still
 * counts).
 */
export function acknowledgeTracedFunction(fn: lambda.Function): void {
  Validations.of(fn).acknowledge({
    id: 'Serverless::Serverless-LambdaTracing',
    reason: ACTIVE_TRACING_REASON,
  });
  Aspects.of(fn).add(new SynchronousDeadLetterAcknowledgement(fn));
}

/** Acknowledges `Serverless-LambdaDLQ` on a function invoked synchronously only. */
class SynchronousDeadLetterAcknowledgement implements IAspect {
  private done = false;

  constructor(private readonly fn: lambda.Function) {}

  public visit(node: IConstruct): void {
    if (node !== this.fn || this.done) return;
    this.done = true;
    const cfn = this.fn.node.defaultChild as lambda.CfnFunction;
    if (cfn.deadLetterConfig !== undefined || invokedAsynchronously(this.fn)) return;
    Validations.of(cfn).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason: SYNCHRONOUS_DLQ_REASON,
    });
  }
}

/**
 * Whether something in the app invokes the function asynchronously: a permission of an
 * asynchronous service (or one whose principal is not known at synth), or an asynchronous invoke
 * configuration.
 */
export function invokedAsynchronously(fn: lambda.Function): boolean {
  const invoked = asynchronouslyInvoked(fn.node.root);
  return invoked.has(fn.functionArn) || invoked.has(fn.functionName);
}

/** The functions (as their permissions and invoke configurations name them) invoked asynchronously, per app. */
const asyncIndexes = new WeakMap<IConstruct, ReadonlySet<string>>();

/**
 * What the permissions and invoke configurations of an app name as invoked asynchronously. Read
 * once per synthesis (every traced function asks during the same aspect pass), forgotten after it.
 */
function asynchronouslyInvoked(root: IConstruct): ReadonlySet<string> {
  const cached = asyncIndexes.get(root);
  if (cached) return cached;
  const invoked = new Set<string>();
  for (const node of root.node.findAll()) {
    if (node instanceof lambda.CfnEventInvokeConfig) {
      invoked.add(node.functionName);
    } else if (
      node instanceof lambda.CfnPermission &&
      (Token.isUnresolved(node.principal) || ASYNC_PRINCIPAL.test(node.principal))
    ) {
      invoked.add(node.functionName);
    }
  }
  asyncIndexes.set(root, invoked);
  queueMicrotask(() => asyncIndexes.delete(root));
  return invoked;
}
