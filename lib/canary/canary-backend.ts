import { Token } from 'aws-cdk-lib';

/** The kinds of backend a canary reads traces from. */
export enum CanaryBackendType {
  /** X-Ray's trace retrieval API (CloudWatch Transaction Search on). */
  XRAY = 'xray',
  /** X-Ray's `BatchGetTraces` (Transaction Search off). */
  XRAY_BATCH = 'xray-batch',
  JAEGER = 'jaeger',
  TEMPO = 'tempo',
}

/**
 * Where a `TraceContinuityCanary` reads the trace back.
 *
 * @example
 * CanaryBackend.xray(); // the default
 * CanaryBackend.tempo('https://tempo.internal.example.com');
 */
export class CanaryBackend {
  /**
   * AWS X-Ray with CloudWatch Transaction Search on, read with its trace retrieval API
   * (`StartTraceRetrieval`, then `ListRetrievedTraces` in the OpenTelemetry format): the canary
   * gets `xray:StartTraceRetrieval` and `xray:ListRetrievedTraces`. This is how traces are read
   * with `TracingExporter.xray()`: its spans reach X-Ray through the OTLP endpoint, which needs
   * Transaction Search, and with Transaction Search on `BatchGetTraces` finds no trace.
   */
  public static xray(): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.XRAY);
  }

  /**
   * AWS X-Ray with Transaction Search off, read with `BatchGetTraces`: the canary gets
   * `xray:BatchGetTraces`. For spans that reach X-Ray as segments some other way.
   */
  public static xrayBatchGetTraces(): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.XRAY_BATCH);
  }

  /**
   * Jaeger's query API (`GET <url>/api/traces/<trace id>`). The canary must reach the URL: a
   * Jaeger inside a VPC is not reachable from the canary, which runs outside any VPC.
   */
  public static jaeger(url: string): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.JAEGER, url);
  }

  /** Grafana Tempo's query API (`GET <url>/api/traces/<trace id>`, OTLP JSON); reachable as for Jaeger. */
  public static tempo(url: string): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.TEMPO, url);
  }

  private constructor(
    /** The kind of backend. */
    public readonly type: CanaryBackendType,
    /** The query API's base URL (Jaeger and Tempo). */
    public readonly url?: string,
  ) {}

  /** What is wrong with this backend, if anything (`prop` names it). @internal */
  public _errors(prop: string): string[] {
    if (
      this.type === CanaryBackendType.XRAY ||
      this.type === CanaryBackendType.XRAY_BATCH ||
      this.url === undefined ||
      Token.isUnresolved(this.url)
    ) {
      return [];
    }
    try {
      const url = new URL(this.url);
      if (url.protocol === 'http:' || url.protocol === 'https:') return [];
    } catch {
      // reported below
    }
    return [`${prop}: the ${this.type} URL must be an http or https URL (got '${this.url}')`];
  }

  /** The backend as the canary function reads it: `xray`, `xray-batch`, `jaeger=<url>`, `tempo=<url>`. @internal */
  public _render(): string {
    return this.type === CanaryBackendType.XRAY || this.type === CanaryBackendType.XRAY_BATCH
      ? this.type
      : `${this.type}=${this.url}`;
  }

  /** The IAM actions the canary needs to read this backend (none for a query API). @internal */
  public _actions(): string[] {
    switch (this.type) {
      case CanaryBackendType.XRAY:
        return ['xray:StartTraceRetrieval', 'xray:ListRetrievedTraces'];
      case CanaryBackendType.XRAY_BATCH:
        return ['xray:BatchGetTraces'];
      default:
        return [];
    }
  }
}
