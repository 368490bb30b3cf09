import { join } from 'node:path';
import { PARENT_SPAN_ID, httpApiEvent, traceparent } from '../test/helpers/events';
import { sqsEvent, sqsRecord } from '../test/helpers/local-aws';
import type { Sinks } from './cold';
import { median } from './lib/stats';
import { eventFile, runHarness } from './lib/spawn';
import { ROOT, type Variant } from './lib/variants';

const HARNESS = join(ROOT, 'bench', 'harness', 'warm.cjs');

/** One warm scenario: an event shape, sampled or not. */
export interface WarmScenario {
  readonly name: string;
  readonly shape: 'http' | 'sqs';
  readonly sampled: boolean;
}

export const WARM_SCENARIOS: WarmScenario[] = [
  { name: 'HTTP API request, sampled', shape: 'http', sampled: true },
  { name: 'HTTP API request, unsampled', shape: 'http', sampled: false },
  { name: 'SQS batch of 10 with context, sampled', shape: 'sqs', sampled: true },
  { name: 'SQS batch of 10 with context, unsampled', shape: 'sqs', sampled: false },
];

/** The event of a scenario; the caller's context says sampled or not, as does the ratio. */
export function scenarioEvent(scenario: WarmScenario): unknown {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const header = traceparent(traceId, PARENT_SPAN_ID, scenario.sampled);
  if (scenario.shape === 'http') return httpApiEvent({ headers: { traceparent: header } });
  return sqsEvent(
    Array.from({ length: 10 }, (_, i) =>
      sqsRecord({
        body: JSON.stringify({ paymentId: `p-${i}`, amount: 1250 }),
        attributes: { traceparent: { DataType: 'String', StringValue: header } },
      }),
    ),
  );
}

/** Median µs per invocation of each variant in one scenario (median of the processes' medians). */
export interface WarmResult {
  readonly scenario: WarmScenario;
  readonly micros: Map<string, number>;
  readonly spread: Map<string, [number, number]>;
  /** Exports each variant's sink received in this scenario (all processes, warm-up included). */
  readonly exports: Map<string, number>;
}

/** Exports a sink has seen so far; stdout is counted per process. */
function sinkCount(sinks: Sinks | undefined, variant: Variant): number {
  if (!sinks) return 0;
  if (variant.sink === 'otlp') return sinks.otlp.requests;
  if (variant.sink === 'udp') return sinks.udp.datagrams;
  return 0;
}

/** The environment of a variant in a scenario: the ratio says sampled, and so does X-Ray's header. */
function variantEnv(env: Record<string, string>, variant: Variant, sampled: boolean): Record<string, string> {
  return {
    ...env,
    OTEL_TRACES_SAMPLER_ARG: sampled ? '1' : '0',
    ...variant.env,
    ...variant.sampledEnv?.(sampled),
  };
}

/**
 * Warm per-invocation time: each variant in its own process, `iterations` timed invocations after
 * a warm-up, `repeats` processes per variant, variants alternating.
 */
export async function warmRuns(
  scenario: WarmScenario,
  variants: Variant[],
  env: Record<string, string>,
  options: { iterations: number; warmup: number; repeats: number },
  sinks?: Sinks,
): Promise<WarmResult> {
  const event = eventFile(scenarioEvent(scenario));
  const perVariant = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const exports = new Map<string, number>(variants.map((v) => [v.name, 0]));
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (const v of repeat % 2 === 0 ? variants : [...variants].reverse()) {
      const before = sinkCount(sinks, v);
      const { report, stdoutExports } = await runHarness<{ micros: number[] }>(
        HARNESS,
        v,
        [event, String(options.iterations), String(options.warmup)],
        variantEnv(env, v, scenario.sampled),
      );
      perVariant.get(v.name)!.push(median(report.micros));
      if (v.sink === 'udp') await new Promise((resolve) => setTimeout(resolve, 20));
      const got = v.sink === 'stdout' ? stdoutExports : sinkCount(sinks, v) - before;
      exports.set(v.name, exports.get(v.name)! + got);
    }
  }
  const micros = new Map<string, number>();
  const spread = new Map<string, [number, number]>();
  for (const [name, medians] of perVariant) {
    micros.set(name, median(medians));
    spread.set(name, [Math.min(...medians), Math.max(...medians)]);
  }
  return { scenario, micros, spread, exports };
}

/** The resident set of one variant's process after `invocations` warm invocations. */
export interface RssResult {
  readonly variant: Variant;
  /** `process.memoryUsage().rss` after the last invocation (and a full GC), MB, one per process. */
  readonly rssMb: number[];
  /** Whether the harness could run a full GC first (--expose-gc). */
  readonly gc: boolean;
}

/**
 * Warm RSS: each variant in its own process (Node with --expose-gc) runs `invocations` of the
 * scenario one by one, then reports its resident set after a full `global.gc()`; `repeats`
 * processes per variant, variants alternating.
 */
export async function warmRss(
  scenario: WarmScenario,
  variants: Variant[],
  env: Record<string, string>,
  options: { invocations: number; repeats: number },
): Promise<RssResult[]> {
  const event = eventFile(scenarioEvent(scenario));
  const results = new Map(variants.map((v) => [v.name, { variant: v, rssMb: [] as number[], gc: true }]));
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (const v of repeat % 2 === 0 ? variants : [...variants].reverse()) {
      const { report } = await runHarness<{ rss: number; gc: boolean }>(
        HARNESS,
        v,
        [event, String(options.invocations), '0', 'rss'],
        variantEnv(env, v, scenario.sampled),
        { nodeArgs: ['--expose-gc'] },
      );
      const result = results.get(v.name)!;
      result.rssMb.push(report.rss / 2 ** 20);
      result.gc &&= report.gc;
    }
  }
  return [...results.values()];
}
