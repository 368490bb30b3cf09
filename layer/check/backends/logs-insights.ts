import {
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type CloudWatchLogsClient,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { toXrayTraceId } from '../ids';
import type { NormalisedSpan, TraceBackend } from '../types';
import { parseRetrievedSpans } from './xray-retrieval';

/**
 * The log group X-Ray writes every span to when CloudWatch Transaction Search is on: one JSON log
 * event per span, in the OpenTelemetry semantic convention format with W3C trace ids
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Transaction-Search.html).
 */
export const SPANS_LOG_GROUP = 'aws/spans';

/**
 * A log group name as CloudWatch Logs allows it: 1 to 512 of `a-z A-Z 0-9 . - _ / #`
 * (CreateLogGroup, `logGroupName`).
 */
export const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/**
 * The most rows one query returns: StartQuery's `limit` defaults to 10,000, the most one
 * GetQueryResults answer holds (the StartQuery API reference; CWL_QuerySyntax-Limit.html).
 */
export const MAX_QUERY_ROWS = 10_000;

/** The query statuses of a query that is still going (GetQueryResults). */
const PENDING = new Set(['Scheduled', 'Running']);

/** How far before the time in the trace id the window starts (clocks differ), in seconds. */
const WINDOW_BEFORE_SECONDS = 5 * 60;

/** Options of the Logs Insights backend. */
export interface LogsInsightsOptions {
  /** The log group of the spans. @default 'aws/spans' */
  readonly logGroupName?: string;
  /** The clock (ms since the epoch), for the window's end. @default Date.now */
  readonly now?: () => number;
  /** Waits between two reads of a query that is not complete. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** How long one read waits for its query before it stops it. @default 20 s */
  readonly queryTimeoutMs?: number;
  /** The time between two `GetQueryResults` of one query. @default 1 s */
  readonly queryPollIntervalMs?: number;
}

/**
 * Traces read from the span log group of CloudWatch Transaction Search (`aws/spans`) with
 * CloudWatch Logs Insights. Permissions `logs:StartQuery` and `logs:GetQueryResults` on the log
 * group, `logs:StopQuery` (no resource type: `*`).
 *
 * Each read runs one query: `StartQuery` for the window from 5 minutes before the time in the trace
 * id (its first 8 hex digits, the check's start) to now (both inclusive, epoch seconds) with
 * `fields @message | filter traceId in [...]`, then `GetQueryResults` every second while the query
 * is `Scheduled` or `Running`, until it is `Complete`; the spans are the `@message` of its rows,
 * read by `parseRetrievedSpans`. A later read (the check reads again while hops are missing) runs a
 * new query, whose window reaches spans that arrived since.
 *
 * - The span documents carry `traceId` in W3C form (the Transaction Search page above); the filter
 *   also matches X-Ray's `1-…-…` form, which costs nothing.
 * - `Failed`, `Cancelled`, `Timeout` or `Unknown` is an error; so is a trace with more span
 *   records than the 10,000 rows a query returns (`statistics.recordsMatched` says so): a partial
 *   trace would report hops missing that are not.
 * - A query still running after `queryTimeoutMs` is stopped (`StopQuery`, best effort) and the read
 *   returns the spans of the last complete query (none yet: `undefined`).
 * - The log group missing (`ResourceNotFoundException`) means Transaction Search is off in that
 *   account and region; `LimitExceededException` (too many concurrent queries) is retried within
 *   `queryTimeoutMs`.
 */
export class LogsInsightsTraceBackend implements TraceBackend {
  public readonly name: string;
  private readonly logGroupName: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pollIntervalMs: number;
  private readonly maxWaits: number;
  /** The spans of the last complete query of each trace. */
  private readonly last = new Map<string, NormalisedSpan[]>();

  constructor(
    private readonly client: CloudWatchLogsClient,
    options: LogsInsightsOptions = {},
  ) {
    this.logGroupName = options.logGroupName ?? SPANS_LOG_GROUP;
    if (!LOG_GROUP_NAME.test(this.logGroupName)) {
      throw new Error(`'${this.logGroupName}' is not a log group name (1 to 512 of a-z A-Z 0-9 . - _ / #)`);
    }
    this.name = `logs insights ${this.logGroupName}`;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.pollIntervalMs = Math.max(1, options.queryPollIntervalMs ?? 1000);
    this.maxWaits = Math.max(1, Math.ceil((options.queryTimeoutMs ?? 20_000) / this.pollIntervalMs));
  }

  public async getTrace(traceId: string): Promise<NormalisedSpan[] | undefined> {
    // The id goes into the query string: only a W3C id.
    if (!/^[0-9a-fA-F]{32}$/.test(traceId)) throw new Error(`'${traceId}' is not a W3C trace id`);
    const id = traceId.toLowerCase();
    let waits = 0;
    const wait = async (): Promise<boolean> => {
      if (waits >= this.maxWaits) return false;
      waits++;
      await this.sleep(this.pollIntervalMs);
      return true;
    };

    const queryId = await this.start(id, wait);
    let output: GetQueryResultsCommandOutput | undefined;
    try {
      while (await wait()) {
        output = await this.client.send(new GetQueryResultsCommand({ queryId }));
        if (!PENDING.has(output.status ?? '')) break;
      }
    } catch (error) {
      await this.stop(queryId);
      throw error;
    }
    if (output === undefined || PENDING.has(output.status ?? '')) {
      // Given up: stopped, and the spans of the last complete query (the next read starts anew).
      await this.stop(queryId);
      const last = this.last.get(id);
      return last && last.length > 0 ? last : undefined;
    }
    if (output.status !== 'Complete') {
      throw new Error(
        `the Logs Insights query of trace ${id} in ${this.logGroupName} ended ${output.status ?? 'without a status'}`,
      );
    }
    const spans = this.spansOf(id, output);
    this.last.set(id, spans);
    return spans.length > 0 ? spans : undefined;
  }

  private async start(id: string, wait: () => Promise<boolean>): Promise<string> {
    const endTime = Math.ceil(this.now() / 1000);
    const startTime = Math.min(parseInt(id.slice(0, 8), 16) - WINDOW_BEFORE_SECONDS, endTime);
    const queryString = `fields @message | filter traceId in ["${id}", "${toXrayTraceId(id)}"]`;
    for (;;) {
      try {
        const output = await this.client.send(
          new StartQueryCommand({
            logGroupName: this.logGroupName,
            startTime,
            endTime,
            queryString,
            limit: MAX_QUERY_ROWS,
          }),
        );
        if (!output.queryId) throw new Error(`StartQuery on ${this.logGroupName} returned no queryId`);
        return output.queryId;
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === 'LimitExceededException' && (await wait())) continue;
        throw await this.explain(error, name);
      }
    }
  }

  /** The spans of a complete query's rows (`@message`), of the trace asked for. */
  private spansOf(id: string, output: GetQueryResultsCommandOutput): NormalisedSpan[] {
    const rows = output.results ?? [];
    const matched = output.statistics?.recordsMatched;
    if (rows.length >= MAX_QUERY_ROWS && (matched === undefined || matched > rows.length)) {
      throw new Error(
        `the trace ${id} has ${matched ?? 'more'} span records in ${this.logGroupName}, more than the ` +
          `${MAX_QUERY_ROWS} rows one Logs Insights query returns: the comparison would miss spans`,
      );
    }
    const documents = rows.map((row) => ({
      Id: row.find((f) => f.field === '@ptr')?.value,
      Document: row.find((f) => f.field === '@message')?.value,
    }));
    return parseRetrievedSpans(documents).filter((s) => s.traceId === id);
  }

  /** Stops a query this read gives up on; a failure to stop is ignored (the query ends by itself). */
  private async stop(queryId: string): Promise<void> {
    try {
      await this.client.send(new StopQueryCommand({ queryId }));
    } catch {
      // A query that ended meanwhile cannot be stopped; either way nothing waits for it.
    }
  }

  /** A StartQuery error with what it means for the check. */
  private async explain(error: unknown, name: string | undefined): Promise<Error> {
    const message = (error as Error).message;
    switch (name) {
      case 'ResourceNotFoundException': {
        const region = await this.client.config.region().catch(() => undefined);
        return new Error(
          `the log group ${this.logGroupName} does not exist${region ? ` in ${region}` : ''}: X-Ray writes spans ` +
            'there only when CloudWatch Transaction Search is on in the account and region (TransactionSearch.enable(), ' +
            `or the CloudWatch console); or read traces from another backend (ResourceNotFoundException: ${message})`,
          { cause: error },
        );
      }
      case 'LimitExceededException':
        return new Error(
          `CloudWatch Logs Insights is running as many queries as the account and region allow: the query of ` +
            `${this.logGroupName} could not start (LimitExceededException: ${message})`,
          { cause: error },
        );
      case 'MalformedQueryException':
        return new Error(
          `CloudWatch Logs Insights rejected the query (MalformedQueryException: ${message})`,
          {
            cause: error,
          },
        );
      default:
        return error instanceof Error ? error : new Error(String(error));
    }
  }
}
