import { Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { TracingCost } from '../cost/tracing-cost';
import { TracingTraffic, trafficErrors } from '../cost/tracing-traffic';
import { SETTINGS_ID } from '../core/constants';
import { isTracedConstruct } from '../core/markers';
import { mergeDefined } from '../core/merge';
import { AlwaysKeep } from './always-keep';
import { checkLogRetention } from './private/log-retention-check';
import { alwaysKeepErrors, unmatchedAlwaysKeep } from './private/sampling-rules';
import { TracingOptions } from './tracing-options';

/**
 * Tracing settings for a scope: the options of every traced function under it, and the limits
 * and defaults only a scope can set.
 */
export interface TracingSettingsProps extends TracingOptions {
  /**
   * The budget: the highest `samplingRatio` a traced function under this scope may have. A
   * function above it is a synth error that names it. A nearer scope can lower the budget of an
   * outer one, never raise it.
   *
   * @default - no budget (up to 1)
   */
  readonly maxSamplingRatio?: number;

  /**
   * How long the dead-letter queues that `TracedQueue` creates under this scope keep a message
   * (60 seconds to 14 days); a queue's own `deadLetterRetentionPeriod` overrides it.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;

  /**
   * The runtime of the `TracedFunction`s under this scope (a Node.js runtime); a function's own
   * `runtime` overrides it. Functions a `TracingPolicy` traces keep the runtime they were built
   * with.
   *
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;

  /**
   * The log format of the `TracedFunction`s under this scope; a function's own `loggingFormat`
   * overrides it. `TEXT` gives a warning: the trace ids join the logs only in JSON lines.
   *
   * @default lambda.LoggingFormat.JSON
   */
  readonly loggingFormat?: lambda.LoggingFormat;

  /**
   * The memory, in MB, of the `TracedFunction`s under this scope (128 to 10,240); a function's
   * own `memorySize` overrides it. The function and the collector extension share it, and Lambda
   * gives CPU in proportion to it. Functions a `TracingPolicy` traces keep theirs.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * The timeout of the `TracedFunction`s under this scope (1 second to 15 minutes); a function's
   * own `timeout` overrides it. Functions a `TracingPolicy` traces keep theirs.
   *
   * @default Duration.seconds(3), Lambda's own
   */
  readonly timeout?: Duration;

  /**
   * The traffic this scope expects, in requests per second per entry of the trace map (an API
   * route or an entry function), for the cost estimate: with it, the synth writes
   * `tracing-cost.json` next to the trace map (spans and bytes per request, what sampling and
   * retention keep, the monthly cost of each part) and prints one line. The nearest scope's
   * traffic applies to the entries under it.
   *
   * @example TracingTraffic.perEntry({ 'POST /payments': 50 })
   * @default - no estimate
   */
  readonly traffic?: TracingTraffic;
}

/** The memory Lambda allows a function, in MB. */
const MEMORY_SIZE = { min: 128, max: 10240 } as const;

/** A sampling budget and the scope that set it. */
export interface SamplingBudget {
  /** The highest sampling ratio allowed. */
  readonly maxSamplingRatio: number;
  /** The path of the scope whose settings set it (`<app>` for the app). */
  readonly setBy: string;
}

/**
 * Tracing settings for every traced function under a scope (an app, a stage, a stack or any
 * construct). Settings of a nearer scope override those of an outer one; a function's own props
 * override them all.
 *
 * Call `TracingSettings.set` before you create the functions it applies to.
 *
 * @example
 * const app = new App();
 * TracingSettings.set(app, { samplingRatio: 0.1, logRetention: logs.RetentionDays.TWO_WEEKS });
 * const stack = new Stack(app, 'Payments');
 * TracingSettings.set(stack, { samplingRatio: 0.5 });
 */
export class TracingSettings extends Construct {
  /**
   * Store tracing settings on a scope. Throws when the scope already has settings, or when a
   * traced function already exists under it.
   */
  public static set(scope: Construct, options: TracingSettingsProps): TracingSettings {
    if (scope.node.tryFindChild(SETTINGS_ID)) {
      throw new Error(
        `TracingSettings.set was already called on '${scope.node.path || '<app>'}': call it once per scope ` +
          'with all the options, or set the overrides on a nearer scope or on the function itself',
      );
    }
    const existing = scope.node.findAll().find((c) => isTracedConstruct(c));
    if (existing) {
      throw new Error(
        `TracingSettings.set('${scope.node.path || '<app>'}') must be called before the traced functions it ` +
          `applies to are created (found '${existing.node.path}')`,
      );
    }
    const where = scope.node.path || '<app>';
    const errors = settingsErrors(options);
    if (errors.length > 0) {
      throw new Error(`TracingSettings.set('${where}') has invalid options:\n  - ${errors.join('\n  - ')}`);
    }
    checkLogRetention(scope);
    if (options.traffic !== undefined) {
      TracingCost.of(scope);
    }
    return new TracingSettings(scope, SETTINGS_ID, options);
  }

  /** The settings stored on exactly this scope, if any. */
  public static of(scope: IConstruct): TracingSettingsProps | undefined {
    const child = scope.node.tryFindChild(SETTINGS_ID);
    return child instanceof TracingSettings ? child.options : undefined;
  }

  /**
   * The settings that apply under a scope, merged from the root to the scope itself (nearer
   * wins; an option left undefined on a nearer scope does not erase the outer one). The
   * `alwaysKeep` rules of every scope add up.
   */
  public static resolve(scope: IConstruct): TracingSettingsProps {
    let merged: TracingSettingsProps = {};
    const alwaysKeep: AlwaysKeep[] = [];
    for (const s of scope.node.scopes) {
      const options = TracingSettings.of(s);
      if (options) {
        merged = mergeDefined(merged, options);
        alwaysKeep.push(...(options.alwaysKeep ?? []));
      }
    }
    return alwaysKeep.length > 0 ? { ...merged, alwaysKeep } : merged;
  }

  /** The lowest `maxSamplingRatio` set on the scope or any scope above it. */
  public static budget(scope: IConstruct): SamplingBudget | undefined {
    let budget: SamplingBudget | undefined;
    for (const s of scope.node.scopes) {
      const max = TracingSettings.of(s)?.maxSamplingRatio;
      if (max !== undefined && !Token.isUnresolved(max) && (!budget || max < budget.maxSamplingRatio)) {
        budget = { maxSamplingRatio: max, setBy: s.node.path || '<app>' };
      }
    }
    return budget;
  }

  private constructor(
    scope: Construct,
    id: string,
    /** The options stored on this scope. */
    public readonly options: TracingSettingsProps,
  ) {
    super(scope, id);
    // A rule of the settings must match something under its scope: a route of the app, or a
    // queue consumed by a traced function under the scope.
    this.node.addValidation({
      validate: () =>
        (options.alwaysKeep ?? []).flatMap((rule, i) => {
          const problem = unmatchedAlwaysKeep(rule, scope);
          return problem
            ? [`TracingSettings('${scope.node.path || '<app>'}') alwaysKeep[${i}]: ${problem}`]
            : [];
        }),
    });
  }
}

function settingsErrors(options: TracingSettingsProps): string[] {
  const errors: string[] = [];
  const max = options.maxSamplingRatio;
  if (max !== undefined && !Token.isUnresolved(max) && (Number.isNaN(max) || max < 0 || max > 1)) {
    errors.push(`maxSamplingRatio must be between 0 and 1 (got ${max})`);
  }
  errors.push(
    ...durationOutside('deadLetterRetentionPeriod', options.deadLetterRetentionPeriod, {
      min: Duration.seconds(60),
      max: Duration.days(14),
      range: 'from 60 seconds to 14 days, what SQS allows',
    }),
  );
  const memory = options.memorySize;
  if (
    memory !== undefined &&
    !Token.isUnresolved(memory) &&
    (!Number.isInteger(memory) || memory < MEMORY_SIZE.min || memory > MEMORY_SIZE.max)
  ) {
    errors.push(
      `memorySize must be a whole number of MB from ${MEMORY_SIZE.min} to ${MEMORY_SIZE.max}, what Lambda allows (got ${memory})`,
    );
  }
  errors.push(
    ...durationOutside('timeout', options.timeout, {
      min: Duration.seconds(1),
      max: Duration.minutes(15),
      range: 'from 1 second to 15 minutes, what Lambda allows',
    }),
  );
  if (options.runtime !== undefined && options.runtime.family !== lambda.RuntimeFamily.NODEJS) {
    errors.push(
      `runtime must be a Node.js runtime (got ${options.runtime.name}); use e.g. lambda.Runtime.NODEJS_24_X`,
    );
  }
  errors.push(...alwaysKeepErrors(options.alwaysKeep));
  errors.push(...trafficErrors(options.traffic));
  return errors;
}

/** The error of a duration setting outside its range (none for an unset or deploy-time value). */
function durationOutside(
  name: string,
  value: Duration | undefined,
  range: { min: Duration; max: Duration; range: string },
): string[] {
  if (value === undefined || value.isUnresolved()) return [];
  const ms = value.toMilliseconds();
  return ms < range.min.toMilliseconds() || ms > range.max.toMilliseconds()
    ? [`${name} must be ${range.range} (got ${value.toHumanString()})`]
    : [];
}
