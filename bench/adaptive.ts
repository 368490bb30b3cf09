/**
 * Adaptive sampling: what reading the boost (`TRACING_ADAPTIVE_CONFIG`, through the AppConfig
 * Agent Lambda extension) costs a traced function, cold and warm, against the same function with
 * the feature off. The extension is the local stand-in (`bin/local/local-appconfig.ts`) on
 * 127.0.0.1, answering from memory as the real one answers from its cache.
 *
 * `adaptiveBench(variant, env, options)` runs it for the `ours` variant of `buildVariants('http')`
 * and `adaptiveMarkdown(result)` renders the section; `npm run bench` (bench/run.ts) is meant to
 * call them. `npx tsx bench/adaptive.ts [coldRuns] [iterations] [repeats]` runs it alone.
 */
import { join } from 'node:path';
import { LocalAppConfig } from '../bin/local/local-appconfig';
import { httpApiEvent } from '../test/helpers/events';
import { benchEnvironment } from './lib/env';
import { DrainReceiver } from './lib/drain-receiver';
import { eventFile, runHarness } from './lib/spawn';
import { iqr, median } from './lib/stats';
import { ROOT, buildVariants, type Variant } from './lib/variants';

const COLD = join(ROOT, 'bench', 'harness', 'cold.cjs');

/** The warm harness, which turns the event loop between invocations as Lambda does. */
const WARM = join(ROOT, 'bench', 'harness', 'warm.cjs');

const APP = 'bench';
const ENV = 'bench';
const PROFILE = 'boost';

/** One configuration of the feature. */
export interface AdaptiveCase {
  readonly name: string;
  /** Head ratio (`OTEL_TRACES_SAMPLER_ARG`). */
  readonly ratio: number;
  /** undefined: the feature is off (no variable); else the deployed configuration. */
  readonly config?: 'none' | 'boost';
}

/** Off against on, at the same head ratio; and a boost against the same sampling without one. */
export const ADAPTIVE_CASES: AdaptiveCase[] = [
  { name: 'off, ratio 0 (unsampled)', ratio: 0 },
  { name: 'on, no boost, ratio 0 (unsampled)', ratio: 0, config: 'none' },
  { name: 'off, ratio 1 (sampled)', ratio: 1 },
  { name: 'on, boost 1, ratio 0 (sampled by the boost)', ratio: 0, config: 'boost' },
];

export interface AdaptiveCaseResult {
  readonly case: AdaptiveCase;
  /** Spawn to first response, ms, one per run. */
  readonly coldMs: number[];
  /** Median µs per warm invocation, one per process. */
  readonly warmMicros: number[];
  /** Configuration reads the stand-in answered (all runs of the case). */
  readonly reads: number;
}

export interface AdaptiveResult {
  readonly cases: AdaptiveCaseResult[];
  readonly options: { coldRuns: number; iterations: number; warmup: number; repeats: number };
}

/**
 * Cold: `coldRuns` fresh processes per case (cases alternating, the order reversed every other
 * run), spawn to the first response. Warm: `repeats` processes per case, `warmup` untimed then
 * `iterations` timed root invocations (an HTTP API request without a `traceparent`: the boost
 * applies to new traces).
 */
