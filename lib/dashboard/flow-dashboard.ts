import { Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { TracingCost } from '../cost/tracing-cost';
import type { TracingCostEntry } from '../cost/tracing-cost-report';
import { flowOf } from '../trace-map/flow';
import type { TraceEdge } from '../trace-map/trace-edge';
import { buildTraceMap, type TraceMapNode } from '../trace-map/trace-map';
import { dashboardUrl, functionConsoleUrl, serviceErrorTracesUrl, serviceTracesUrl } from './console-links';
import { addRunbookLink } from './runbook';

/**
 * What the dashboard reads of a trace continuity canary (a `TraceContinuityCanary` is one): its
 * `MissingHops` metric and its alarms.
 */
export interface FlowCanary {
  /** The alarm on `MissingHops`. */
  readonly alarm: cloudwatch.IAlarm;

  /**
   * The alarm of the failure drill.
   *
   * @default - no drill
   */
  readonly drillAlarm?: cloudwatch.IAlarm;

  /** `MissingHops`: the hops a run did not find. */
  metricMissingHops(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
}

/** Props of a `FlowDashboard`. */
export interface FlowDashboardProps {
  /**
   * The function where the flow starts (behind its API route, or with no incoming edge): the
   * dashboard shows it and everything the trace map says a request to it reaches.
   */
  readonly entry: lambda.IFunction;

  /**
   * The canary that checks this flow: its `MissingHops` is shown, its alarms' status too, and
   * their runbooks get a link to this dashboard.
   *
   * @default - no canary row
   */
  readonly canary?: FlowCanary;

  /**
   * Other alarms of the flow (objectives, anomalies): their status is shown at the top, and those
   * whose description came from `runbookDescription` get a link to this dashboard.
   *
   * @default - only the canary's alarms
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * The dashboard's name.
   *
   * @default - made at synth from the construct path (`<stack>-<id>-<hash>`), so that alarm
   *   descriptions can link to the dashboard while it shows their status (a name generated at
   *   deploy would make the two depend on each other)
   */
  readonly dashboardName?: string;

  /**
   * The period of the graphs' metrics.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * How far back the dashboard opens.
   *
   * @default Duration.hours(3)
   */
  readonly defaultInterval?: Duration;
}

/** The grid is 24 columns wide. */
const GRID_WIDTH = 24;
const QUARTER = GRID_WIDTH / 4;
const HALF = GRID_WIDTH / 2;
const ROW_HEIGHT = 6;

/**
 * A CloudWatch dashboard of one flow, built from the app's trace map at synth (once every aspect
 * ran): a request to the entry and everything it reaches, in flow order.
 *
 * - Each function: invocations, errors and throttles; duration P50, P95 and P99 (Lambda's own
 *   metrics, which count every invocation, whatever the trace sampling); cold starts and init
 *   duration (a Logs Insights query over the REPORT lines Lambda writes for every invocation,
 *   `platform.report` in the JSON log format); links to the traces of its service (X-Ray trace
 *   query `service("<service.name>")`, with Transaction Search the same spans), its error traces
 *   and its Lambda console page.
 * - Each queue: the age of its oldest message and the depth of its dead-letter queue.
 * - With a canary: `MissingHops`, and the status of its alarms (and of `alarms`).
 *
 * @example
 * new FlowDashboard(stack, 'PaymentsDashboard', { entry: authorize, canary });
 */
export class FlowDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  /** The dashboard's URL in the CloudWatch console. */
  public readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: FlowDashboardProps) {
    super(scope, id);
    const errors: string[] = [];
    const entry = props.entry as Partial<lambda.IFunction> | undefined;
    if (!entry || typeof entry.metricInvocations !== 'function' || !entry.node) {
      errors.push(
        'entry: give the Lambda function where the flow starts (a TracedFunction, or a lambda.Function under a TracingPolicy); ' +
          `got ${describe(props.entry)}`,
      );
    }
    const period = props.period ?? Duration.minutes(5);
    if (
      !Token.isUnresolved(period.toSeconds()) &&
      (period.toSeconds() < 60 || period.toSeconds() % 60 !== 0)
    ) {
      errors.push(`period must be whole minutes, at least 1 (got ${period.toHumanString()})`);
    }
    if (props.canary !== undefined && typeof props.canary.metricMissingHops !== 'function') {
      errors.push(`canary: give a TraceContinuityCanary (got ${describe(props.canary)})`);
    }
    if (
      props.dashboardName !== undefined &&
      !Token.isUnresolved(props.dashboardName) &&
      !/^[A-Za-z0-9_-]{1,255}$/.test(props.dashboardName)
    ) {
      errors.push(`dashboardName must be 1 to 255 letters, digits, - or _ (got '${props.dashboardName}')`);
    }
    if (errors.length > 0) {
      throw new Error(`FlowDashboard ${this.node.path} has invalid props:\n  - ${errors.join('\n  - ')}`);
    }

    const alarms = [
      ...(props.canary ? [props.canary.alarm, props.canary.drillAlarm] : []),
      ...(props.alarms ?? []),
    ].filter((a): a is cloudwatch.IAlarm => a !== undefined);
    const dashboardName =
      props.dashboardName ?? Names.uniqueResourceName(this, { maxLength: 255, separator: '-' });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName,
      defaultInterval: props.defaultInterval ?? Duration.hours(3),
    });
    const region = Stack.of(this).region;
    this.dashboardUrl = dashboardUrl(region, dashboardName);
    this.dashboard.addWidgets(
      new FlowWidgets(this, props.entry, { period, canary: props.canary, alarms, region }),
    );
    for (const alarm of alarms) addRunbookLink(alarm, { label: 'Dashboard', url: this.dashboardUrl });
  }
}

