import * as path from 'path';
import { Annotations, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RenderedCollectorConfig } from '../collector/private/collector-config';
import { ENV } from '../core/constants';
import { throwIfAny } from '../core/errors';
import { markTraced } from '../core/markers';
import { AlwaysKeep, AlwaysKeepKind } from '../settings/always-keep';
import { checkLogRetention, retentionReportedElsewhere } from '../settings/private/log-retention-check';
import { alwaysKeepErrors, consumesQueue, unmatchedAlwaysKeep } from '../settings/private/sampling-rules';
import { TracingOptions } from '../settings/tracing-options';
import { TracingSettings } from '../settings/tracing-settings';
import { TraceEdges } from '../trace-map/trace-edges';
import {
  DEFAULT_LOGGING_FORMAT,
  DEFAULT_RUNTIME,
  resolveTracingOptions,
  ResolvedTracingOptions,
  TRACING_OPTION_KEYS,
} from '../wiring/options';
import { attachCollector, renderFunctionCollectorConfig, tracingEnvironment } from '../wiring/tracing-wiring';
import { tracedBundling } from './private/bundling';
import { tracedEntryPath, WRAPPER_EXPORT } from './private/entry';
import { tracedExecutionRole } from './private/execution-role';
import { DEFAULT_MEMORY_SIZE, DEFAULT_TIMEOUT } from './private/function-defaults';
import { acknowledgeTracedFunction } from './private/nag';
import { entryExportProblem, registerEntry } from './private/validate-entry';
import { tracedFunctionErrors, tracedFunctionWarnings } from './private/validate-function';

/** Props of a `TracedFunction`: the props of a `NodejsFunction` plus the tracing options. */
export interface TracedFunctionProps extends nodejs.NodejsFunctionProps, TracingOptions {
  /**
   * Path of the file that exports your handler (`.ts`, `.js`, `.mjs`, ...). It is bundled
   * wrapped by the tracing runtime.
   */
  readonly entry: string;

  /**
   * The name of the handler export of `entry` (a JavaScript identifier, not `file.export`).
   *
   * @default 'handler'
   */
  readonly handler?: string;

  /**
   * The Lambda runtime; must be a Node.js runtime.
   *
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;

  /**
   * The log group the function writes to.
   *
   * @default - a new log group with `logRetention` (one month unless set)
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * How long the function's own log group keeps its logs (ignored with `logGroup`). Unlike
   * `NodejsFunction`, this never creates the legacy log retention custom resource.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The execution role. A role you give gets no log permission or managed policy from this
   * construct (as with `NodejsFunction`): give it what the function needs to write its logs and,
   * with `vpc`, the ENI permissions (`AWSLambdaVPCAccessExecutionRole`). Grants made later (the
   * X-Ray export, queues, topics) still go to it.
   *
   * @default - a new role assumed by Lambda, allowed to write to the function's own log group
   * only (`logs:CreateLogStream`, `logs:PutLogEvents`; no `AWSLambdaBasicExecutionRole`), plus
   * `AWSLambdaVPCAccessExecutionRole` with `vpc` and `AWSLambdaBasicDurableExecutionRolePolicy`
   * with `durableConfig`, as CDK's default role has
   */
  readonly role?: iam.IRole;

  /**
   * The format of the function's logs.
   *
   * @default lambda.LoggingFormat.JSON
   */
  readonly loggingFormat?: lambda.LoggingFormat;

  /**
   * The memory of the function, in MB. The function and the collector extension share it, and
   * Lambda gives CPU in proportion to it.
   *
   * @default 512, or the `memorySize` of the `TracingSettings` of an enclosing scope
   */
  readonly memorySize?: number;

  /**
   * How long an invocation may run. The export flush (`flushTimeout`) must fit under it.
   *
   * @default Duration.seconds(3) (Lambda's own), or the `timeout` of the `TracingSettings` of an
   * enclosing scope
   */
  readonly timeout?: Duration;

