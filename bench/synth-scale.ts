/**
 * Synth scale: how long `cdk synth` of an app takes with 1, 10 and 50 `TracedFunction`s against
 * the same app with plain `NodejsFunction`s (a handler file of its own per function, as in a real
 * app; NODEJS_22_X, minified, local esbuild bundling), and how the cost grows with the number of
 * functions.
 *
 * Every synth is a fresh process (`bench/synth-app.ts`) with its own temporary outdir, so no
 * module, asset or bundling cache carries over between runs. Traced and plain alternate and
 * their order flips every repeat, so a noisy machine does not favour one. Two times are kept
 * per run: the synth time the process measures itself (before `new App()` to after `synth()`,
 * Node and tsx start-up and the static imports excluded) and the wall time of the whole process
 * (spawn to exit).
 *
 *   npx tsx bench/synth-scale.ts               # sizes 1, 10, 50; 3 repeats
 *   BENCH_SYNTH_REPEATS=5 npx tsx bench/synth-scale.ts
 *   CDK_VALIDATION=false npx tsx bench/synth-scale.ts   # without aws-cdk-lib's built-in template validation
 *
 * With aws-cdk-lib's defaults most of a small app's synth is fixed cost: the built-in
 * CloudFormation validation (a WebAssembly engine started on every synth, then a pass over each
 * template). Each function is bundled on its own (one `npx --no-install esbuild` spawn each),
 * since CDK would bundle identical entries only once and hide that cost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const APP_SCRIPT = 'bench/synth-app.ts';
const DEFAULT_SIZES: readonly number[] = [1, 10, 50];
const DEFAULT_REPEATS = 3;
/** A synth that has not finished after this long is stuck, not slow. */
const RUN_TIMEOUT_MS = 180_000;

type Kind = 'traced' | 'plain';

/** One synth process. */
export interface SynthSample {
  /** Synth time measured inside the process (before `new App()` to after `synth()`). */
  readonly synthMs: number;
  /** Wall time of the whole process, spawn to exit (Node and tsx start-up included). */
  readonly wallMs: number;
  /** How many assets CDK bundled in that process ("Bundling asset" lines on stderr). */
  readonly bundles: number;
}

/** The lowest and highest of a set of samples. */
export interface Spread {
  readonly min: number;
  readonly max: number;
}

/** One size of the benchmark: medians of the repeats, traced against plain. */
export interface SynthRow {
  /** Number of functions in the app. */
  readonly size: number;
  /** Synths per variant at this size. */
  readonly repeats: number;
  /** Median in-process synth ms with `TracedFunction`s. */
  readonly tracedMs: number;
  /** Median in-process synth ms with plain `NodejsFunction`s. */
  readonly plainMs: number;
  /** tracedMs / plainMs (of the medians), two decimals. */
  readonly ratio: number;
  /** Min–max of the traced synth ms. */
  readonly tracedSpread: Spread;
  /** Min–max of the plain synth ms. */
  readonly plainSpread: Spread;
  /** tracedMs / size: the whole synth shared out over the functions (fixed costs included). */
  readonly tracedPerFunctionMs: number;
  /** plainMs / size. */
  readonly plainPerFunctionMs: number;
  /** Median wall ms of the traced processes (spawn to exit). */
  readonly tracedWallMs: number;
  /** Median wall ms of the plain processes. */
  readonly plainWallMs: number;
  /** Every run, in the order they ran. */
  readonly samples: { readonly traced: readonly SynthSample[]; readonly plain: readonly SynthSample[] };
}

export interface SynthScaleOptions {
  /** Numbers of functions. @default [1, 10, 50] */
  readonly sizes?: number[];
  /** Synths per variant and size. @default env BENCH_SYNTH_REPEATS, else 3 */
  readonly repeats?: number;
}

/** Runs the benchmark; the rows and a small markdown table of them. */
export async function synthScale(
  options: SynthScaleOptions = {},
): Promise<{ rows: SynthRow[]; markdown: string }> {
  const sizes = options.sizes ?? [...DEFAULT_SIZES];
  const repeats = options.repeats ?? repeatsFromEnv() ?? DEFAULT_REPEATS;
  for (const size of sizes) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`synthScale: sizes must be positive integers (got ${size})`);
    }
  }
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new Error(`synthScale: repeats must be a positive integer (got ${repeats})`);
  }

  const rows: SynthRow[] = [];
  for (const size of sizes) {
    const samples: Record<Kind, SynthSample[]> = { traced: [], plain: [] };
    for (let r = 0; r < repeats; r++) {
      const order: Kind[] = r % 2 === 0 ? ['traced', 'plain'] : ['plain', 'traced'];
      for (const kind of order) {
        samples[kind].push(await synthOnce(kind, size));
      }
    }
    rows.push(toRow(size, repeats, samples.traced, samples.plain));
  }
  return { rows, markdown: toMarkdown(rows, repeats) };
}

