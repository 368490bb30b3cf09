import { Annotations, Aspects, IAspect, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { SETTINGS_ID, WARNING_PREFIX } from './constants';
import { isTracedConstruct } from './messaging';

const CHECK_REGISTERED = Symbol.for('cdk-serverless-tracing.log-retention-check');
const RETENTION_REPORTED = Symbol.for('cdk-serverless-tracing.log-retention-reported');

/**
 * Warn, at synth, about every log group without retention in the library's reach: the stacks
 * that hold a construct of this library or sit under `TracingSettings`. A log group without
 * retention keeps (and bills) its logs forever; a Lambda function without a log group of its
 * own writes to `/aws/lambda/<name>`, which Lambda creates that way. Registered once per app.
 */
export function checkLogRetention(scope: IConstruct): void {
  const root = scope.node.root as IConstruct & Record<symbol, unknown>;
  if (root[CHECK_REGISTERED]) return;
  root[CHECK_REGISTERED] = true;
  Aspects.of(root).add(new LogRetentionCheck());
}

/**
 * Marks a log group whose missing retention is already reported elsewhere (by the function that
 * created it), so the check does not report it twice.
 */
export function retentionReportedElsewhere(logGroup: IConstruct): void {
  (logGroup as IConstruct & Record<symbol, unknown>)[RETENTION_REPORTED] = true;
}

class LogRetentionCheck implements IAspect {
  private readonly reach = new Map<Stack, boolean>();

  public visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup) {
      const owner = node.node.scope as IConstruct & Record<symbol, unknown>;
      if (node.retentionInDays === undefined && !owner[RETENTION_REPORTED] && this.inReach(node)) {
        Annotations.of(owner).addWarningV2(
          `${WARNING_PREFIX}logGroupWithoutRetention`,
          `log group ${owner.node.path} has no retention: its logs are kept (and billed) forever; ` +
            'set retention, e.g. logs.RetentionDays.ONE_MONTH',
        );
      }
    } else if (node instanceof lambda.Function && !isTracedConstruct(node) && this.inReach(node)) {
      const cfn = node.node.defaultChild as lambda.CfnFunction;
      const config = cfn.loggingConfig as lambda.CfnFunction.LoggingConfigProperty | undefined;
      if (!config?.logGroup && !node.node.tryFindChild('LogRetention')) {
        Annotations.of(node).addWarningV2(
          `${WARNING_PREFIX}functionLogGroupWithoutRetention`,
          `function ${node.node.path} writes to the log group Lambda creates for it, which keeps logs ` +
            "forever: give it logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH })",
        );
      }
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