  /**
   * Bundling options, merged with the library's: your `define` and `esbuildArgs` are kept, the
   * library's own keys (the handler alias and export name) win.
   *
   * @default - `minify: true`, `sourceMap: false`, `mainFields: ['module', 'main']`, target from the runtime
   */
  readonly bundling?: nodejs.BundlingOptions;
}

/** The props of `NodejsFunction` that `TracedFunction` decides itself or does not pass on. */
type OwnKeys = keyof TracingOptions | 'entry' | 'handler' | 'code' | 'bundling' | 'environment';

/**
 * A Node.js Lambda function traced with OpenTelemetry: your handler is bundled wrapped by the
 * tracing runtime (no monkey patching), the upstream OpenTelemetry Collector runs as an
 * extension layer with a configuration rendered at synth, and the function gets its own log
 * group with a retention and JSON logs, and an execution role that may write to that group only.
 *
 * Options come from the library defaults, then `TracingSettings` of the enclosing scopes, then
 * these props.
 *
 * @example
 * const fn = new TracedFunction(stack, 'Authorize', {
 *   entry: path.join(__dirname, 'handlers', 'authorize.ts'),
 *   samplingRatio: 0.2,
 *   exporter: TracingExporter.otlp({
 *     endpoint: 'https://api.honeycomb.io',
 *     headers: { 'x-honeycomb-team': ExporterHeaderValue.fromSecret(apiKeySecret) },
 *   }),
 * });
 */
export class TracedFunction extends nodejs.NodejsFunction {
  /** The tracing options this function resolved (defaults, settings, then props). */
  public readonly tracingOptions: ResolvedTracingOptions;

  /** The rendered collector configuration (undefined with `TracingCollector.none()`). */
  public readonly collectorConfig?: RenderedCollectorConfig;

  /** Every always-keep rule of this function: the settings', its own, and those added later. */
  private readonly alwaysKeepRules: AlwaysKeep[];

  /** The rules given to this function itself (props and `addAlwaysKeep`), checked against it. */
  private readonly ownAlwaysKeepRules: AlwaysKeep[] = [];

