import type { IGatewayEndpoint } from '../core/gateway-endpoint';
import { ExporterHeaderValue } from './exporter-header-value';
import { TransactionSearch } from './transaction-search';

/** The kind of backend spans are sent to. */
export enum TracingExporterKind {
  /** Any OTLP/HTTP endpoint. */
  OTLP = 'otlp',
  /** The collector's `debug` exporter: spans are written to the function's log. */
  DEBUG = 'debug',
  /** The X-Ray OTLP endpoint, signed with SigV4 by the collector. */
  XRAY = 'xray',
  /** A `TracingGateway`, which samples whole traces and exports them. */
  GATEWAY = 'gateway',
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

/** Options of `TracingExporter.xray`. */
export interface XrayExporterOptions {
  /**
   * CloudWatch Transaction Search, which the X-Ray OTLP endpoint needs. It is one setting per
   * account and region: `TransactionSearch.enable()` in exactly one stack of an account and
   * region, `TransactionSearch.alreadyEnabled()` in the others.
   */
  readonly transactionSearch: TransactionSearch;
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

  /**
   * Export to AWS X-Ray through its OTLP endpoint (`https://xray.<region>.amazonaws.com/v1/traces`),
   * signed with SigV4 by the collector's `sigv4auth` extension with the function's role (needs
   * the collector layer). The function is granted `xray:PutTraceSegments` and makes X-Ray-valid
   * trace ids (`TRACING_ID_FORMAT=xray`).
   *
   * @example
   * TracingExporter.xray({ transactionSearch: TransactionSearch.enable() });
   */
  public static xray(options: XrayExporterOptions): TracingExporter {
    return new TracingExporter(TracingExporterKind.XRAY, undefined, {}, undefined, options.transactionSearch);
  }

  /**
   * Export to a `TracingGateway` (with `SamplingMode.TAIL`): the collector next to the function
   * sends every span to the gateway, which decides per trace and exports to the stage's backend.
   * Through the gateway's HTTPS endpoint signed with SigV4 (`GatewayAccess.iam()`, the function
   * gets `execute-api:Invoke` on its route), or its internal load balancer from inside its VPC
   * (`GatewayAccess.vpc()`). Trace ids are X-Ray-valid, whatever the gateway exports to.
   *
   * @example
   * const gateway = new TracingGateway(stack, 'Gateway');
   * TracingSettings.set(stack, { samplingMode: SamplingMode.TAIL, exporter: TracingExporter.gateway(gateway) });
   */
  public static gateway(gateway: IGatewayEndpoint): TracingExporter {
    return new TracingExporter(TracingExporterKind.GATEWAY, undefined, {}, undefined, undefined, gateway);
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
    /** CloudWatch Transaction Search (X-Ray only). */
    public readonly transactionSearch?: TransactionSearch,
    /** The gateway (gateway only). */
    public readonly gateway?: IGatewayEndpoint,
  ) {}
}
