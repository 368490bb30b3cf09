import { join } from 'node:path';
import { httpApiEvent } from '../test/helpers/events';
import type { DrainReceiver } from './lib/drain-receiver';
import { eventFile, runHarness } from './lib/spawn';
import { ROOT, type Variant } from './lib/variants';

const HARNESS = join(ROOT, 'bench', 'harness', 'cold.cjs');

/** The cold starts of one variant. */
export interface ColdResult {
  readonly variant: Variant;
  /** Process start to first response, ms, one per run. */
  readonly ms: number[];
  /** Peak RSS of the process, MB, one per run. */
  readonly rssMb: number[];
  /** Export requests the receiver got from this variant's runs. */
  readonly exports: number;
}

/**
 * Cold start: `runs` fresh processes per variant, alternating variants run by run (the order
 * reversed every other run) so a slower stretch of a shared machine hits all of them alike.
 */
export async function coldStarts(
  variants: Variant[],
  env: Record<string, string>,
  receiver: DrainReceiver,
  runs: number,
): Promise<ColdResult[]> {
  const event = eventFile(httpApiEvent());
  const results = new Map(
    variants.map((v) => [v.name, { variant: v, ms: [] as number[], rssMb: [] as number[], exports: 0 }]),
  );
  // One untimed run each first: the file cache, not the code, would decide the first run.
  for (const v of variants) await runHarness(HARNESS, v, [event], env);
  for (let run = 0; run < runs; run++) {
    for (const v of run % 2 === 0 ? variants : [...variants].reverse()) {
      const before = receiver.requests;
      const { report, ms } = await runHarness<{ result: { statusCode: number }; maxRssKb: number }>(
        HARNESS,
        v,
        [event],
        env,
      );
      if (report.result?.statusCode !== 201)
        throw new Error(`${v.name}: unexpected result ${JSON.stringify(report)}`);
      const result = results.get(v.name)!;
      result.ms.push(ms);
      result.rssMb.push(report.maxRssKb / 1024);
      result.exports += receiver.requests - before;
    }
  }
  return [...results.values()];
}
