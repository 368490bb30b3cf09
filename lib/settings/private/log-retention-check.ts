import { Annotations, Aspects, IAspect, Stack, Stage } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { SETTINGS_ID, WARNING_PREFIX } from '../../core/constants';
import { isPolicyReported, isTracedConstruct } from '../../core/markers';
import { currentValue, functionTarget, isPlainObject } from '../../core/resource-values';

const RETENTION_REPORTED = Symbol.for('cdk-serverless-tracing.log-retention-reported');

/**
 * Marks a log group whose missing retention is already reported elsewhere (by the function that
 * created it), so it is not reported twice.
 */
export function retentionReportedElsewhere(logGroup: IConstruct): void {
  (logGroup as IConstruct & Record<symbol, unknown>)[RETENTION_REPORTED] = true;
}

/**
 * What the log-retention detection found on one construct: `non-compliant` with what lacks a
 * retention and a message that says so (not how to fix it), `compliant`, or `not-applicable`.
 */
export type RetentionFinding =
  | { readonly compliance: 'compliant' | 'not-applicable' }
  | {
      readonly compliance: 'non-compliant';
      readonly kind: 'log-group' | 'function';
      readonly message: string;
    };

const NOT_APPLICABLE: RetentionFinding = { compliance: 'not-applicable' };
const COMPLIANT: RetentionFinding = { compliance: 'compliant' };

/**
 * The detection, shared by the rule `CST-LogRetention` and the log-retention check of `TracingSettings`: a log
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
      return NOT_APPLICABLE;
    }
    return currentValue(logGroup.retentionInDays, logGroup) === undefined
      ? {
          compliance: 'non-compliant',
          kind: 'log-group',
          message: `log group ${node.node.path} has no retention: its logs are kept (and billed) forever`,
        }
      : COMPLIANT;
  }
  const fn = functionTarget(node);
  if (!fn) {
    return NOT_APPLICABLE;
  }
  if (isTraced(fn.construct)) {
    return COMPLIANT; // a traced function gets a log group with the settings' retention
  }
  const config = currentValue(fn.resource.loggingConfig, fn.resource);
  if (config !== undefined && !isPlainObject(config)) {
    return NOT_APPLICABLE;
  }
  if (config?.logGroup !== undefined || fn.construct.node.tryFindChild('LogRetention') !== undefined) {
    return COMPLIANT;
  }
  return {
    compliance: 'non-compliant',
    kind: 'function',
    message: `function ${fn.construct.node.path} writes to the log group Lambda creates for it, which keeps logs forever`,
  };
}

const CHECK_REGISTERED = Symbol.for('cdk-serverless-tracing.log-retention-check');

/**
 * Warn, at synth, about every log group without retention in the library's reach: the stacks
 * that hold a construct of this library or sit under `TracingSettings`. A log group without
 * retention keeps (and bills) its logs forever; a Lambda function without a log group of its
 * own writes to `/aws/lambda/<name>`, which Lambda creates that way. Registered once per stage.
 *
 * The detection is the rule `CST-LogRetention` (`findMissingRetention`); where a rules report
 * covers the construct (`markPolicyReporting`), the rule reports it and this check stays quiet.
 */
export function checkLogRetention(scope: IConstruct): void {
  // Aspects of an app do not reach into its stages: register once per stage (the app is one).
  const stage = (Stage.of(scope) ?? scope.node.root) as IConstruct & Record<symbol, unknown>;
  if (stage[CHECK_REGISTERED]) return;
  stage[CHECK_REGISTERED] = true;
  Aspects.of(stage).add(new LogRetentionCheck());
}

class LogRetentionCheck implements IAspect {
  private readonly reach = new Map<Stack, boolean>();

  public visit(node: IConstruct): void {
    const finding = findMissingRetention(node, isTracedConstruct);
    if (finding.compliance !== 'non-compliant' || isPolicyReported(node) || !this.inReach(node)) {
      return;
    }
    if (finding.kind === 'log-group') {
      Annotations.of(node).addWarningV2(
        `${WARNING_PREFIX}logGroupWithoutRetention`,
        `${finding.message}; set retention, e.g. logs.RetentionDays.ONE_MONTH`,
      );
    } else {
      Annotations.of(node).addWarningV2(
        `${WARNING_PREFIX}functionLogGroupWithoutRetention`,
        `${finding.message}: give it logGroup: new logs.LogGroup(this, 'Logs', { retention: ` +
          'logs.RetentionDays.ONE_MONTH })',
      );
    }
  }

  private inReach(node: IConstruct): boolean {
    const stack = Stack.of(node);
    let known = this.reach.get(stack);
    if (known === undefined) {
      known =
        stack.node.scopes.some((s) => s.node.tryFindChild(SETTINGS_ID) !== undefined) ||
        stack.node
          .findAll()
          .some((c) => isTracedConstruct(c) || c.node.tryFindChild(SETTINGS_ID) !== undefined);
      this.reach.set(stack, known);
    }
    return known;
  }
}

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