/** What the widgets of a flow need besides the map. */
interface FlowWidgetOptions {
  readonly period: Duration;
  readonly canary?: FlowCanary;
  readonly alarms: cloudwatch.IAlarm[];
  readonly region: string;
}

/**
 * All the widgets of the flow as one widget of the dashboard, laid out when the dashboard body
 * is rendered (at synth, once the app is complete), so that the trace map it reads is the final
 * one.
 */
class FlowWidgets implements cloudwatch.IWidget {
  public readonly warnings?: string[] = undefined;
  public readonly warningsV2?: { [id: string]: string } = undefined;
  private built?: cloudwatch.Column;
  private x = 0;
  private y = 0;

  constructor(
    private readonly scope: FlowDashboard,
    private readonly entry: lambda.IFunction,
    private readonly options: FlowWidgetOptions,
  ) {}

  public get width(): number {
    return this.column().width;
  }

  public get height(): number {
    return this.column().height;
  }

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  // IWidget's own signature.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public toJson(): any[] {
    const column = this.column();
    column.position(this.x, this.y);
    return column.toJson();
  }

  private column(): cloudwatch.Column {
    if (!this.built) this.built = new cloudwatch.Column(...this.rows());
    return this.built;
  }

  private rows(): cloudwatch.IWidget[] {
    const map = buildTraceMap(this.scope);
    const result = flowOf(map, this.entry.node.path);
    if (!result.flow) throw new Error(`FlowDashboard ${this.scope.node.path}: ${result.error}`);
    const { flow } = result;
    const constructs = new Map<string, IConstruct>();
    for (const c of this.scope.node.root.node.findAll()) constructs.set(c.node.path, c);
    const { period, region } = this.options;

    const rows: cloudwatch.IWidget[] = [];
    const [first, ...reached] = flow.nodes;
    const path =
      [...flow.routes.map((r) => `\`${r}\``), first.label].join(' → ') +
      (reached.length > 0
        ? `, then (in flow order) ${reached.map((n) => `${n.label} (${n.type})`).join(', ')}`
        : '');
    const header = new cloudwatch.TextWidget({
      markdown: [
        `# Flow of ${first.label}`,
        path,
        '',
        "Invocations, errors, durations and queue depths are Lambda's and SQS's own metrics; cold starts come from " +
          'the REPORT line Lambda writes for every invocation: none of them depends on trace sampling.',
      ].join('\n'),
      width: this.options.canary || this.options.alarms.length > 0 ? HALF : GRID_WIDTH,
      height: 4,
    });
    const top: cloudwatch.IWidget[] = [header];
    if (this.options.canary) {
      top.push(
        new cloudwatch.GraphWidget({
          title: 'Canary: MissingHops',
          left: [this.options.canary.metricMissingHops()],
          leftYAxis: { min: 0 },
          width: QUARTER,
          height: 4,
        }),
      );
    }
    if (this.options.alarms.length > 0) {
      top.push(
        new cloudwatch.AlarmStatusWidget({
          title: 'Alarms',
          alarms: this.options.alarms,
          width: this.options.canary ? QUARTER : HALF,
          height: 4,
        }),
      );
    }
    rows.push(new cloudwatch.Row(...top));
    rows.push(ingestionRow(estimateOf(this.scope, this.entry.node.path), period));

    for (const node of flow.nodes) {
      const construct = constructs.get(node.id);
      if (node.type === 'function' && isFunction(construct)) {
        rows.push(functionRow(node, construct, period, region, hopsFrom(node, flow.edges, flow.nodes)));
      } else if (node.type === 'queue' && isQueue(construct)) {
        rows.push(queueRow(node, construct, period));
      }
    }
    return rows;
  }
}

