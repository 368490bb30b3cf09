import { Annotations, Aspects, IAspect, Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { isPolicyReported } from '../policy/policy-reporting';
import { findMissingRetention } from '../policy/rules/logs/log-retention';
import { SETTINGS_ID, WARNING_PREFIX } from './constants';
import { isTracedConstruct } from './messaging';

export { retentionReportedElsewhere } from '../policy/rules/logs/log-retention';

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
    if (finding.result.compliance !== 'non-compliant' || isPolicyReported(node) || !this.inReach(node)) {
      return;
    }
    if (finding.kind === 'log-group') {
      Annotations.of(node).addWarningV2(
        `${WARNING_PREFIX}logGroupWithoutRetention`,
        `${finding.result.message}; set retention, e.g. logs.RetentionDays.ONE_MONTH`,
      );
    } else {
      Annotations.of(node).addWarningV2(
        `${WARNING_PREFIX}functionLogGroupWithoutRetention`,
        `${finding.result.message}: give it logGroup: new logs.LogGroup(this, 'Logs', { retention: ` +
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
