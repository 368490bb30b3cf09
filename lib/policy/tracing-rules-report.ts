import { Annotations, IAspect } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { WARNING_PREFIX } from '../core/constants';
import { isTracedConstruct, markPolicyReporting } from '../core/markers';
import { findingsOn, findingText } from './private/findings';
import { RuleContext, RuleLevel, TracingRule } from './rule';
import { LOG_RETENTION, TRACING_RULES } from './rules';

/** Props of a `TracingRulesReport`. */
export interface TracingRulesReportProps {
  /**
   * The rules to report.
   *
   * @default TRACING_RULES - every rule of this library
   */
  readonly rules?: readonly TracingRule[];

  /**
   * Whether a function is traced by this library (or will be: a `TracingPolicy` passes its own).
   *
   * @default - a function marked as traced: a `TracedFunction`, or one a `TracingPolicy` traced
   */
  readonly isTraced?: (fn: IConstruct) => boolean;
}

/**
 * Reports the tracing rules on every construct of its scope, and changes nothing: a finding of an
 * error rule is an error annotation `[<id>] <message> (<fix>)` (the synth fails), one of a warning
 * rule a warning `cdk-serverless-tracing:<id>` with the same text. A finding acknowledged with
 * `acknowledgeRule` is an info annotation `[<id>] acknowledged: <reason>` instead.
 *
 * With the `CST-LogRetention` rule, it marks the scope it is added to (`markPolicyReporting`), so
 * the log-retention warnings of `TracingSettings` do not repeat its findings there.
 *
 * @example
 * Aspects.of(app).add(new TracingRulesReport(), { priority: AspectPriority.READONLY });
 */
export class TracingRulesReport implements IAspect {
  private readonly rules: readonly TracingRule[];
  private readonly context: RuleContext;
  private visited = false;

  constructor(props: TracingRulesReportProps = {}) {
    this.rules = props.rules ?? TRACING_RULES;
    const isTraced = props.isTraced ?? isTracedConstruct;
    this.context = { isTraced: (fn) => isTraced(fn) };
  }

  public visit(node: IConstruct): void {
    if (!this.visited) {
      this.visited = true;
      if (this.rules.some((r) => r.id === LOG_RETENTION)) {
        markPolicyReporting(node); // the first construct visited: the scope this report was added to
      }
    }
    for (const finding of findingsOn(node, this.rules, this.context)) {
      const id = finding.rule.id;
      if (finding.acknowledgement) {
        Annotations.of(node).addInfo(`[${id}] acknowledged: ${finding.acknowledgement.reason}`);
      } else if (finding.rule.level === RuleLevel.ERROR) {
        Annotations.of(node).addError(findingText(finding));
      } else {
        Annotations.of(node).addWarningV2(`${WARNING_PREFIX}${id}`, findingText(finding));
      }
    }
  }
}
