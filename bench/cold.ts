import { join } from 'node:path';
import { httpApiEvent } from '../test/helpers/events';
import type { DrainReceiver } from './lib/drain-receiver';
import { eventFile, runHarness } from './lib/spawn';
import type { UdpReceiver } from './lib/udp-receiver';
import { ROOT, type Variant } from './lib/variants';

/**
 * The cold harnesses: `cjs` (bench/harness/cold.cjs, a CommonJS script that `require`s the
 * handler after the `--require`d wrapper) and `esm` (bench/harness/cold-esm.mjs, an ES module that
 * loads the handler with `import()`, as Lambda's runtime interface client does).
 */
export const COLD_HARNESS = {
  cjs: join(ROOT, 'bench', 'harness', 'cold.cjs'),
  esm: join(ROOT, 'bench', 'harness', 'cold-esm.mjs'),
} as const;

/** Where the variants' exports arrive, to count them. */
export interface Sinks {
  readonly otlp: DrainReceiver;
  readonly udp: UdpReceiver;
}

/** The count of exports a variant's sink has seen so far (stdout is counted per run). */
function sinkCount(sinks: Sinks, variant: Variant): number {
  if (variant.sink === 'otlp') return sinks.otlp.requests;
  if (variant.sink === 'udp') return sinks.udp.datagrams;
  return 0;
}

/** What a variant's "exports received" counts. */
export function exportUnit(variant: Variant): string {
  if (variant.sink === 'udp') return 'UDP datagrams';
  if (variant.sink === 'stdout') return 'lines on stdout';
  return 'OTLP requests';
}

/** The cold starts of one variant. */
export interface ColdResult {
  readonly variant: Variant;
  /** Process start to first response, ms, one per run. */
  readonly ms: number[];
  /** Peak RSS of the process, MB, one per run. */
  readonly rssMb: number[];
  /** Exports its sink got from this variant's timed runs (requests, datagrams or stdout lines). */
  readonly exports: number;
}

/**
 * Cold start: `runs` fresh processes per variant, alternating variants run by run (the order
 * reversed every other run) so a slower stretch of a shared machine hits all of them alike.
 */
export async function coldStarts(
  variants: Variant[],
  env: Record<string, string>,
  sinks: Sinks,
  runs: number,
  harness: keyof typeof COLD_HARNESS = 'cjs',
): Promise<ColdResult[]> {
  const file = COLD_HARNESS[harness];
  const event = eventFile(httpApiEvent());
  const results = new Map(
    variants.map((v) => [v.name, { variant: v, ms: [] as number[], rssMb: [] as number[], exports: 0 }]),
  );
  // One untimed run each first: the file cache, not the code, would decide the first run.
  // A cold start is a sampled one (the ratio is 1; for X-Ray, _X_AMZN_TRACE_ID says Sampled=1).
  const envOf = (v: Variant) => ({ ...env, ...v.sampledEnv?.(true) });
  for (const v of variants) await runHarness(file, v, [event], envOf(v));
  for (let run = 0; run < runs; run++) {
    for (const v of run % 2 === 0 ? variants : [...variants].reverse()) {
      const before = sinkCount(sinks, v);
      const { report, ms, stdoutExports } = await runHarness<{
        result: { statusCode: number };
        maxRssKb: number;
      }>(file, v, [event], envOf(v));
      if (report.result?.statusCode !== 201)
        throw new Error(`${v.name}: unexpected result ${JSON.stringify(report)}`);
      const result = results.get(v.name)!;
      result.ms.push(ms);
      result.rssMb.push(report.maxRssKb / 1024);
      // UDP datagrams may trail the report by a moment: let the socket read what was sent.
      if (v.sink === 'udp') await new Promise((resolve) => setTimeout(resolve, 5));
      result.exports += v.sink === 'stdout' ? stdoutExports : sinkCount(sinks, v) - before;
    }
  }
  return [...results.values()];
}