function repeatsFromEnv(): number | undefined {
  const raw = process.env.BENCH_SYNTH_REPEATS;
  if (raw === undefined || raw.trim() === '') {
    return undefined;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`BENCH_SYNTH_REPEATS must be a positive integer (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** One synth in a fresh process with a fresh outdir (removed afterwards). */
async function synthOnce(kind: Kind, size: number): Promise<SynthSample> {
  const outdir = mkdtempSync(join(tmpdir(), `synth-scale-${kind}-${size}-`));
  try {
    return await runApp(kind, size, outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function runApp(kind: Kind, size: number, outdir: string): Promise<SynthSample> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    let wallMs: number | undefined;
    const child = spawn(
      process.execPath,
      [require.resolve('tsx/cli'), APP_SCRIPT, kind, String(size), outdir],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: RUN_TIMEOUT_MS },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    });
    // 'close' comes after 'exit' and after the pipes are drained.
    child.on('close', (code, signal) => {
      const failed = (why: string) =>
        reject(
          new Error(`synth-app ${kind} ${size} ${why}\n${stderr.trim().split('\n').slice(-20).join('\n')}`),
        );
      if (code !== 0) {
        return failed(signal ? `killed by ${signal}` : `exited with ${code}`);
      }
      const last = stdout.trim().split('\n').pop() ?? '';
      let result: { ms?: unknown; functions?: unknown };
      try {
        result = JSON.parse(last) as { ms?: unknown; functions?: unknown };
      } catch {
        return failed(`printed no JSON line (stdout: ${JSON.stringify(stdout.slice(-200))})`);
      }
      if (typeof result.ms !== 'number' || result.functions !== size) {
        return failed(`printed an unexpected result: ${last}`);
      }
      resolvePromise({
        synthMs: result.ms,
        wallMs: wallMs ?? Number(process.hrtime.bigint() - started) / 1e6,
        bundles: stderr.split('Bundling asset ').length - 1,
      });
    });
  });
}

function toRow(size: number, repeats: number, traced: SynthSample[], plain: SynthSample[]): SynthRow {
  const tracedMs = median(traced.map((s) => s.synthMs));
  const plainMs = median(plain.map((s) => s.synthMs));
  return {
    size,
    repeats,
    tracedMs: round1(tracedMs),
    plainMs: round1(plainMs),
    ratio: Math.round((tracedMs / plainMs) * 100) / 100,
    tracedSpread: spread(traced.map((s) => s.synthMs)),
    plainSpread: spread(plain.map((s) => s.synthMs)),
    tracedPerFunctionMs: round1(tracedMs / size),
    plainPerFunctionMs: round1(plainMs / size),
    tracedWallMs: round1(median(traced.map((s) => s.wallMs))),
    plainWallMs: round1(median(plain.map((s) => s.wallMs))),
    samples: { traced, plain },
  };
}

function toMarkdown(rows: readonly SynthRow[], repeats: number): string {
  const ms = (n: number) => n.toFixed(0);
  const lines = [
    `Method: fresh process per synth, alternating traced/plain (order flipped every repeat), median of ${repeats}; ` +
      'in-process synth time (`new App()` to after `synth()`) excludes Node/tsx start-up; wall = spawn to exit. ' +
      `CDK's built-in CloudFormation validation: ${process.env.CDK_VALIDATION === 'false' ? 'off (CDK_VALIDATION=false)' : 'on (the default)'}.`,
    '',
    '| functions | traced synth ms (min–max) | plain synth ms (min–max) | traced/plain | traced ms/fn | plain ms/fn | wall ms traced / plain |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.size} | ${ms(r.tracedMs)} (${ms(r.tracedSpread.min)}–${ms(r.tracedSpread.max)}) | ` +
        `${ms(r.plainMs)} (${ms(r.plainSpread.min)}–${ms(r.plainSpread.max)}) | ${r.ratio.toFixed(2)}× | ` +
        `${r.tracedPerFunctionMs.toFixed(1)} | ${r.plainPerFunctionMs.toFixed(1)} | ` +
        `${ms(r.tracedWallMs)} / ${ms(r.plainWallMs)} |`,
    ),
  ];
  if (rows.length > 1) {
    const first = rows[0];
    const last = rows[rows.length - 1];
    const added = last.size - first.size;
    if (added > 0) {
      const each = (a: number, b: number) => ((b - a) / added).toFixed(1);
      lines.push(
        '',
        `Each function added (${first.size} → ${last.size}): ` +
          `${each(first.tracedMs, last.tracedMs)} ms traced, ${each(first.plainMs, last.plainMs)} ms plain ` +
          `from the medians; ${each(first.tracedSpread.min, last.tracedSpread.min)} ms traced, ` +
          `${each(first.plainSpread.min, last.plainSpread.min)} ms plain from the minimums.`,
      );
    }
  }
  const bundles = (kind: Kind) =>
    [...new Set(rows.flatMap((r) => r.samples[kind].map((s) => s.bundles)))].sort((a, b) => a - b).join('/');
  lines.push('', `Assets bundled per synth: traced ${bundles('traced')}, plain ${bundles('plain')}.`);
  return lines.join('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function spread(values: readonly number[]): Spread {
  return { min: round1(Math.min(...values)), max: round1(Math.max(...values)) };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

if (require.main === module) {
  const started = Date.now();
  synthScale()
    .then(({ markdown }) => {
      process.stdout.write(`${markdown}\n\n(total ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
}
