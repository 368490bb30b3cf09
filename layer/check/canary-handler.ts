import { gunzipSync } from 'node:zlib';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { XRayClient } from '@aws-sdk/client-xray';
import { createBackend, parseBackendSpec, type FetchLike } from './backends';
import { CanaryHeaders } from './canary-headers';
import { expectedHops } from './expected';
import { runCheck, type TraceCheckResult } from './run-check';
import { runDrill, type DrillResult } from './run-drill';
import type { TraceMapDocument } from './types';

/**
 * The environment of the canary function (set by `TraceContinuityCanary`; a test checks the
 * construct writes the same names).
 */
export const CANARY_ENV = {
  /** The entry function's name: what is invoked, and the metrics' dimension. */
  FUNCTION_NAME: 'TRACE_CHECK_FUNCTION_NAME',
  /** The entry's node id in the map. */
  ENTRY: 'TRACE_CHECK_ENTRY',
  /** The part of the trace map reachable from the entry: JSON, or `gzip:<base64>` when large. */
  MAP: 'TRACE_CHECK_MAP',
  /**
   * `xray` (trace retrieval), `xray-batch` (BatchGetTraces), `logs-insights[=<log group>]`,
   * `jaeger=<url>` or `tempo=<url>`.
   */
  BACKEND: 'TRACE_CHECK_BACKEND',
  TIMEOUT_MS: 'TRACE_CHECK_TIMEOUT_MS',
  POLL_INTERVAL_MS: 'TRACE_CHECK_POLL_INTERVAL_MS',
  /** The request body, JSON (absent: the default body). */
  BODY: 'TRACE_CHECK_BODY',
  METRIC_NAMESPACE: 'TRACE_CHECK_METRIC_NAMESPACE',
  /** Plain headers of the Jaeger or Tempo query API: `name=value` pairs, values URL-encoded. */
  HEADERS: 'TRACE_CHECK_HEADERS',
  /** Headers read from Secrets Manager: JSON `[{ header, secret (ARN), field? }]`, never a value. */
  HEADER_SECRETS: 'TRACE_CHECK_HEADER_SECRETS_REF',
  /** The failure drill's hop (a function's node id); absent: no drill. */
  DRILL_HOP: 'TRACE_CHECK_DRILL_HOP',
  /** The drill's request, JSON. */
  DRILL_BODY: 'TRACE_CHECK_DRILL_BODY',
  /** What the drill requires kept: `failed-hop` or `whole-trace`. */
  DRILL_EXPECT: 'TRACE_CHECK_DRILL_EXPECT',
} as const;

/** The metrics the canary publishes, with the dimension `EntryFunction` = the entry function's name. */
export const CANARY_METRICS = {
  MISSING_HOPS: 'MissingHops',
  TRACE_FOUND: 'TraceFound',
  /** 1 when the drill's failure was kept as a trace, else 0 (published only with a drill). */
  FAILURE_TRACE_KEPT: 'FailureTraceKept',
  DIMENSION: 'EntryFunction',
} as const;

/** The prefix of a map that was gzipped to fit Lambda's 4 KB of environment variables. */
export const GZIP_PREFIX = 'gzip:';

/** What the canary's clients and clock are (tests give their own). */
export interface CanaryDependencies {
  readonly lambda: LambdaClient;
  readonly xray: () => XRayClient;
  /** For the `logs-insights` backend. */
  readonly logs?: () => CloudWatchLogsClient;
  /** For the headers read from Secrets Manager. */
  readonly secretsManager?: () => SecretsManagerClient;
  readonly cloudWatch: CloudWatchClient;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: FetchLike;
  /** Writes one log line. @default console.log */
  readonly log?: (line: string) => void;
}

/** What one run returns (and logs). */
export interface CanaryRunSummary {
  readonly ok: boolean;
  readonly status: TraceCheckResult['status'];
  readonly traceId: string;
  readonly missingHops: number;
  readonly traceFound: boolean;
  /** The drill's outcome, when the canary runs one. */
  readonly drill?: {
    readonly status: DrillResult['status'];
    readonly traceId: string;
    readonly kept: boolean;
  };
}

