// The shape of `tracing-cost.json`, which the library writes next to the trace map at synth.

/** The file of the cost estimate in the cloud assembly directory (`cdk.out`). */
export const TRACING_COST_FILE = 'tracing-cost.json';

/** One price or rate the estimate uses, with where it comes from. */
export interface TracingCostPrice {
  /** A stable id (`logsIngestedPerGb`). */
  readonly id: string;
  /** What is priced, and any assumption about it. */
  readonly description: string;
  /** The price in US dollars per `unit`. */
  readonly usd: number;
  /** The unit priced (`GB`, `GB-month`, `million spans`). */
  readonly unit: string;
  /** The date the price was read (`YYYY-MM-DD`). */
  readonly asOf: string;
  /** Where it was read. */
  readonly sources: string[];
  /** `false` when the price could not be read from a primary source and a stand-in is used. */
  readonly verified: boolean;
}

/** The monthly cost of each part, in US dollars. */
export interface TracingCostParts {
  /** Spans ingested by the backend (X-Ray Transaction Search: aws/spans). */
  readonly ingestion: number;
  /** Spans indexed as X-Ray trace summaries above the free 1%. */
  readonly indexing: number;
  /** CloudWatch Logs: ingestion of what the collector writes to the function's log, and storage by retention. */
  readonly logs: number;
  /** The tail-sampling gateway (only on the app's total, see `TracingCostReport.gateway`). */
  readonly gateway: number;
  /** The sum. */
  readonly total: number;
}

/** The estimate of one entry of the trace map. */
export interface TracingCostEntry {
  /** The entry: an API route (`POST /payments`) or an entry function's construct path. */
  readonly entry: string;
  /** The construct path of the entry function. */
  readonly function: string;
  /** The requests per second given in the settings. */
  readonly requestsPerSecond: number;
  /** The construct path of the settings scope the traffic figure came from. */
  readonly trafficFrom: string;
  /** Spans each request makes, by the map (see `assumptions`). */
  readonly spansPerRequest: number;
  /** How the spans per request add up, one line per function or hop. */
  readonly spans: string[];
  /** Bytes each request's spans take as stored (`spansPerRequest` × the span size). */
  readonly bytesPerRequest: number;
  /** Where the spans go: `xray`, `debug` (the function's log), `otlp` (a backend priced elsewhere), `gateway`. */
  readonly exporter: string;
  /** The sampling as set: mode, ratio, keep errors, the head ratio with a gateway. */
  readonly sampling: {
    /** `head`, `collector` or `tail`. */
    readonly mode: string;
    /** The sampling ratio (the gateway's with `tail`). */
    readonly ratio: number;
    /** Whether failed requests are kept beyond the ratio. */
    readonly keepErrors: boolean;
    /** The share of requests assumed to fail (the traffic's `errorRate`). */
    readonly errorRate: number;
    /**
     * The share of traces the functions send to the gateway.
     *
     * @default - not tail sampling
     */
    readonly headSamplingRatio?: number;
    /** Whether an always-keep route rule matches the entry. */
    readonly alwaysKept: boolean;
  };
  /** The share of requests whose spans are stored. */
  readonly keptFraction: number;
  /** The share of requests whose spans leave the functions (to the gateway with tail sampling). */
  readonly exportedFraction: number;
  /**
   * Retention, in days, of where the spans are stored.
   *
   * @default - never expire (counted for 12 months), or an OTLP backend's own
   */
  readonly retentionDays?: number;
  /**
   * The indexing percentage with X-Ray Transaction Search.
   *
   * @default - not X-Ray
   */
  readonly indexingPercentage?: number;
  /** Monthly volumes. */
  readonly monthly: {
    /** Requests a month (730 hours). */
    readonly requests: number;
    /** Spans stored a month. */
    readonly spansKept: number;
    /** GB written a month (to aws/spans, or to the function's log with the debug exporter). */
    readonly gbIngested: number;
    /** GB held in a steady state, by the retention. */
    readonly gbStored: number;
  };
  /** The monthly cost of each part, US dollars. */
  readonly costUsd: TracingCostParts;
}

/** The gateway of the app, sized for the spans every entry sends it (BENCHMARKS.md's model). */
export interface TracingCostGateway {
  /** The construct path of the gateway. */
  readonly path: string;
  /** How functions reach it: `iam` (HTTP API in front) or `vpc`. */
  readonly access: string;
  /** Spans per second sent to it. */
  readonly spansPerSecond: number;
  /** Export requests per second sent to it (one per traced invocation). */
  readonly exportsPerSecond: number;
  /** Tasks of the load-balancing tier. */
  readonly loadBalancingTasks: number;
  /** Tasks of the sampling tier. */
  readonly samplingTasks: number;
  /** Monthly cost, US dollars. */
  readonly costUsd: {
    /** The tasks of both tiers. */
    readonly fargate: number;
    /** The internal NLB (hours and NLCUs). */
    readonly loadBalancer: number;
    /** The HTTP API in front with `GatewayAccess.iam()`. */
    readonly httpApi: number;
    /** Data from the load-balancing tier to samplers in another zone. */
    readonly crossZone: number;
    /** The sum. */
    readonly total: number;
  };
}

/** The content of `tracing-cost.json`. */
export interface TracingCostReport {
  /** The version of this format. */
  readonly version: 1;
  /** The currency of every cost. */
  readonly currency: 'USD';
  /** The region the prices are for. */
  readonly region: string;
  /** The date the prices were read (`YYYY-MM-DD`). */
  readonly pricesAsOf: string;
  /** A month, as the estimate counts it. */
  readonly hoursPerMonth: 730;
  /** Every price and rate used. */
  readonly prices: TracingCostPrice[];
  /** Measured figures used (span size, gateway CPU per span), with how they were measured. */
  readonly measured: Record<string, number>;
  /** What the model assumes. */
  readonly assumptions: string[];
  /** One estimate per entry with a traffic figure. */
  readonly entries: TracingCostEntry[];
  /** The gateways, sized for the entries' spans. */
  readonly gateways: TracingCostGateway[];
  /** Traffic keys that matched no entry under their scope. */
  readonly unmatched: string[];
  /** The sum of every entry and gateway, per month. */
  readonly totalUsd: TracingCostParts;
}
