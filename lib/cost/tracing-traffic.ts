import { Token } from 'aws-cdk-lib';

/**
 * The traffic a scope expects, for the cost estimate written at synth (`tracing-cost.json`):
 * requests per second per entry of the trace map (an API route, or an entry function).
 *
 * Give it in the settings: `TracingSettings.set(stage, { traffic: TracingTraffic.perEntry({ 'POST /payments': 50 }) })`.
 * The nearest scope's traffic applies to the entries under it.
 *
 * @example
 * TracingTraffic.requestsPerSecond(20); // every entry under the scope: 20 requests a second
 * TracingTraffic.perEntry({ 'POST /payments': 50, 'Prod/Payments/Nightly': 0.01 });
 */
export class TracingTraffic {
  /** The same rate for every entry under the scope (each API route, each entry function). */
  public static requestsPerSecond(
    requestsPerSecond: number,
    options: TracingTrafficOptions = {},
  ): TracingTraffic {
    return new TracingTraffic(requestsPerSecond, {}, options.errorRate);
  }

  /**
   * A rate per entry: the key is an API route as API Gateway names it (`POST /payments`,
   * `$default`) or the construct path of an entry function (`Prod/Payments/Nightly`). Entries not
   * named get no estimate.
   */
  public static perEntry(rates: Record<string, number>, options: TracingTrafficOptions = {}): TracingTraffic {
    return new TracingTraffic(undefined, { ...rates }, options.errorRate);
  }

  private constructor(
    /** The rate of every entry, when given with `requestsPerSecond`. */
    public readonly requestsPerSecond: number | undefined,
    /** The rates per entry, when given with `perEntry`. */
    public readonly perEntry: Readonly<Record<string, number>>,
    /** The share of requests that fail, what `keepErrors` keeps beyond the sampling ratio. */
    public readonly errorRate: number | undefined,
  ) {}
}

/** Options of a traffic figure. */
export interface TracingTrafficOptions {
  /**
   * The share of requests that fail (0 to 1): with `keepErrors`, their spans are kept whatever the
   * sampling ratio, so they add to what is stored.
   *
   * @default 0.01
   */
  readonly errorRate?: number;
}

/** The problems of a traffic figure, each naming the value and the fix (empty when valid). */
export function trafficErrors(traffic: TracingTraffic | undefined): string[] {
  if (traffic === undefined) return [];
  if (!(traffic instanceof TracingTraffic)) {
    return [
      'traffic must be made with TracingTraffic.requestsPerSecond(n) or TracingTraffic.perEntry({ ... })',
    ];
  }
  const errors: string[] = [];
  const rate = (name: string, value: unknown) => {
    if (typeof value === 'number' && Token.isUnresolved(value)) {
      errors.push(`${name} must be a number known at synth, not a deploy-time value (a token)`);
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      errors.push(`${name} must be a finite number of requests per second, 0 or more (got ${String(value)})`);
    }
  };
  if (traffic.requestsPerSecond !== undefined) rate('traffic requestsPerSecond', traffic.requestsPerSecond);
  const entries = Object.entries(traffic.perEntry);
  if (traffic.requestsPerSecond === undefined && entries.length === 0) {
    errors.push('traffic perEntry names no entry: give at least one route or entry function path');
  }
  for (const [key, value] of entries) {
    if (key.trim() === '' || Token.isUnresolved(key)) {
      errors.push('traffic perEntry keys must be routes (POST /payments) or construct paths known at synth');
    }
    rate(`traffic perEntry['${key}']`, value);
  }
  const errorRate = traffic.errorRate;
  if (errorRate !== undefined) {
    if (Token.isUnresolved(errorRate)) {
      errors.push('traffic errorRate must be a number known at synth, not a deploy-time value (a token)');
    } else if (!Number.isFinite(errorRate) || errorRate < 0 || errorRate > 1) {
      errors.push(`traffic errorRate must be between 0 and 1 (got ${errorRate})`);
    }
  }
  return errors;
}