/** The event of the schedule rule: its `time` is the scheduled minute. */
interface ScheduledEvent {
  readonly time?: string;
}

/**
 * The canary's handler: runs the check once and publishes `MissingHops` (how many expected hops
 * the trace lacks; all of them when the trace was not found, the entry failed or the check could
 * not run) and `TraceFound` (1 or 0), timestamped with the scheduled time so every period of the
 * alarm gets exactly one data point. With a drill (`TRACE_CHECK_DRILL_HOP`), the failure drill
 * runs side by side with the check and `FailureTraceKept` (1 or 0) is published with them. A
 * check that cannot run still publishes (a drill's `FailureTraceKept` as 0), then throws (the
 * function's Errors metric and log show why); a run that publishes nothing leaves the period
 * without data, which the alarm treats as breaching.
 */
export function createCanaryHandler(
  deps: CanaryDependencies,
): (event?: ScheduledEvent) => Promise<CanaryRunSummary> {
  const log = deps.log ?? ((line: string) => console.log(line));
  // The header secrets are read once per cold start, again after a run that could not run.
  const headers = new CanaryHeaders(deps.secretsManager);
  return async (event) => {
    const env = deps.env;
    const functionName = required(env, CANARY_ENV.FUNCTION_NAME);
    const namespace = required(env, CANARY_ENV.METRIC_NAMESPACE);
    const map = decodeMap(required(env, CANARY_ENV.MAP));
    const expected = expectedHops(map, required(env, CANARY_ENV.ENTRY));
    const scheduled = event?.time ? Date.parse(event.time) : NaN;
    const timestamp = new Date(Number.isFinite(scheduled) ? scheduled : (deps.now ?? Date.now)());

    const checkOptions = {
      expected,
      functionName,
      lambda: deps.lambda,
      timeoutMs: numberOr(env[CANARY_ENV.TIMEOUT_MS], 120_000),
      pollIntervalMs: numberOr(env[CANARY_ENV.POLL_INTERVAL_MS], 5_000),
      now: deps.now,
      sleep: deps.sleep,
    };
    const drillHop = env[CANARY_ENV.DRILL_HOP];

    let result: TraceCheckResult;
    let drill: DrillResult | undefined;
    try {
      const backend = createBackend(parseBackendSpec(env[CANARY_ENV.BACKEND] ?? 'xray'), {
        xray: deps.xray,
        logs: deps.logs,
        fetch: deps.fetch,
        now: deps.now,
        sleep: deps.sleep,
        headers: await headers.get(
          env[CANARY_ENV.HEADERS],
          env[CANARY_ENV.HEADER_SECRETS],
          CANARY_ENV.HEADERS,
        ),
      });
      // The check and the drill run side by side: a run takes as long as one of them.
      [result, drill] = await Promise.all([
        runCheck({
          ...checkOptions,
          backend,
          body: env[CANARY_ENV.BODY] ? (JSON.parse(env[CANARY_ENV.BODY]!) as unknown) : undefined,
        }),
        drillHop
          ? runDrill({
              ...checkOptions,
              backend,
              hop: drillHop,
              body: JSON.parse(required(env, CANARY_ENV.DRILL_BODY)) as unknown,
              expect: env[CANARY_ENV.DRILL_EXPECT] === 'whole-trace' ? 'whole-trace' : 'failed-hop',
            })
          : undefined,
      ]);
    } catch (error) {
      headers.forget();
      await publish(deps.cloudWatch, namespace, functionName, timestamp, {
        missingHops: expected.hops.length,
        traceFound: false,
        ...(drillHop ? { failureTraceKept: false } : {}),
      });
      log(
        JSON.stringify({
          level: 'ERROR',
          message: 'the trace check could not run',
          entry: expected.entry.node,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        }),
      );
      throw error;
    }

    await publish(deps.cloudWatch, namespace, functionName, timestamp, {
      missingHops: result.missing.length,
      traceFound: result.found,
      ...(drill ? { failureTraceKept: drill.kept } : {}),
    });
    log(
      JSON.stringify({
        level: result.ok ? 'INFO' : 'WARN',
        message: result.ok ? 'the trace reached every expected hop' : 'the trace is incomplete',
        status: result.status,
        entry: result.entry,
        traceId: result.traceId,
        xrayTraceId: result.xrayTraceId,
        present: result.present.map((h) => ({ hop: h.id, spanIds: h.spanIds })),
        missing: result.missing.map((h) => ({ hop: h.id, why: h.why })),
        extra: result.extra.map((e) => e.serviceName),
        knownBreaks: result.knownBreaks.map((b) => b.label),
        invocation: result.invocation,
        polls: result.polls,
        notes: result.notes,
      }),
    );
    if (drill) {
      log(
        JSON.stringify({
          level: drill.kept ? 'INFO' : 'WARN',
          message: drill.kept
            ? `the drilled failure at ${drill.hop.label} is kept as a trace`
            : `the drilled failure at ${drill.hop.label} is not kept as a trace`,
          status: drill.status,
          expect: drill.expect,
          hop: drill.hop.id,
          traceId: drill.traceId,
          xrayTraceId: drill.xrayTraceId,
          failedSpanIds: drill.failedSpans.map((s) => s.spanId),
          keptHops: drill.comparison.present.map((h) => h.id),
          invocation: drill.invocation,
          polls: drill.polls,
          notes: drill.notes,
        }),
      );
    }
    return {
      ok: result.ok && (drill?.kept ?? true),
      status: result.status,
      traceId: result.traceId,
      missingHops: result.missing.length,
      traceFound: result.found,
      ...(drill ? { drill: { status: drill.status, traceId: drill.traceId, kept: drill.kept } } : {}),
    };
  };
}

