import { Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as applicationsignals from 'aws-cdk-lib/aws-applicationsignals';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { throwIfAny } from '../core/errors';
import { functionConsoleUrl, serviceErrorTracesUrl, serviceTracesUrl } from '../dashboard/console-links';
import { runbookDescription } from '../dashboard/runbook';
import { BurnRateWindow, BurnRateWindows } from './burn-rate-window';
import {
  lookBackWindows,
  resolveBurnRateWindows,
  ResolvedBurnRateWindow,
  windowLabel,
} from './private/burn-rate';

/** A latency objective: the entry's duration at a percentile stays under a threshold. */
export interface FlowSloLatency {
  /** The percentile of the entry function's `Duration` (Lambda's own metric) per minute. */
  readonly percentile: 99 | 95 | 90 | 50;

  /** The highest acceptable duration at that percentile (more than 0, at most 15 minutes). */
  readonly threshold: Duration;

  /**
   * The percentage of minutes, over the interval, whose percentile must be at most `threshold`
   * (above 0, below 100).
   *
   * @default 99
   */
  readonly target?: number;
}

/** An availability objective: the share of the entry's requests that do not fail. */
export interface FlowSloAvailability {
  /** The percentage of requests that must succeed over the interval (above 0, below 100), e.g. 99.9. */
  readonly target: number;
}

/** Properties of a `FlowSlo`. */
export interface FlowSloProps {
  /**
   * The entry of the flow: the function an API route or the first hop invokes (typically a
   * `TracedFunction`). An alias or a version is measured on its own (`Resource` dimension).
   */
  readonly entry: lambda.IFunction;

  /**
   * The name of the objectives; each SLO is named `<name>-latency` / `<name>-availability`.
   * Letters, digits, `-`, `_`, `.` and spaces, starting with a letter or digit, at most 115 characters.
   *
   * @default - a name unique to this construct in the account
   */
  readonly name?: string;

  /**
   * A latency objective (a period-based SLO on Lambda's `Duration` at the percentile).
   *
   * @default - no latency objective
   */
  readonly latency?: FlowSloLatency;

  /**
   * An availability objective (a request-based SLO: failed requests over all requests, from
   * Lambda's `Errors`, `Throttles` and `Invocations`).
   *
   * @default - `{ target: 99.9 }` when `latency` is not given either, otherwise none
   */
  readonly availability?: FlowSloAvailability;

  /**
   * The rolling interval the objectives are measured over (whole days).
   *
   * @default Duration.days(30)
   */
  readonly interval?: Duration;

  /**
   * The multiwindow burn-rate alarms, one composite alarm per pair and objective.
   *
   * @default BurnRateWindows.sreWorkbook() — 1 h/5 min at 2% of the budget, 6 h/30 min at 5%, 3 days/6 h at 10%
   */
  readonly burnRateWindows?: BurnRateWindow[];

  /**
   * Actions for every burn-rate alarm (more with `addAlarmAction`).
   *
   * @default - no action
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
}

/** The kinds of objective a `FlowSlo` can hold. */
export type FlowSloObjective = 'latency' | 'availability';

/** A multiwindow burn-rate alarm of one objective. */
export interface FlowSloBurnRateAlarm {
  /** The objective it watches. */
  readonly objective: FlowSloObjective;
  /** The window pair's name. */
  readonly window: string;
  /** The burn rate both windows must exceed. */
  readonly threshold: number;
  /** The alarm that fires when both windows exceed it (this one carries the actions). */
  readonly alarm: cloudwatch.CompositeAlarm;
  /** The alarm on the long window's burn rate (no action). */
  readonly longWindowAlarm: cloudwatch.Alarm;
  /** The alarm on the short window's burn rate (no action). */
  readonly shortWindowAlarm: cloudwatch.Alarm;
}

const NAME_PATTERN = /^[0-9A-Za-z][-._0-9A-Za-z ]{0,126}[0-9A-Za-z]$/;
const PERCENTILES = [99, 95, 90, 50];
const SLI_PERIOD_SECONDS = 60;
const DEFAULT_INTERVAL_DAYS = 30;
const DEFAULT_LATENCY_TARGET = 99;
const DEFAULT_AVAILABILITY_TARGET = 99.9;

/**
 * Service level objectives for one entry of a flow, as CloudWatch Application Signals SLOs on
 * Lambda's own metrics (counted before any trace sampling), with multiwindow burn-rate alarms on
 * their error budgets.
 *
 * - Latency: a period-based SLO; a minute is good when the entry's `Duration` at the percentile
 *   is at most the threshold.
 * - Availability: a request-based SLO; bad requests are `Errors + Throttles`, all requests
 *   `Invocations + Throttles`.
 *
 * Each SLO publishes its burn rate for every look-back window of the pairs (`AWS/ApplicationSignals`
 * `BurnRate`, by `SloName` and `BurnRateWindowMinutes`); per pair a composite alarm fires when the
 * burn rate over both windows is above the pair's threshold. Only the composite alarms carry
 * actions; their descriptions are runbooks (what it means, the first Logs Insights query, links to
 * the entry's traces and its Lambda console page). Creating an SLO creates Application Signals'
 * service-linked role when it is missing: no instrumentation and no
 * `AWS::ApplicationSignals::Discovery` are needed.
 */
export class FlowSlo extends Construct {
  /** The latency SLO, when there is a latency objective. */
  public readonly latencySlo?: applicationsignals.CfnServiceLevelObjective;
  /** The availability SLO, when there is an availability objective. */
  public readonly availabilitySlo?: applicationsignals.CfnServiceLevelObjective;
  /** The burn-rate alarms, per objective and window pair. */
  public readonly burnRateAlarms: FlowSloBurnRateAlarm[] = [];

  private readonly actions: cloudwatch.IAlarmAction[] = [];
  private readonly entry: lambda.IFunction;

  public constructor(scope: Construct, id: string, props: FlowSloProps) {
    super(scope, id);
    this.entry = props.entry;
    const errors: string[] = [];
    const availability =
      props.availability ??
      (props.latency === undefined ? { target: DEFAULT_AVAILABILITY_TARGET } : undefined);
    const intervalMinutes = checkInterval(props.interval, errors);
    const name =
      checkName(props.name, errors) ?? Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    checkEntry(props.entry, errors);
    if (props.latency) checkLatency(props.latency, errors);
    if (availability) checkTarget('availability.target', availability.target, errors);
    const windows = resolveBurnRateWindows(
      props.burnRateWindows ?? BurnRateWindows.sreWorkbook(),
      intervalMinutes ?? DEFAULT_INTERVAL_DAYS * 1440,
      errors,
    );
    throwIfAny(`FlowSlo ${this.node.path}`, errors);

    const dimensions = entryDimensions(props.entry);
    const goal = (target: number): applicationsignals.CfnServiceLevelObjective.GoalProperty => ({
      attainmentGoal: target,
      interval: { rollingInterval: { duration: intervalMinutes! / 1440, durationUnit: 'DAY' } },
    });
    const burnRateConfigurations = lookBackWindows(windows).map((lookBackWindowMinutes) => ({
      lookBackWindowMinutes,
    }));
    const entryName = lambdaName(props.entry);

    if (props.latency) {
      const { percentile, threshold } = props.latency;
      const target = props.latency.target ?? DEFAULT_LATENCY_TARGET;
      const thresholdMs = threshold.toMilliseconds({ integral: false });
      this.latencySlo = new applicationsignals.CfnServiceLevelObjective(this, 'LatencySlo', {
        name: `${name}-latency`,
        description: `p${percentile} duration of ${props.entry.node.path} at most ${thresholdMs} ms in ${target}% of minutes`,
        sli: {
          comparisonOperator: 'LessThanOrEqualTo',
          metricThreshold: thresholdMs,
          sliMetric: {
            metricDataQueries: [
              {
                id: 'duration',
                metricStat: {
                  metric: { namespace: 'AWS/Lambda', metricName: 'Duration', dimensions },
                  period: SLI_PERIOD_SECONDS,
                  stat: `p${percentile}`,
                },
                returnData: true,
              },
            ],
          },
        },
        goal: goal(target),
        burnRateConfigurations,
      });
      this.addBurnRateAlarms('latency', this.latencySlo, windows, target, () => ({
        meaning: `the p${percentile} duration of ${entryName} is above ${thresholdMs} ms in so many minutes that the latency objective (${target}% of minutes over ${intervalMinutes! / 1440} days) will be missed`,
        query: `filter @type = "REPORT" | stats pct(@duration, ${percentile}) as p${percentile}, max(@initDuration) as init by bin(1m) | sort @timestamp desc`,
      }));
    }

    if (availability) {
      const count = (id: string, metricName: string) => ({
        id,
        metricStat: {
          metric: { namespace: 'AWS/Lambda', metricName, dimensions },
          period: SLI_PERIOD_SECONDS,
          stat: 'Sum',
        },
        returnData: false,
      });
      this.availabilitySlo = new applicationsignals.CfnServiceLevelObjective(this, 'AvailabilitySlo', {
        name: `${name}-availability`,
        description: `${availability.target}% of the requests to ${props.entry.node.path} succeed (Lambda Errors and Throttles are failures)`,
        requestBasedSli: {
          requestBasedSliMetric: {
            totalRequestCountMetric: [
              count('invocations', 'Invocations'),
              count('throttles', 'Throttles'),
              { id: 'total', expression: 'FILL(invocations, 0) + FILL(throttles, 0)', returnData: true },
            ],
            monitoredRequestCountMetric: {
              badCountMetric: [
                count('errors', 'Errors'),
                count('throttles', 'Throttles'),
                { id: 'bad', expression: 'FILL(errors, 0) + FILL(throttles, 0)', returnData: true },
              ],
            },
          },
        },
        goal: goal(availability.target),
        burnRateConfigurations,
      });
      this.addBurnRateAlarms('availability', this.availabilitySlo, windows, availability.target, () => ({
        meaning: `${entryName} fails (throws, times out or is throttled) so often that the availability objective (${availability.target}% over ${intervalMinutes! / 1440} days) will be missed`,
        query: `filter level = "ERROR" or @message like /Task timed out|Runtime\\.|ERROR/ | fields @timestamp, trace_id, @message | sort @timestamp desc | limit 50`,
      }));
    }

    this.addAlarmAction(...(props.alarmActions ?? []));
  }

  /**
   * The alarms that carry actions (one composite alarm per objective and window pair): give
   * them to a `FlowDashboard` (`alarms`) to show their status and link the dashboard from their runbooks.
   */
  public get alarms(): cloudwatch.IAlarm[] {
    return this.burnRateAlarms.map((a) => a.alarm);
  }

  /** Adds actions to every burn-rate alarm (the composite alarms). */
  public addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.actions.push(...actions);
    for (const { alarm } of this.burnRateAlarms) {
      alarm.addAlarmAction(...actions);
    }
  }

  /**
   * The burn rate an objective's SLO publishes for one of its look-back windows
   * (`AWS/ApplicationSignals` `BurnRate`, by `SloName` and `BurnRateWindowMinutes`).
   */
  public metricBurnRate(
    objective: FlowSloObjective,
    lookBackWindow: Duration,
    props: cloudwatch.MetricOptions = {},
  ): cloudwatch.Metric {
    const slo = objective === 'latency' ? this.latencySlo : this.availabilitySlo;
    if (!slo) {
      throw new Error(`FlowSlo ${this.node.path} has no ${objective} objective: give the ${objective} prop`);
    }
    return burnRateMetric(slo.name, lookBackWindow.toMinutes(), props);
  }

  private addBurnRateAlarms(
    objective: FlowSloObjective,
    slo: applicationsignals.CfnServiceLevelObjective,
    windows: readonly ResolvedBurnRateWindow[],
    target: number,
    runbook: () => { meaning: string; query: string },
  ): void {
    const prefix = objective === 'latency' ? 'Latency' : 'Availability';
    const stack = Stack.of(this);
    const functionName = lambdaName(this.entry);
    for (const window of windows) {
      const single = (which: 'Long' | 'Short', minutes: number) => {
        const alarm = new cloudwatch.Alarm(this, `${prefix}${capitalize(window.name)}${which}WindowAlarm`, {
          metric: burnRateMetric(slo.name, minutes),
          threshold: window.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `Burn rate of SLO ${slo.name} over ${windowLabel(minutes)} above ${window.threshold}; part of the ${window.name} burn-rate alarm (no action of its own).`,
        });
        alarm.node.addDependency(slo);
        return alarm;
      };
      const longWindowAlarm = single('Long', window.longMinutes);
      const shortWindowAlarm = single('Short', window.shortMinutes);
      const { meaning, query } = runbook();
      const daysLeft = Math.round((100 / window.budgetConsumed) * (window.longMinutes / 1440) * 100) / 100;
      const alarm = new cloudwatch.CompositeAlarm(this, `${prefix}${capitalize(window.name)}BurnRateAlarm`, {
        alarmRule: cloudwatch.AlarmRule.allOf(longWindowAlarm, shortWindowAlarm),
        alarmDescription: runbookDescription({
          meaning: `SLO ${slo.name} (${target}%): the error budget burns at more than ${window.threshold}× over both ${windowLabel(window.longMinutes)} and ${windowLabel(window.shortMinutes)} — ${window.budgetConsumed}% of the budget in ${windowLabel(window.longMinutes)}, all of it in ${daysLeft} days at this rate. ${capitalize(meaning)}.`,
          firstQuery: `Logs Insights on /aws/lambda/${functionName}: ${query}`,
          links: [
            {
              label: objective === 'latency' ? 'Traces' : 'Error traces',
              url: () => {
                const service = serviceNameOf(this.entry);
                if (service === undefined) return undefined;
                return objective === 'latency'
                  ? serviceTracesUrl(stack.region, service)
                  : serviceErrorTracesUrl(stack.region, service);
              },
            },
            { label: 'Lambda console', url: functionConsoleUrl(stack.region, functionName) },
          ],
        }),
      });
      alarm.addAlarmAction(...this.actions);
      this.burnRateAlarms.push({
        objective,
        window: window.name,
        threshold: window.threshold,
        alarm,
        longWindowAlarm,
        shortWindowAlarm,
      });
    }
  }
}

function burnRateMetric(
  sloName: string,
  minutes: number,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ApplicationSignals',
    metricName: 'BurnRate',
    dimensionsMap: { SloName: sloName, BurnRateWindowMinutes: String(minutes) },
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(1),
    ...props,
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The unqualified function name of the entry (an alias or version names its function). */
function lambdaName(entry: lambda.IFunction): string {
  return entry instanceof lambda.Alias || entry instanceof lambda.Version
    ? entry.lambda.functionName
    : entry.functionName;
}

/** The entry's `OTEL_SERVICE_NAME` (the `service.name` of its spans), when it is a string known at synth. */
function serviceNameOf(entry: lambda.IFunction): string | undefined {
  const fn = entry instanceof lambda.Alias || entry instanceof lambda.Version ? entry.lambda : entry;
  const cfn = fn.node.defaultChild;
  if (!(cfn instanceof lambda.CfnFunction)) return undefined;
  const environment = Stack.of(cfn).resolve(cfn.environment) as
    { variables?: Record<string, unknown>; Variables?: Record<string, unknown> } | undefined;
  const value = (environment?.variables ?? environment?.Variables)?.OTEL_SERVICE_NAME;
  return typeof value === 'string' ? value : undefined;
}

/** The dimensions of Lambda's metrics for the entry. */
function entryDimensions(
  entry: lambda.IFunction,
): applicationsignals.CfnServiceLevelObjective.DimensionProperty[] {
  if (entry instanceof lambda.Alias || entry instanceof lambda.Version) {
    return [
      { name: 'FunctionName', value: entry.lambda.functionName },
      { name: 'Resource', value: entry.functionName },
    ];
  }
  return [{ name: 'FunctionName', value: entry.functionName }];
}

function checkEntry(entry: lambda.IFunction | undefined, errors: string[]): void {
  if (!entry || typeof (entry as { functionName?: unknown }).functionName !== 'string') {
    errors.push(
      'entry must be a Lambda function (lambda.IFunction), e.g. the TracedFunction an API route invokes',
    );
    return;
  }
  const name = lambdaName(entry);
  if (!Token.isUnresolved(name) && !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    errors.push(`entry's function name "${name}" is not a Lambda function name; pass the function itself`);
  }
}

function checkTarget(prop: string, target: number, errors: string[]): void {
  if (typeof target !== 'number' || !Number.isFinite(target) || target <= 0 || target >= 100) {
    errors.push(`${prop} is ${target}: give a percentage above 0 and below 100 (e.g. 99.9)`);
  }
}

function checkLatency(latency: FlowSloLatency, errors: string[]): void {
  if (!PERCENTILES.includes(latency.percentile)) {
    errors.push(`latency.percentile is ${latency.percentile}: use one of ${PERCENTILES.join(', ')}`);
  }
  const ms =
    latency.threshold && !Token.isUnresolved(latency.threshold.toSeconds({ integral: false }))
      ? latency.threshold.toMilliseconds({ integral: false })
      : NaN;
  if (!(ms > 0) || ms > 900000) {
    errors.push(
      `latency.threshold must be more than 0 and at most 15 minutes (the longest Lambda timeout), e.g. Duration.millis(500)`,
    );
  }
  if (latency.target !== undefined) checkTarget('latency.target', latency.target, errors);
}

function checkInterval(interval: Duration | undefined, errors: string[]): number | undefined {
  if (interval === undefined) return DEFAULT_INTERVAL_DAYS * 1440;
  const minutes = Token.isUnresolved(interval.toSeconds()) ? NaN : interval.toSeconds() / 60;
  if (!(minutes > 0) || minutes % 1440 !== 0) {
    errors.push('interval must be a whole number of days, at least 1 (e.g. Duration.days(28))');
    return undefined;
  }
  return minutes;
}

function checkName(name: string | undefined, errors: string[]): string | undefined {
  if (name === undefined) return undefined;
  if (Token.isUnresolved(name) || !NAME_PATTERN.test(`${name}-availability`) || name.length > 115) {
    errors.push(
      `name "${name}" must be a plain string of letters, digits, '-', '_', '.' or spaces, starting with a letter or digit, at most 115 characters`,
    );
    return undefined;
  }
  return name;
}
