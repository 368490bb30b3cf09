import * as fs from 'fs';
import * as path from 'path';
import {
  CfnResource,
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolatingResource,
  PolicyViolation,
  Stack,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { isTracedConstruct } from '../core/markers';
import { PACKAGE_ROOT } from '../core/package-paths';
import { RuleAcknowledgement, RULES_NAMESPACE } from './acknowledge';
import { findingsOn } from './private/findings';
import { RuleContext, RuleLevel, TracingRule } from './rule';
import { TRACING_RULES } from './rules';

const RULES_VALIDATION = Symbol.for('cdk-serverless-tracing.rules-validation');

/** Props of a `TracingRulesValidation`. */
export interface TracingRulesValidationProps {
  /**
   * The rules to check.
   *
   * @default TRACING_RULES - every rule of this library
   */
  readonly rules?: readonly TracingRule[];

  /**
   * Whether a function is traced by this library.
   *
   * @default - a function marked as traced: a `TracedFunction`, or one a `TracingPolicy` traced
   */
  readonly isTraced?: (fn: IConstruct) => boolean;
}

/**
 * The tracing rules as a CDK policy validation plugin: after synthesis it evaluates the same
 * rules, with the same acknowledgements, on every construct of the stacks it validates, and
 * reports each finding as a violation: the rule id, its summary and the finding, the fix, the
 * severity (`error` or `warning`), and the resource's logical id and template. Any error fails the
 * synth; warnings are printed and do not. Findings acknowledged with `acknowledgeRule` are left
 * out (the report's metadata lists them); those acknowledged with CDK's own
 * `Validations.of(scope).acknowledge({ id: 'cdk-serverless-tracing::<id>', reason })` are
 * suppressed by CDK (the report lists them as suppressed, with the reason).
 *
 * Registered on an App or a Stage, it is what reports the rules it checks there: a `TracingPolicy`
 * (or a `TracingRulesReport`) under that App or Stage leaves those rules to it, so each finding is
 * reported once.
 *
 * @example
 * Validations.of(app).addPlugins(new TracingRulesValidation());
 */
export class TracingRulesValidation implements IPolicyValidationPlugin {
  /** Whether a validation plugin is a `TracingRulesValidation` (of any copy of this library). */
  public static isTracingRulesValidation(x: unknown): x is TracingRulesValidation {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[RULES_VALIDATION] === true;
  }

  /** The plugin name in the validation report. */
  public readonly name = RULES_NAMESPACE;

  /** The version of this library. */
  public readonly version?: string = packageVersion();

  /** The ids of the rules it evaluates. */
  public readonly ruleIds: string[];

  private readonly rules: readonly TracingRule[];
  private readonly context: RuleContext;

  constructor(props: TracingRulesValidationProps = {}) {
    Object.defineProperty(this, RULES_VALIDATION, { value: true });
    this.rules = props.rules ?? TRACING_RULES;
    this.ruleIds = this.rules.map((r) => r.id);
    const isTraced = props.isTraced ?? isTracedConstruct;
    this.context = { isTraced: (fn) => isTraced(fn) };
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const templates = new Map(context.stackTemplates.map((s) => [s.stackConstructPath, s.templatePath]));
    const violations: PolicyViolation[] = [];
    const acknowledged: Record<string, string> = {};
    for (const node of context.appConstruct.node.findAll()) {
      const stack = stackOf(node);
      const templatePath = stack && templates.get(topLevel(stack).node.path);
      if (!stack || templatePath === undefined) {
        continue; // not in a stack this plugin validates
      }
      for (const finding of findingsOn(node, this.rules, this.context)) {
        const resource = violatingResource(node, stack, templatePath);
        if (finding.acknowledgement && !suppressedByCdk(finding.acknowledgement, node, stack)) {
          acknowledged[`acknowledged ${finding.rule.id} at ${node.node.path}`] =
            finding.acknowledgement.reason;
          continue;
        }
        // A finding acknowledged with CDK's own id (`cdk-serverless-tracing::<id>`) is reported:
        // CDK suppresses it, and lists it with its reason in the report's suppressed violations.
        violations.push({
          ruleName: finding.rule.id,
          description: `${finding.rule.summary} ${capitalize(finding.message)}.`,
          fix: finding.rule.fix,
          severity: finding.rule.level,
          violatingResources: [resource],
        });
      }
    }
    return {
      success: violations.every((v) => v.severity !== RuleLevel.ERROR),
      violations,
      ...(Object.keys(acknowledged).length > 0 ? { metadata: acknowledged } : {}),
    };
  }
}

/**
 * Whether CDK suppresses the violation of an acknowledged finding itself: an acknowledgement
 * given with `Validations.of(scope).acknowledge({ id: 'cdk-serverless-tracing::<id>' })` on the
 * violating resource or a scope above it (CDK matches the construct path of the resource).
 */
function suppressedByCdk(acknowledgement: RuleAcknowledgement, node: IConstruct, stack: Stack): boolean {
  if (acknowledgement.source !== 'validations') return false;
  const resource = resourceOf(node);
  const path = resource && !stack.nested ? resource.node.path : node.node.path;
  const at = acknowledgement.scopePath === '<app>' ? '' : acknowledgement.scopePath;
  return at === '' || path === at || path.startsWith(`${at}/`);
}

/** The construct's `CfnResource`: itself or its default child. */
function resourceOf(node: IConstruct): CfnResource | undefined {
  return node instanceof CfnResource
    ? node
    : node.node.defaultChild instanceof CfnResource
      ? node.node.defaultChild
      : undefined;
}

/** The resource of a finding: the construct's `CfnResource` (itself or its default child). */
function violatingResource(node: IConstruct, stack: Stack, templatePath: string): PolicyViolatingResource {
  const resource = resourceOf(node);
  if (resource && !stack.nested) {
    return { resourceLogicalId: stack.resolve(resource.logicalId) as string, templatePath, locations: [] };
  }
  // A construct without a resource of its own, or one in a nested stack (not in a template of the report).
  return { constructPath: node.node.path, ...(stack.nested ? {} : { templatePath }), locations: [] };
}

function stackOf(node: IConstruct): Stack | undefined {
  const scopes = node.node.scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    if (Stack.isStack(scopes[i])) {
      return scopes[i] as Stack;
    }
  }
  return undefined;
}

function topLevel(stack: Stack): Stack {
  return stack.nestedStackParent ? topLevel(stack.nestedStackParent) : stack;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function packageVersion(): string | undefined {
  try {
    const file = path.join(PACKAGE_ROOT, 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