  constructor(scope: Construct, id: string, props: TracedFunctionProps) {
    const options = resolveTracingOptions(scope, id, props);
    const settings = TracingSettings.resolve(scope);
    const runtime = props.runtime ?? settings.runtime ?? DEFAULT_RUNTIME;
    // Explicit, so that the template says what the function gets (cdk-nag Serverless-LambdaDefaultMemorySize
    // and Serverless-LambdaDefaultTimeout); the reasons are in function-defaults.ts.
    const memorySize = props.memorySize ?? settings.memorySize ?? DEFAULT_MEMORY_SIZE;
    const timeout = props.timeout ?? settings.timeout ?? DEFAULT_TIMEOUT;
    const userEntry = props.entry ? path.resolve(props.entry) : undefined;
    const collectorConfig = renderFunctionCollectorConfig(options);
    const ours = tracingEnvironment(options, collectorConfig);
    const userEnvironment = props.environment ?? {};
    const overriddenEnvironment = Object.keys(ours).filter((k) => k in userEnvironment);

    const facts = {
      entry: userEntry,
      handler: props.handler,
      hasCode: props.code !== undefined,
      runtime,
      timeout,
      loggingFormat: props.loggingFormat ?? settings.loggingFormat ?? DEFAULT_LOGGING_FORMAT,
      hasOwnLogGroup: props.logGroup !== undefined,
      logRetentionGiven: props.logRetention !== undefined,
      overriddenEnvironment,
      samplingBudget: TracingSettings.budget(scope),
      region: Stack.of(scope).region,
      inVpc: props.vpc !== undefined,
    };
    const errors = [...tracedFunctionErrors(options, facts), ...alwaysKeepErrors(props.alwaysKeep)];
    if (errors.length > 0) {
      const where = scope.node.path ? `${scope.node.path}/${id}` : id;
      throw new Error(`TracedFunction ${where} has invalid props:\n  - ${errors.join('\n  - ')}`);
    }

    checkLogRetention(scope);
    let logGroup = props.logGroup;
    if (!logGroup) {
      logGroup = new logs.LogGroup(scope, `${id}LogGroup`, { retention: options.logRetention });
      // An INFINITE logRetention is reported on the function (logRetentionInfinite).
      retentionReportedElsewhere(logGroup);
    }
    const role = props.role ?? tracedExecutionRole(scope, `${id}ServiceRole`, logGroup, props);

    super(scope, id, {
      ...stripOwnProps(props),
      runtime,
      memorySize,
      timeout,
      entry: tracedEntryPath(),
      handler: WRAPPER_EXPORT,
      logGroup,
      role,
      loggingFormat: facts.loggingFormat,
      environment: { ...ours, ...userEnvironment },
      bundling: tracedBundling(props.bundling, props.handler, userEntry!, runtime),
    });
    markTraced(this);
    TraceEdges.of(this); // the app's trace map, written at synth
    acknowledgeTracedFunction(this); // cdk-nag: no Lambda active tracing; no dead-letter queue when invoked synchronously
    this.tracingOptions = options;
    this.collectorConfig = collectorConfig;
    this.alwaysKeepRules = [...options.alwaysKeep];
    this.ownAlwaysKeepRules.push(...(props.alwaysKeep ?? []));
    this.addEnvironment(
      ENV.ALWAYS_KEEP,
      Lazy.string({ produce: () => this.renderAlwaysKeep() }, { displayHint: ENV.ALWAYS_KEEP }),
    );
    this.node.addValidation({
      validate: () =>
        this.ownAlwaysKeepRules.flatMap((rule, i) => {
          const problem = unmatchedAlwaysKeep(
            rule,
            this,
            rule.kind === AlwaysKeepKind.QUEUE ? this : undefined,
          );
          return problem ? [`TracedFunction ${this.node.path} alwaysKeep rule ${i}: ${problem}`] : [];
        }),
    });

    // The handler export, checked at synth as far as esbuild can tell (validate-entry.ts); the
    // entries of all functions are parsed together then.
    const exportName = props.handler ?? 'handler';
    registerEntry(userEntry!);
    this.node.addValidation({
      validate: () => {
        const problem = entryExportProblem(userEntry!, exportName);
        return problem ? [`TracedFunction ${this.node.path}: ${problem}`] : [];
      },
    });

    attachCollector(this, options, collectorConfig);

    for (const warning of tracedFunctionWarnings(options, facts)) {
      Annotations.of(this).addWarningV2(warning.id, warning.message);
    }
  }

  /**
   * Always keep the traces of an operation of this function, whatever the sampling ratio (what
   * `TracedQueue.addConsumer(fn, { alwaysKeep: true })` calls). A queue rule must name a queue
   * this function consumes; a route rule a route of the app (checked at synth).
   */
  public addAlwaysKeep(rule: AlwaysKeep): void {
    throwIfAny(`TracedFunction ${this.node.path}.addAlwaysKeep`, alwaysKeepErrors([rule], 'rule'));
    this.alwaysKeepRules.push(rule);
    this.ownAlwaysKeepRules.push(rule);
  }

  /**
   * `TRACING_ALWAYS_KEEP`: the route rules, and the queue rules of the queues this function
   * consumes (a settings-wide queue rule is not written into every function); undefined (no
   * variable) when none applies.
   */
  private renderAlwaysKeep(): string | undefined {
    const applying = this.alwaysKeepRules.filter(
      (rule) =>
        !rule.problem &&
        (rule.kind !== AlwaysKeepKind.QUEUE ||
          this.ownAlwaysKeepRules.includes(rule) ||
          consumesQueue(this, rule.value)),
    );
    const texts = [...new Set(applying.map((rule) => rule.text))];
    return texts.length > 0 ? texts.join(';') : undefined;
  }
}

/** Props passed on to `NodejsFunction` unchanged. */
function stripOwnProps(props: TracedFunctionProps): Omit<nodejs.NodejsFunctionProps, OwnKeys> {
  const rest: Record<string, unknown> = { ...props };
  for (const key of [...TRACING_OPTION_KEYS, 'entry', 'handler', 'code', 'bundling', 'environment']) {
    delete rest[key];
  }
  return rest;
}
