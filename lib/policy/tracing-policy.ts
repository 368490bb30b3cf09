import { Annotations, Aspects, IAspect, Stack, Stage, Token, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { ENV, WARNING_PREFIX } from '../core/constants';
import { ORIGINAL_HANDLER_ENV, SHIM_HANDLER } from '../core/layer-constants';
import {
  isTracedConstruct,
  markOptedOut,
  markPolicyAspect,
  markTraced,
  optedOutReason,
} from '../core/markers';
import { isCdkCustomResourceFunction } from '../core/resource-values';
import { TracingLayer } from '../layer/tracing-layer';
import { AlwaysKeepKind } from '../settings/always-keep';
import { alwaysKeepErrors, consumesQueue } from '../settings/private/sampling-rules';
import { TracingSettings, TracingSettingsProps } from '../settings/tracing-settings';
import { TraceEdges } from '../trace-map/trace-edges';
import { resolveTracingOptions, ResolvedTracingOptions } from '../wiring/options';
import { attachCollector, renderFunctionCollectorConfig, tracingEnvironment } from '../wiring/tracing-wiring';
import { tracingOptionErrors } from '../wiring/validate-options';
import { TracingRulesReport } from './tracing-rules-report';

/** Props of a `TracingPolicy`: the tracing settings it applies, and what it leaves alone. */
export interface TracingPolicyProps extends TracingSettingsProps {
  /**
   * Also trace the functions of CDK's own custom resources (`AwsCustomResource`, `Provider`,
   * `BucketDeployment` and other singleton functions).
   *
   * @default false - they are CDK's plumbing: left alone
   */
  readonly traceCustomResources?: boolean;

  /**
   * Report the rules (`TRACING_RULES`) as annotations on the constructs they find: an error
   * (the synth fails) for an error rule, a warning `cdk-serverless-tracing:<id>` for a warning
   * rule, an info line for an acknowledged finding. The rules that a `TracingRulesValidation`
   * registered on an enclosing App or Stage checks are left to it, so a finding is reported once.
   * `false`: the policy only traces (report the rules with the plugin, or a `TracingRulesReport`).
   *
   * @default true
   */
  readonly report?: boolean;
}

/**
 * Traces every Node.js Lambda function in its scope, whoever built it, and reports what would
 * break a trace or leak cost. Add it once, for the app (and once per `Stage`: the aspects of an
 * app do not reach into its stages):
 *
 * ```ts
 * Aspects.of(app).add(new TracingPolicy({ samplingRatio: 0.01 }), { priority: AspectPriority.MUTATING });
 * ```
 *
 * Mutating: a `lambda.Function` with a Node.js runtime (a plain function with code from an asset,
 * a `NodejsFunction`, one from a third-party construct) gets the tracing runtime as a layer (its
 * handler points at the layer's shim, the original handler goes to `CDK_SERVERLESS_TRACING_HANDLER`),
 * the collector layers, the tracing settings as environment variables, and a log group with
 * retention when it has none. A `TracedFunction`, a function opted out with
 * `TracingPolicy.optOut(fn, reason)` (the reason shows in the synth output), and CDK's own
 * custom-resource functions are left alone. Applying it twice changes nothing.
 *
 * Reporting (`TracingRulesReport`, never mutating): every rule of `TRACING_RULES`, knowing which
 * functions this policy traces.
 *
 * Options: the library defaults, then these props, then `TracingSettings` of nearer scopes.
 */
export class TracingPolicy implements IAspect {
  /**
   * Leave a function untraced by every `TracingPolicy`, for a reason that shows in the synth
   * output. Call it before synthesis.
   */
  public static optOut(fn: lambda.IFunction, reason: string): void {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`TracingPolicy.optOut(${fn.node.path}): give the reason the function stays untraced`);
    }
    markOptedOut(fn, reason);
  }

  /** The reason a function was opted out, if it was. */
  public static optedOut(fn: IConstruct): string | undefined {
    return optedOutReason(fn);
  }

  private readonly report?: TracingRulesReport;
  private mapRegistered = false;

  constructor(private readonly props: TracingPolicyProps = {}) {
    markPolicyAspect(this);
    if (props.report !== false) {
      this.report = new TracingRulesReport({ isTraced: (fn) => this.tracesOrTraced(fn) });
    }
  }

  public visit(node: IConstruct): void {
    if (Stage.isStage(node)) checkNestedStages(node);
    if (!this.mapRegistered) {
      // The trace map is written at synth by the app's edge registry: make sure it exists.
      TraceEdges.of(node);
      this.mapRegistered = true;
    }
    if (node instanceof lambda.Function && this.applies(node)) {
      if (layerSupports(node.runtime)) this.trace(node);
      else reportUnsupportedRuntime(node);
    } else if (node instanceof lambda.Function && TracingPolicy.optedOut(node) && !isTracedConstruct(node)) {
      reportOptOut(node);
    }
    this.report?.visit(node);
  }

  /** Whether this policy traces the function when it visits it (or already did). */
  public willTrace(fn: IConstruct): boolean {
    return fn instanceof lambda.Function && this.applies(fn) && layerSupports(fn.runtime);
  }

  private tracesOrTraced(fn: IConstruct): boolean {
    return isTracedConstruct(fn) || this.willTrace(fn);
  }

  private applies(fn: lambda.Function): boolean {
    return (
      !isTracedConstruct(fn) &&
      TracingPolicy.optedOut(fn) === undefined &&
      fn.runtime.family === lambda.RuntimeFamily.NODEJS &&
      (this.props.traceCustomResources === true || !isCdkCustomResourceFunction(fn))
    );
  }

  private trace(fn: lambda.Function): void {
    const options = resolveTracingOptions(fn.node.scope!, fn.node.id, {}, this.props);
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    const errors = [
      ...tracingOptionErrors(options, {
        timeout: fn.timeout,
        samplingBudget: TracingSettings.budget(fn),
        region: Stack.of(fn).region,
        inVpc: fn.isBoundToVpc,
      }),
      ...alwaysKeepErrors(options.alwaysKeep),
    ];
    if (errors.length > 0) {
      Annotations.of(fn).addError(
        `TracingPolicy cannot trace ${fn.node.path}:\n  - ${errors.join('\n  - ')}`,
      );
      return;
    }
    const handler = cfn.handler;
    if (handler === undefined || Token.isUnresolved(handler)) {
      Annotations.of(fn).addWarningV2(
        `${WARNING_PREFIX}policyHandlerUnknown`,
        `TracingPolicy cannot trace ${fn.node.path}: its handler is not known at synth`,
      );
      return;
    }
    markTraced(fn);
    // cdk-nag: the function is traced now, with OpenTelemetry (the function's other findings are its owner's).
    Validations.of(fn).acknowledge({
      id: 'Serverless::Serverless-LambdaTracing',
      reason: POLICY_TRACING_REASON,
    });

    const collectorConfig = renderFunctionCollectorConfig(options);
    const existing = environmentNames(fn);
    const ours: Record<string, string> = {
      ...tracingEnvironment(options, collectorConfig),
      [ORIGINAL_HANDLER_ENV]: handler,
    };
    const alwaysKeep = alwaysKeepText(fn, options);
    if (alwaysKeep) ours[ENV.ALWAYS_KEEP] = alwaysKeep;
    for (const [name, value] of Object.entries(ours)) {
      // The function's own value wins (it was set on purpose), except for the original handler.
      if (name === ORIGINAL_HANDLER_ENV || !existing.has(name)) {
        fn.addEnvironment(name, value);
      }
    }
    cfn.handler = SHIM_HANDLER;
    fn.addLayers(TracingLayer.of(fn));
    attachCollector(fn, options, collectorConfig);
    giveLogGroup(fn, cfn, options);
  }
}