/** A function's row: links, invocations and errors, duration percentiles, cold starts. */
function functionRow(
  node: TraceMapNode,
  fn: lambda.IFunction,
  period: Duration,
  region: string,
  hops: string[],
): cloudwatch.Row {
  const service = node.serviceName;
  const links = [
    ...(service
      ? [
          `[Traces of ${service}](${serviceTracesUrl(region, service)})`,
          `[Error traces](${serviceErrorTracesUrl(region, service)})`,
        ]
      : []),
    `[Lambda console](${functionConsoleUrl(region, fn.functionName)})`,
  ];
  const text = new cloudwatch.TextWidget({
    markdown: [
      `### ${node.label}`,
      (service ? `service.name \`${service}\`` : 'no service.name known at synth') +
        (node.traced === false ? ' · **not traced**' : ''),
      '',
      ...hops.map((h) => `- ${h}`),
      ...links.map((l) => `- ${l}`),
    ].join('\n'),
    width: QUARTER,
    height: ROW_HEIGHT,
  });
  const invocations = new cloudwatch.GraphWidget({
    title: `${node.label}: invocations and errors`,
    left: [
      fn.metricInvocations({ period, statistic: cloudwatch.Stats.SUM }),
      fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
      fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
    ],
    leftYAxis: { min: 0 },
    width: QUARTER,
    height: ROW_HEIGHT,
  });
  const duration = new cloudwatch.GraphWidget({
    title: `${node.label}: duration P50 / P95 / P99`,
    left: [50, 95, 99].map((p) =>
      fn.metricDuration({ period, statistic: cloudwatch.Stats.percentile(p), label: `P${p}` }),
    ),
    leftYAxis: { min: 0, label: 'ms', showUnits: false },
    width: QUARTER,
    height: ROW_HEIGHT,
  });
  const coldStarts = new cloudwatch.LogQueryWidget({
    title: `${node.label}: cold starts and init duration`,
    logGroupNames: [logGroupName(fn)],
    queryLines: coldStartQuery(fn, period),
    view: cloudwatch.LogQueryVisualizationType.LINE,
    width: QUARTER,
    height: ROW_HEIGHT,
  });
  return new cloudwatch.Row(text, invocations, duration, coldStarts);
}

