import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleLevel, RuleResult, TracingRule } from '../../rule';
import { functionTarget, isCdkCustomResourceFunction, literalString } from '../../../core/resource-values';

/** The id of the rule {@link nonNodeRuntime}. */
export const NON_NODE_RUNTIME = 'CST-NonNodeRuntime';

/**
 * `CST-NonNodeRuntime`: a Lambda function (`lambda.Function` or a `CfnFunction` of its own) whose
 * runtime is not Node.js — Python, Java, .NET, Ruby, an OS-only runtime (`provided.al2023`), a
 * container image — which this library cannot instrument. Node.js functions are compliant; CDK's
 * own custom-resource functions and runtimes only known at deploy time are not applicable.
 */
export const nonNodeRuntime: TracingRule = {
  id: NON_NODE_RUNTIME,
  level: RuleLevel.WARNING,
  summary:
    'A Lambda function whose runtime is not Node.js (Python, Java, provided.al2023, a container image…) ' +
    'cannot be traced by this library.',
  fix:
    "Trace it with its language's OpenTelemetry SDK or Lambda layer (it reads the same traceparent " +
    'message attributes), or move it to Node.js; to accept it untraced, ' +
    `acknowledgeRule(fn, '${NON_NODE_RUNTIME}', reason)`,
  evaluate(node: IConstruct): RuleResult {
    const fn = functionTarget(node);
    if (!fn || isCdkCustomResourceFunction(fn.construct)) {
      return NOT_APPLICABLE;
    }
    const path = fn.construct.node.path;
    const notTraced = 'this library traces Node.js functions only, so its invocations are not traced';
    if (literalString(fn.resource.packageType) === 'Image') {
      return nonCompliant(`function ${path} is a container image: ${notTraced}`);
    }
    if (
      fn.construct instanceof lambda.Function &&
      fn.construct.runtime.family === lambda.RuntimeFamily.NODEJS
    ) {
      return COMPLIANT;
    }
    const runtime = literalString(fn.resource.runtime);
    if (runtime === undefined) {
      return NOT_APPLICABLE;
    }
    return runtime.startsWith('nodejs')
      ? COMPLIANT
      : nonCompliant(`function ${path} runs ${runtime}: ${notTraced}`);
  },
};