/** Why a function the policy traced has no Lambda active tracing (cdk-nag `Serverless-LambdaTracing`). */
const POLICY_TRACING_REASON =
  'traced with OpenTelemetry by the TracingPolicy of cdk-serverless-tracing (its layer and collector): the ' +
  "spans go through the collector to the configured backend (X-Ray's OTLP endpoint with Transaction " +
  "Search, or any OTLP endpoint); Lambda active tracing would only add Lambda's own X-Ray segments, in a " +
  'trace of their own';

/**
 * The names of the environment variables a function was given (the L2 keeps them in a private
 * map until synthesis; its shape is read defensively).
 */
function environmentNames(fn: lambda.Function): Set<string> {
  const env = (fn as unknown as { environment?: { keys?: () => Iterable<string> } }).environment;
  if (env && typeof env.keys === 'function') return new Set(env.keys());
  return new Set(Object.keys(env ?? {}));
}

/** `TRACING_ALWAYS_KEEP` for a function the policy traces: route rules, and its queues' rules. */
function alwaysKeepText(fn: lambda.Function, options: ResolvedTracingOptions): string | undefined {
  const texts = options.alwaysKeep
    .filter((rule) => !rule.problem && (rule.kind !== AlwaysKeepKind.QUEUE || consumesQueue(fn, rule.value)))
    .map((rule) => rule.text);
  return texts.length > 0 ? [...new Set(texts)].join(';') : undefined;
}

