import { join } from 'node:path';
import { PARENT_SPAN_ID, httpApiEvent, traceparent } from '../test/helpers/events';
import { sqsEvent, sqsRecord } from '../test/helpers/local-aws';
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
): Promise<WarmResult> {
  const event = eventFile(scenarioEvent(scenario));
  const perVariant = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const scenarioEnv = { ...env, OTEL_TRACES_SAMPLER_ARG: scenario.sampled ? '1' : '0' };
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (const v of repeat % 2 === 0 ? variants : [...variants].reverse()) {
      const { report } = await runHarness<{ micros: number[] }>(
        HARNESS,
        v,
        [event, String(options.iterations), String(options.warmup)],
        scenarioEnv,
      );
      perVariant.get(v.name)!.push(median(report.micros));
    }
  }
  const micros = new Map<string, number>();
  const spread = new Map<string, [number, number]>();
  for (const [name, medians] of perVariant) {
    micros.set(name, median(medians));
    spread.set(name, [Math.min(...medians), Math.max(...medians)]);
  }
  return { scenario, micros, spread };
}
