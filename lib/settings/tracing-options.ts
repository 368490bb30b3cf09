import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { TracingCollector } from '../collector/tracing-collector';
import { TracingExporter } from '../collector/tracing-exporter';

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
   * The share of new traces that are sampled, from 0 to 1 (parent-based: a sampled parent is
   * always followed).
   *
   * @default 1
   */
  readonly samplingRatio?: number;

  /**
   * Export the spans of a failed invocation even when its trace was not sampled.
   *
   * @default true
   */
  readonly keepErrors?: boolean;

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
