import { Annotations, IAspect, IPolicyValidationPlugin, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { WARNING_PREFIX } from '../core/constants';
import { isTracedConstruct, markPolicyReporting } from '../core/markers';
import { findingsOn, findingText } from './private/findings';
import { RuleContext, RuleLevel, TracingRule } from './rule';
import { LOG_RETENTION, TRACING_RULES } from './rules';
import { TracingRulesValidation } from './tracing-rules-validation';

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
 * `acknowledgeRule`, or with `Validations.of(scope).acknowledge({ id: 'cdk-serverless-tracing::<id>',
 * reason })`, is an info annotation `[<id>] acknowledged: <reason>` instead.
 *
 * Each finding is reported once: the findings of the rules that a `TracingRulesValidation`
 * registered on an enclosing App or Stage checks are left to it (it reports them in the validation
 * report); an acknowledged one is still an info line here, with its reason.
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
  /** The rule ids of the `TracingRulesValidation`s of each stage, read once (plugins are added before synth). */
  private readonly pluginRulesByStage = new Map<Stage, ReadonlySet<string>>();

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
    const pluginRules = this.rulesOfPlugins(node);
    for (const finding of findingsOn(node, this.rules, this.context)) {
      const id = finding.rule.id;
      if (finding.acknowledgement) {
        // Not a finding any more: the reason shows in the synth output, plugin or not.
        Annotations.of(node).addInfo(`[${id}] acknowledged: ${finding.acknowledgement.reason}`);
      } else if (pluginRules.has(id)) {
        continue; // the validation plugin reports it
      } else if (finding.rule.level === RuleLevel.ERROR) {
        Annotations.of(node).addError(findingText(finding));
      } else {
        Annotations.of(node).addWarningV2(`${WARNING_PREFIX}${id}`, findingText(finding));
      }
    }
  }

  /** The ids of the rules a `TracingRulesValidation` of an App or Stage above the node checks. */
  private rulesOfPlugins(node: IConstruct): ReadonlySet<string> {
    const ids = new Set<string>();
    for (const scope of node.node.scopes) {
      if (!Stage.isStage(scope)) continue;
      let stageIds = this.pluginRulesByStage.get(scope);
      if (!stageIds) {
        stageIds = new Set(
          validationPlugins(scope)
            .filter((p) => TracingRulesValidation.isTracingRulesValidation(p))
            .flatMap((p) => (p as TracingRulesValidation).ruleIds),
        );
        this.pluginRulesByStage.set(scope, stageIds);
      }
      stageIds.forEach((id) => ids.add(id));
    }
    return ids;
  }
}

/**
 * The validation plugins registered on a stage (`Validations.of(stage).addPlugins`). CDK keeps
 * them in an internal list: read defensively.
 */
function validationPlugins(stage: Stage): readonly IPolicyValidationPlugin[] {
  const plugins = (stage as unknown as { _validationPlugins?: unknown })._validationPlugins;
  return Array.isArray(plugins) ? (plugins as IPolicyValidationPlugin[]) : [];
}