/**
 * What a function's hops say: the outside calls it makes, and where the trace breaks on its way
 * in or out, with the trace map's reason.
 */
function hopsFrom(node: TraceMapNode, edges: readonly TraceEdge[], nodes: readonly TraceMapNode[]): string[] {
  const label = (id: string) => nodes.find((n) => n.id === id)?.label ?? id;
  const why = (e: TraceEdge) => e.reason ?? 'no trace context';
  return [
    ...edges
      .filter((e) => e.to === node.id && !e.carriesContext)
      .map((e) => `**the trace breaks** from ${label(e.from)}: ${why(e)}`),
    ...edges
      .filter((e) => e.from === node.id && (e.kind === 'http' || !e.carriesContext))
      .map((e) =>
        e.carriesContext ? `calls ${label(e.to)}` : `**the trace breaks** to ${label(e.to)}: ${why(e)}`,
      ),
  ];
}

/** A queue's row: the age of its oldest message, the depth of its dead-letter queue. */
function queueRow(node: TraceMapNode, queue: sqs.IQueue, period: Duration): cloudwatch.Row {
  const age = new cloudwatch.GraphWidget({
    title: `${node.label}: age of the oldest message`,
    left: [queue.metricApproximateAgeOfOldestMessage({ period, statistic: cloudwatch.Stats.MAXIMUM })],
    leftYAxis: { min: 0 },
    width: HALF,
    height: ROW_HEIGHT,
  });
  const dlq = deadLetterQueueOf(queue);
  const depth = dlq
    ? new cloudwatch.GraphWidget({
        title: `${node.label}: dead-letter queue depth`,
        left: [dlq.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM })],
        leftYAxis: { min: 0 },
        width: HALF,
        height: ROW_HEIGHT,
      })
    : new cloudwatch.TextWidget({
        markdown: `### ${node.label}: no dead-letter queue\nA message that keeps failing is retried until it expires.`,
        width: HALF,
        height: ROW_HEIGHT,
      });
  return new cloudwatch.Row(age, depth);
}

/**
 * The Logs Insights query of cold starts: the REPORT lines Lambda writes for every invocation,
 * with an init duration on a cold start (`platform.report` and `record.metrics.initDurationMs` in
 * the JSON log format, `@type = "REPORT"` and `@initDuration` in the text format).
 */
export function coldStartQuery(fn: lambda.IFunction, period: Duration): string[] {
  const bin = `bin(${period.toMinutes()}m)`;
  return logFormatOf(fn) === 'JSON'
    ? [
        'filter type = "platform.report"',
        `stats count(record.metrics.initDurationMs) as coldStarts, avg(record.metrics.initDurationMs) as avgInitMs, max(record.metrics.initDurationMs) as maxInitMs by ${bin}`,
      ]
    : [
        'filter @type = "REPORT"',
        `stats count(@initDuration) as coldStarts, avg(@initDuration) as avgInitMs, max(@initDuration) as maxInitMs by ${bin}`,
      ];
}

/** The function's logging configuration, when it is in the app. */
function loggingConfig(fn: lambda.IFunction): { logGroup?: unknown; logFormat?: unknown } | undefined {
  const cfn = fn.node.defaultChild as { loggingConfig?: unknown } | undefined;
  const config = cfn?.loggingConfig;
  return config && typeof config === 'object' && !Token.isUnresolved(config)
    ? (config as { logGroup?: unknown; logFormat?: unknown })
    : undefined;
}

function logFormatOf(fn: lambda.IFunction): string {
  const format = loggingConfig(fn)?.logFormat;
  return typeof format === 'string' ? format : 'Text';
}

/** The function's log group name: the one it was given, else Lambda's `/aws/lambda/<name>`. */
function logGroupName(fn: lambda.IFunction): string {
  const group = loggingConfig(fn)?.logGroup;
  return typeof group === 'string' ? group : `/aws/lambda/${fn.functionName}`;
}

