/** Whether and how an OpenTelemetry Collector runs next to the function. */
export enum TracingCollectorKind {
  /** The upstream OpenTelemetry Collector Lambda extension layer. */
  LAMBDA_LAYER = 'lambda-layer',
  /** No collector: the function exports directly to the OTLP endpoint. */
  NONE = 'none',
}

/** Options of `TracingCollector.lambdaLayer`. */
export interface LambdaLayerCollectorOptions {
  /**
   * The version of the upstream `opentelemetry-collector` Lambda layer (`major.minor.patch`).
   *
   * @default '0.23.0' - the version whose components (and published regions) this library checks against
   */
  readonly version?: string;

  /**
   * The full ARN of the collector layer version, overriding the ARN built from the region,
   * the architecture and `version` (for a mirrored or self-built layer).
   *
   * @default - `arn:aws:lambda:<region>:184161586896:layer:opentelemetry-collector-<amd64|arm64>-<version>:1`
   */
  readonly layerArn?: string;
}

/**
 * Whether and how an OpenTelemetry Collector runs next to the function.
 *
 * @example
 * TracingCollector.lambdaLayer({ version: '0.23.0' });
 * TracingCollector.none();
 */
export class TracingCollector {
  /**
   * Run the upstream OpenTelemetry Collector as a Lambda extension layer; the function exports
   * to it on `localhost:4318` and it forwards after the response (`decouple`).
   */
  public static lambdaLayer(options: LambdaLayerCollectorOptions = {}): TracingCollector {
    return new TracingCollector(TracingCollectorKind.LAMBDA_LAYER, options.version, options.layerArn);
  }

  /**
   * No collector: the function exports directly to the OTLP endpoint within its flush deadline.
   * Needs `TracingExporter.otlp` without secret headers.
   */
  public static none(): TracingCollector {
    return new TracingCollector(TracingCollectorKind.NONE);
  }

  private constructor(
    /** The kind of collector. */
    public readonly kind: TracingCollectorKind,
    /** The layer version asked for (lambda layer only). */
    public readonly version?: string,
    /** The layer ARN asked for (lambda layer only). */
    public readonly layerArn?: string,
  ) {}
}
