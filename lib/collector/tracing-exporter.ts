import { ExporterHeaderValue } from './exporter-header-value';

/** The kind of backend spans are sent to. */
export enum TracingExporterKind {
  /** Any OTLP/HTTP endpoint. */
  OTLP = 'otlp',
  /** The collector's `debug` exporter: spans are written to the function's log. */
  DEBUG = 'debug',
}

/** How much the `debug` exporter writes for each batch of spans. */
export enum DebugExporterVerbosity {
  /** One summary line per batch. */
  BASIC = 'basic',
  /** One line per span. */
  NORMAL = 'normal',
  /** Every span with all its attributes. */
  DETAILED = 'detailed',
}

/** Options of `TracingExporter.otlp`. */
export interface OtlpExporterOptions {
  /**
   * The base URL of the OTLP/HTTP endpoint (`/v1/traces` is appended by the exporter), for
   * example `https://api.honeycomb.io`.
   */
  readonly endpoint: string;

  /**
   * HTTP headers sent with every export, by header name.
   *
   * @default - no headers
   */
  readonly headers?: Record<string, ExporterHeaderValue>;
}

/** Options of `TracingExporter.debug`. */
export interface DebugExporterOptions {
  /**
   * How much the exporter writes to the function's log.
   *
   * @default DebugExporterVerbosity.BASIC
   */
  readonly verbosity?: DebugExporterVerbosity;
}

/**
 * Where the spans go.
 *
 * @example
 * TracingExporter.otlp({
 *   endpoint: 'https://api.honeycomb.io',
 *   headers: { 'x-honeycomb-team': ExporterHeaderValue.fromSecret(secret) },
 * });
 */
export class TracingExporter {
  /** Export to any OTLP/HTTP endpoint, with optional headers (secret or plain). */
  public static otlp(options: OtlpExporterOptions): TracingExporter {
    return new TracingExporter(TracingExporterKind.OTLP, options.endpoint, options.headers ?? {});
  }

  /**
   * Write the spans to the function's log with the collector's `debug` exporter (needs the
   * collector layer). Useful to try the library without a backend.
   */
  public static debug(options: DebugExporterOptions = {}): TracingExporter {
    return new TracingExporter(
      TracingExporterKind.DEBUG,
      undefined,
      {},
      options.verbosity ?? DebugExporterVerbosity.BASIC,
    );
  }

  private constructor(
    /** The kind of exporter. */
    public readonly kind: TracingExporterKind,
    /** The OTLP endpoint (OTLP only). */
    public readonly endpoint: string | undefined,
    /** The headers by name (OTLP only; empty otherwise). */
    public readonly headers: Record<string, ExporterHeaderValue>,
    /** The verbosity (debug only). */
    public readonly verbosity?: DebugExporterVerbosity,
  ) {}
}
