import { Token } from 'aws-cdk-lib';

/** The kinds of backend a canary reads traces from. */
export enum CanaryBackendType {
  XRAY = 'xray',
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
   * AWS X-Ray (`BatchGetTraces`): the canary gets `xray:BatchGetTraces`. With
   * `TracingExporter.xray()` the spans reach X-Ray through its OTLP endpoint.
   */
  public static xray(): CanaryBackend {
    return new CanaryBackend(CanaryBackendType.XRAY);
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
    if (this.type === CanaryBackendType.XRAY || this.url === undefined || Token.isUnresolved(this.url)) {
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

  /** The backend as the canary function reads it: `xray`, `jaeger=<url>`, `tempo=<url>`. @internal */
  public _render(): string {
    return this.type === CanaryBackendType.XRAY ? 'xray' : `${this.type}=${this.url}`;
  }
}