/**
 * A log group with the policy's retention, and JSON logs (so log lines can carry the trace ids),
 * for a function that writes to the group Lambda creates itself (no retention). A function that
 * has a log group, the legacy `logRetention`, or a log format of its own keeps them.
 */
function giveLogGroup(fn: lambda.Function, cfn: lambda.CfnFunction, options: ResolvedTracingOptions): void {
  const config = (cfn.loggingConfig ?? {}) as lambda.CfnFunction.LoggingConfigProperty;
  if (Token.isUnresolved(config)) return;
  const hasGroup = config.logGroup !== undefined || fn.node.tryFindChild('LogRetention') !== undefined;
  const logGroupName = hasGroup
    ? config.logGroup
    : new logs.LogGroup(fn, 'TracingLogGroup', { retention: options.logRetention }).logGroupName;
  cfn.loggingConfig = { ...config, logGroup: logGroupName, logFormat: config.logFormat ?? 'JSON' };
}

/**
 * Whether the tracing layer lists the runtime, as CDK checks it when the layer is added
 * (`Function.addLayers`: `compatibleRuntimes.find(r => r.runtimeEquals(runtime))`). The layer's
 * shim is an ES module with top-level await built for Node.js 18 (`SHIM_BUILD_OPTIONS.target`),
 * and lists only the Node.js runtimes Lambda supports.
 */
function layerSupports(runtime: lambda.Runtime): boolean {
  return TracingLayer.COMPATIBLE_RUNTIMES.some((supported) => supported.runtimeEquals(runtime));
}

/** Functions already told their runtime is not supported (a second policy does not repeat it). */
const reportedRuntimes = new WeakSet<IConstruct>();

/**
 * An error on a function whose runtime the tracing layer does not support, instead of adding the
 * layer (CDK would abort the synth with a message naming neither the policy nor the fixes).
 */
function reportUnsupportedRuntime(fn: lambda.Function): void {
  if (reportedRuntimes.has(fn)) return;
  reportedRuntimes.add(fn);
  const supported = TracingLayer.COMPATIBLE_RUNTIMES.map((r) => r.name);
  const major = (name: string) => Number(/^nodejs(\d+)/.exec(name)?.[1] ?? NaN);
  const oldest = Math.min(...supported.map(major));
  const older = major(fn.runtime.name) < oldest;
  Annotations.of(fn).addError(
    `TracingPolicy cannot trace ${fn.node.path}: its runtime ${fn.runtime.name} is ` +
      (older ? 'older than' : 'not one of') +
      ` the Node.js runtimes the tracing layer supports (${supported.join(', ')}), so the layer is not added. ` +
      `Fix: ${older ? 'upgrade the function to' : 'use'} one of those runtimes (e.g. runtime: lambda.Runtime.NODEJS_24_X), ` +
      "or leave it untraced with TracingPolicy.optOut(fn, 'why it stays untraced')",
  );
}

function reportOptOut(fn: lambda.Function): void {
  Annotations.of(fn).addInfo(
    `cdk-serverless-tracing: ${fn.node.path} is not traced (TracingPolicy.optOut: ${TracingPolicy.optedOut(fn)})`,
  );
}

/**
 * Aspects do not reach into nested Stages: a policy added to the App (or a Stage) leaves the
 * functions of the Stages under it untraced, silently. Fails the synth when a nested Stage has a
 * Node.js function neither traced nor opted out and no `TracingPolicy` of its own.
 */
function checkNestedStages(scope: Stage): void {
  const stages = scope.node.findAll().filter((c): c is Stage => c !== scope && Stage.isStage(c));
  const missing = stages.filter((stage) => {
    const inside = stage.node.findAll();
    const hasPolicy = inside.some((c) => Aspects.of(c).all.some((a) => a instanceof TracingPolicy));
    const untraced = inside.some(
      (c) =>
        c instanceof lambda.Function &&
        c.runtime.family === lambda.RuntimeFamily.NODEJS &&
        !isTracedConstruct(c) &&
        TracingPolicy.optedOut(c) === undefined &&
        !isCdkCustomResourceFunction(c),
    );
    return !hasPolicy && untraced;
  });
  if (missing.length > 0) {
    const names = missing.map((s) => `'${s.node.path}'`).join(', ');
    throw new Error(
      `TracingPolicy on '${scope.node.path || '<app>'}' does not reach the Stages under it (${names}): Aspects stop at a ` +
        `Stage, so their Node.js functions stay untraced. Add it to each Stage: ` +
        `Aspects.of(stage).add(new TracingPolicy(), { priority: AspectPriority.MUTATING })`,
    );
  }
}
