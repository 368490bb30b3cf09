import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { TracingCollector } from '../collector/tracing-collector';
import { TracingExporter } from '../collector/tracing-exporter';
import { AlwaysKeep } from './always-keep';

/** Where the sampling decision is made. */
export enum SamplingMode {
  /**
   * In the function, when a trace starts (parent-based trace-id ratio): an unsampled trace costs
   * nothing past the function, and the decision travels downstream in the `traceparent` flag.
   */
  HEAD = 'head',
  /**
   * In the collector next to each function, with its `probabilistic_sampler` (trace-id hash,
   * the same seed everywhere, so a trace is kept or dropped whole): the function records and
   * sends every span to its collector, which keeps `samplingRatio` of the traces and every span
   * the runtime marks with `sampling.priority` (failed and always-kept traces). Needs the
   * collector layer. Costs more in the function than `HEAD`; use it when the decision must be
   * changeable in the collector configuration alone.
   */
  COLLECTOR = 'collector',
  /**
   * At the tail, on a `TracingGateway` (`exporter: TracingExporter.gateway(gateway)`): the
   * functions record and send every span (or `headSamplingRatio` of the traces, by trace id, for
   * cost), and the gateway, which sees whole traces, keeps every trace with an error span, every
   * trace an always-keep rule or the after-deploy check marks, every trace slower than its
   * latency threshold, and its `samplingRatio` of the rest. Needs the collector layer and a
   * gateway.
   */
  TAIL = 'tail',
}

/**
 * The tracing settings of a function, without the function itself.
 *
 * Give them once for an app, a stage or a stack with `TracingSettings.set`, and override them
 * per function in its props. Precedence: library defaults, then settings from the root to the
 * nearest scope, then the function's own props.
 */
export interface TracingOptions {
  /**
   * The service name of the spans (`OTEL_SERVICE_NAME`).
   *
   * @default - the function's construct id
   */
  readonly serviceName?: string;

  /**
   * The share of new traces that are sampled, from 0 to 1 (parent-based: a function follows the
   * decision of the upstream call or message, so a trace is kept or dropped whole). Must not be
   * above the `maxSamplingRatio` budget of `TracingSettings`.
   *
   * @default 1
   */
  readonly samplingRatio?: number;

  /**
   * Where the sampling decision is made.
   *
   * @default SamplingMode.HEAD
   */
  readonly samplingMode?: SamplingMode;

  /**
   * With `SamplingMode.TAIL`: the share of traces the functions record and send to the gateway
   * at all, decided by trace id (the same at every hop, so a trace is sent whole or not at all).
   * Below 1 it saves the function's export and the gateway's work, and the traces outside it are
   * never seen by the gateway (a failure among them is kept only as the failed invocation's own
   * spans, with `keepErrors`).
   *
   * @default 1
   */
  readonly headSamplingRatio?: number;

  /**
   * Operations whose traces are always kept, whatever `samplingRatio` says (a route, a queue).
   * Rules add up: those of every enclosing `TracingSettings`, the function's own, and those
   * added by `TracedQueue.addConsumer(fn, { alwaysKeep: true })`. A rule that matches nothing
   * in the app is a synth error.
   *
   * @default - no rule
   */
  readonly alwaysKeep?: AlwaysKeep[];

  /**
   * Export the spans of a failed invocation even when its trace was not sampled.
   *
   * @default true
   */
  readonly keepErrors?: boolean;

  /**
   * Add `trace_id`, `span_id` and `trace_flags` to the JSON log lines the function writes with
   * `console` while a span is active, so logs and traces join in CloudWatch (needs
   * `loggingFormat: JSON`, the default of `TracedFunction`).
   *
   * @default true
   */
  readonly logCorrelation?: boolean;

  /**
   * The longest the function waits to flush its spans before it returns; must be shorter than
   * the function timeout.
   *
   * @default Duration.seconds(1)
   */
  readonly flushTimeout?: Duration;

  /**
   * How long the function's log group keeps its logs (ignored when you pass your own `logGroup`).
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Where the spans go.
   *
   * @default TracingExporter.debug() - spans are written to the function's log by the collector
   */
  readonly exporter?: TracingExporter;

  /**
   * Whether and how a collector runs next to the function.
   *
   * @default TracingCollector.lambdaLayer() - the upstream collector layer, version 0.22.0
   */
  readonly collector?: TracingCollector;
}
