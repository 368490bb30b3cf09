import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, RuleLevel, RuleResult, TracingRule } from '../../rule';
import { currentValue, functionTarget, isPlainObject } from '../../private/values';

/** The id of the rule {@link logRetention}. */
export const LOG_RETENTION = 'CST-LogRetention';

const RETENTION_REPORTED = Symbol.for('cdk-serverless-tracing.log-retention-reported');

/**
 * Marks a log group whose missing retention is already reported elsewhere (by the function that
 * created it), so it is not reported twice.
 */
export function retentionReportedElsewhere(logGroup: IConstruct): void {
  (logGroup as IConstruct & Record<symbol, unknown>)[RETENTION_REPORTED] = true;
}

/** What the log-retention detection found on one construct. */
export interface RetentionFinding {
  /** The result: `non-compliant` with a message that says what is missing (not how to fix it). */
  readonly result: RuleResult;
  /** What lacks a retention, when something does. */
  readonly kind?: 'log-group' | 'function';
}

/**
 * The detection, shared by this rule and the log-retention check of `TracingSettings`: a log
 * group (`logs.LogGroup`, or a `CfnLogGroup` of its own) without `retentionInDays`, and a function
 * that is not traced and has no log group of its own (no `loggingConfig.logGroup`, no legacy
 * `logRetention`), whose logs go to the `/aws/lambda/<name>` group Lambda creates without
 * retention.
 */
export function findMissingRetention(
  node: IConstruct,
  isTraced: (fn: IConstruct) => boolean,
): RetentionFinding {
  const logGroup = logGroupResource(node);
  if (logGroup) {
    if (marked(node) || marked(logGroup)) {
      return { result: NOT_APPLICABLE };
    }
    return currentValue(logGroup.retentionInDays, logGroup) === undefined
      ? {
          kind: 'log-group',
          result: nonCompliant(
            `log group ${node.node.path} has no retention: its logs are kept (and billed) forever`,
          ),
        }
      : { result: COMPLIANT };
  }
  const fn = functionTarget(node);
  if (!fn) {
    return { result: NOT_APPLICABLE };
  }
  if (isTraced(fn.construct)) {
    return { result: COMPLIANT }; // a traced function gets a log group with the settings' retention
  }
  const config = currentValue(fn.resource.loggingConfig, fn.resource);
  if (config !== undefined && !isPlainObject(config)) {
    return { result: NOT_APPLICABLE };
  }
  if (config?.logGroup !== undefined || fn.construct.node.tryFindChild('LogRetention') !== undefined) {
    return { result: COMPLIANT };
  }
  return {
    kind: 'function',
    result: nonCompliant(
      `function ${fn.construct.node.path} writes to the log group Lambda creates for it, which keeps logs forever`,
    ),
  };
}

/**
 * `CST-LogRetention`: a log group without retention, or a function that is not traced and writes
 * to the log group Lambda creates for it (kept forever).
 */
export const logRetention: TracingRule = {
  id: LOG_RETENTION,
  level: RuleLevel.WARNING,
  summary:
    'A log group without retention, or a function without a log group of its own (Lambda creates ' +
    '/aws/lambda/<name> without retention), keeps and bills its logs forever.',
  fix:
    'Set the retention of the log group (e.g. logs.RetentionDays.ONE_MONTH); give a function its own, ' +
    "logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }), or trace it " +
    '(a TracingPolicy gives the functions it traces a log group)',
  evaluate(node, context) {
    return findMissingRetention(node, (fn) => context.isTraced(fn)).result;
  },
};

/** The `CfnLogGroup` a node stands for: a `logs.LogGroup`'s, or a `CfnLogGroup` of its own. */
function logGroupResource(node: IConstruct): logs.CfnLogGroup | undefined {
  if (node instanceof logs.LogGroup) {
    const resource = node.node.defaultChild;
    return resource instanceof logs.CfnLogGroup ? resource : undefined;
  }
  if (
    node instanceof logs.CfnLogGroup &&
    !(node.node.scope instanceof logs.LogGroup && node.node.scope.node.defaultChild === node)
  ) {
    return node;
  }
  return undefined;
}

function marked(c: IConstruct): boolean {
  return (c as IConstruct & Record<symbol, unknown>)[RETENTION_REPORTED] === true;
}