function isFunction(c: IConstruct | undefined): c is lambda.IFunction {
  return c !== undefined && typeof (c as Partial<lambda.IFunction>).metricInvocations === 'function';
}

function isQueue(c: IConstruct | undefined): c is sqs.IQueue {
  return (
    c !== undefined && typeof (c as Partial<sqs.IQueue>).metricApproximateAgeOfOldestMessage === 'function'
  );
}

/** A queue's dead-letter queue: a `TracedQueue`'s, or an `sqs.Queue`'s. */
function deadLetterQueueOf(queue: sqs.IQueue): sqs.IQueue | undefined {
  const dlq = (queue as { deadLetterQueue?: unknown }).deadLetterQueue as
    sqs.IQueue | sqs.DeadLetterQueue | undefined;
  if (!dlq) return undefined;
  if (isQueue(dlq as IConstruct)) return dlq as sqs.IQueue;
  return (dlq as sqs.DeadLetterQueue).queue;
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  const c = value as Partial<IConstruct>;
  if (c.node?.path) return `${c.constructor?.name ?? 'a construct'} ${c.node.path}`;
  return typeof value;
}

/** The cost estimate of the flow's entry (`TracingSettings` `traffic`), if the app gives one. */
function estimateOf(scope: IConstruct, entryPath: string): TracingCostEntry | undefined {
  return TracingCost.estimate(scope).entries.find((e) => e.function === entryPath);
}

/**
 * What the spans cost, seen: the bytes CloudWatch Logs takes into `aws/spans` (where X-Ray stores
 * the spans with Transaction Search: the whole account and region, every flow), next to the
 * estimate of this flow at the traffic the settings give, drawn as a line at the same period.
 */
function ingestionRow(estimate: TracingCostEntry | undefined, period: Duration): cloudwatch.Row {
  const periods = (730 * 3600) / period.toSeconds();
  const expected = estimate ? (estimate.monthly.gbIngested * 1e9) / periods : undefined;
  const graph = new cloudwatch.GraphWidget({
    title: 'Spans ingested into aws/spans (bytes, the whole account and region)',
    left: [
      new cloudwatch.Metric({
        namespace: 'AWS/Logs',
        metricName: 'IncomingBytes',
        dimensionsMap: { LogGroupName: 'aws/spans' },
        statistic: 'Sum',
        period,
        label: 'aws/spans IncomingBytes',
      }),
    ],
    leftAnnotations:
      expected === undefined
        ? undefined
        : [
            {
              value: Math.round(expected),
              label: `this flow's estimate at ${estimate!.requestsPerSecond} req/s`,
            },
          ],
    leftYAxis: { min: 0 },
    width: HALF + QUARTER,
    height: 5,
  });
  const text = new cloudwatch.TextWidget({
    markdown: estimate
      ? [
          '### Tracing cost, estimated at synth',
          `${estimate.entry} at ${estimate.requestsPerSecond} req/s: ${estimate.spansPerRequest} spans and ` +
            `${Math.round(estimate.bytesPerRequest)} bytes a request, ${(estimate.keptFraction * 100).toFixed(1)}% kept;`,
          `${estimate.monthly.gbIngested.toFixed(2)} GB ingested a month, about $${estimate.costUsd.total.toFixed(2)} a month ` +
            '(tracing-cost.json has every part, price and assumption).',
        ].join('\n')
      : [
          '### Tracing cost',
          'No estimate: give the traffic of this flow in the settings ' +
            "(`TracingSettings.set(scope, { traffic: TracingTraffic.perEntry({ 'POST /payments': 50 }) })`) " +
            'to see the expected ingestion next to the actual one.',
        ].join('\n'),
    width: QUARTER,
    height: 5,
  });
  return new cloudwatch.Row(graph, text);
}