export async function adaptiveBench(
  variant: Variant,
  env: Record<string, string>,
  options: { coldRuns: number; iterations: number; warmup: number; repeats: number },
): Promise<AdaptiveResult> {
  const appconfig = new LocalAppConfig();
  await appconfig.start();
  try {
    const event = eventFile(httpApiEvent());
    const results = ADAPTIVE_CASES.map((c) => ({
      case: c,
      coldMs: [] as number[],
      warmMicros: [] as number[],
      reads: 0,
    }));
    const envOf = (c: AdaptiveCase): Record<string, string> => {
      appconfig.clear();
      if (c.config === 'boost') {
        appconfig.deploy(
          APP,
          ENV,
          PROFILE,
          JSON.stringify({ boostRatio: 1, until: new Date(Date.now() + 3600_000).toISOString() }),
        );
      } else {
        appconfig.deploy(APP, ENV, PROFILE, '{}');
      }
      return {
        ...env,
        OTEL_TRACES_SAMPLER_ARG: String(c.ratio),
        ...(c.config ? { TRACING_ADAPTIVE_CONFIG: appconfig.extensionUrl(APP, ENV, PROFILE) } : {}),
      };
    };
    const order = (i: number) => (i % 2 === 0 ? results : [...results].reverse());
    for (const r of results) await runHarness(COLD, variant, [event], envOf(r.case)); // file cache
    for (let run = 0; run < options.coldRuns; run++) {
      for (const r of order(run)) {
        const { ms } = await runHarness(COLD, variant, [event], envOf(r.case));
        r.coldMs.push(ms);
        r.reads += appconfig.reads.length;
      }
    }
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const r of order(repeat)) {
        const { report } = await runHarness<{ micros: number[] }>(
          WARM,
          variant,
          [event, String(options.iterations), String(options.warmup)],
          envOf(r.case),
        );
        r.warmMicros.push(median(report.micros));
        r.reads += appconfig.reads.length;
      }
    }
    return { cases: results, options };
  } finally {
    await appconfig.stop();
  }
}

/** The section for BENCHMARKS.md. */
export function adaptiveMarkdown(result: AdaptiveResult): string {
  const { coldRuns, iterations, warmup, repeats } = result.options;
  const byName = (name: string) => result.cases.find((r) => r.case.name === name)!;
  const rows = result.cases.map((r) => {
    const base = byName(
      r.case.config === 'boost'
        ? 'off, ratio 1 (sampled)'
        : r.case.ratio === 0
          ? 'off, ratio 0 (unsampled)'
          : r.case.name,
    );
    const cold = median(r.coldMs);
    const warm = median(r.warmMicros);
    return `| ${r.case.name} | ${cold.toFixed(1)} | ${iqr(r.coldMs)} | ${(cold - median(base.coldMs)).toFixed(1)} | ${warm.toFixed(1)} | ${Math.min(...r.warmMicros).toFixed(1)}–${Math.max(...r.warmMicros).toFixed(1)} | ${(warm - median(base.warmMicros)).toFixed(1)} | ${r.reads} |`;
  });
  return [
    '### Adaptive sampling: what reading the boost costs',
    '',
    `The \`ours\` bundle with \`TRACING_ADAPTIVE_CONFIG\` unset (off) or pointing at a local stand-in of the AppConfig Agent Lambda extension on 127.0.0.1 (on), which serves \`{}\` or a boost of 1. Cold: ${coldRuns} fresh processes per case, cases alternating, spawn to the first response. Warm: ${repeats} processes per case, ${warmup} untimed then ${iterations} timed root invocations (no \`traceparent\`; the event loop turns between invocations, as in Lambda), the median of the processes' medians. "over" compares with the case off at the same sampling outcome (unsampled with unsampled, sampled by the boost with sampled by ratio 1). The read runs in the background: an invocation never waits for it; the runtime re-reads at most every 5 s.`,
    '',
    '| case | cold ms (median) | IQR ms | over off ms | warm µs (median) | min–max µs | over off µs | reads |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const [coldRuns = '5', iterations = '200', repeats = '1'] = process.argv.slice(2);
  const receiver = new DrainReceiver();
  const endpoint = await receiver.start();
  try {
    const ours = buildVariants('http').find((v) => v.name === 'ours')!;
    const result = await adaptiveBench(ours, benchEnvironment(endpoint), {
      coldRuns: Number(coldRuns),
      iterations: Number(iterations),
      warmup: 50,
      repeats: Number(repeats),
    });
    console.log(adaptiveMarkdown(result));
  } finally {
    await receiver.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