/** The map slice of the environment: JSON, or gzipped JSON in base64 after `gzip:`. */
export function decodeMap(text: string): TraceMapDocument {
  const json = text.startsWith(GZIP_PREFIX)
    ? gunzipSync(Buffer.from(text.slice(GZIP_PREFIX.length), 'base64')).toString('utf8')
    : text;
  return JSON.parse(json) as TraceMapDocument;
}

async function publish(
  cloudWatch: CloudWatchClient,
  namespace: string,
  functionName: string,
  timestamp: Date,
  values: { missingHops: number; traceFound: boolean; failureTraceKept?: boolean },
): Promise<void> {
  const { missingHops, traceFound, failureTraceKept } = values;
  const dimensions = [{ Name: CANARY_METRICS.DIMENSION, Value: functionName }];
  await cloudWatch.send(
    new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: [
        {
          MetricName: CANARY_METRICS.MISSING_HOPS,
          Dimensions: dimensions,
          Timestamp: timestamp,
          Value: missingHops,
          Unit: 'Count',
        },
        {
          MetricName: CANARY_METRICS.TRACE_FOUND,
          Dimensions: dimensions,
          Timestamp: timestamp,
          Value: traceFound ? 1 : 0,
          Unit: 'None',
        },
        ...(failureTraceKept === undefined
          ? []
          : [
              {
                MetricName: CANARY_METRICS.FAILURE_TRACE_KEPT,
                Dimensions: dimensions,
                Timestamp: timestamp,
                Value: failureTraceKept ? 1 : 0,
                Unit: 'None' as const,
              },
            ]),
      ],
    }),
  );
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`the canary's environment has no ${name}`);
  return value;
}

function numberOr(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text && Number.isFinite(value) && value >= 0 ? value : fallback;
}

let defaultHandler: ((event?: ScheduledEvent) => Promise<CanaryRunSummary>) | undefined;

/** The Lambda handler: the check with the function's own role, in its own region. */
export const handler = (event?: ScheduledEvent): Promise<CanaryRunSummary> => {
  defaultHandler ??= createCanaryHandler({
    lambda: new LambdaClient({}),
    xray: () => new XRayClient({}),
    logs: () => new CloudWatchLogsClient({}),
    secretsManager: () => new SecretsManagerClient({}),
    cloudWatch: new CloudWatchClient({}),
    env: process.env,
  });
  return defaultHandler(event);
};
