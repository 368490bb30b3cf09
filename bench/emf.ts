/**
 * What a cold-start metric written by the runtime would cost per invocation: one CloudWatch
 * embedded-metric-format (EMF) JSON line per invocation, with `ColdStart` (0 or 1) in the
 * namespace `CdkServerlessTracing`, dimension `ServiceName`. The runtime writes no per-invocation
 * line of its own today (log correlation only adds fields to the function's own lines), so this
 * would be a new line, not a field on an existing one.
 *
 * Measured in a child process whose stdout is /dev/null (Lambda's runtime writes stdout to its log
 * pipe): the same loop without a line, with a fixed line of the same size (the write alone), and
 * building and writing the EMF line (what the runtime would do). Per line, the bytes CloudWatch Logs
 * would ingest are given too.
 *
 * `npx tsx bench/emf.ts [--iterations 20000] [--repeats 5]`, or `emfBench()` / `emfMarkdown()`
 * from bench/run.ts.
 */
import { spawnSync } from 'node:child_process';
import { iqr, median } from './lib/stats';

/** The line the runtime would write on each invocation (a cold one here). */
export function emfLine(serviceName: string, coldStart: boolean, timestamp: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: 'CdkServerlessTracing',
          Dimensions: [['ServiceName']],
          Metrics: [{ Name: 'ColdStart', Unit: 'Count' }],
        },
      ],
    },
    ServiceName: serviceName,
    ColdStart: coldStart ? 1 : 0,
  });
}

/** The child's program: three loops, each timed per iteration in µs, medians printed to stderr as JSON. */
const CHILD = `
const { performance } = require('node:perf_hooks');
const [iterations] = process.argv.slice(1).map(Number);
const emfLine = ${emfLine.toString()};
const fixed = emfLine('payments-authorize', false, Date.now()) + '\\n';
function run(body) {
  for (let i = 0; i < Math.min(2000, iterations); i++) body(i);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) body(i);
  return ((performance.now() - t0) * 1000) / iterations;
}
let sink = 0;
const none = run((i) => { sink += i; });
const write = run(() => { process.stdout.write(fixed); });
const emf = run((i) => { process.stdout.write(emfLine('payments-authorize', i === 0, Date.now()) + '\\n'); });
process.stderr.write(JSON.stringify({ none, write, emf, sink: sink > 0 }));
`;

/** Microseconds per invocation, the median over processes, and the bytes of one line. */
export interface EmfResult {
  readonly iterations: number;
  readonly repeats: number;
  readonly bytesPerLine: number;
  readonly micros: { readonly none: number[]; readonly write: number[]; readonly emf: number[] };
}

/** Runs the three loops in `repeats` fresh processes of `iterations` each. */
export function emfBench(options: { iterations: number; repeats: number }): EmfResult {
  const micros = { none: [] as number[], write: [] as number[], emf: [] as number[] };
  for (let r = 0; r < options.repeats; r++) {
    const child = spawnSync(process.execPath, ['-e', CHILD, String(options.iterations)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`the EMF bench process failed: ${child.stderr}`);
    const result = JSON.parse(child.stderr) as { none: number; write: number; emf: number };
    micros.none.push(result.none);
    micros.write.push(result.write);
    micros.emf.push(result.emf);
  }
  return {
    ...options,
    bytesPerLine: Buffer.byteLength(`${emfLine('payments-authorize', false, Date.now())}\n`),
    micros,
  };
}

/** CloudWatch Logs Standard ingestion, USD per GB (us-east-1, the public price page, 2026). */
export const LOGS_INGESTION_USD_PER_GB = 0.5;

/** The result as a Markdown table and a line on what it costs. */
export function emfMarkdown(result: EmfResult): string {
  const row = (what: string, values: number[]) =>
    `| ${what} | ${median(values).toFixed(2)} | ${iqr(values, 2)} | ${(median(values) - median(result.micros.none)).toFixed(2)} |`;
  const perMillion = ((result.bytesPerLine * 1e6) / 1024 ** 3) * LOGS_INGESTION_USD_PER_GB;
  return [
    `EMF cold-start line per invocation (${result.repeats} processes × ${result.iterations} iterations, stdout to /dev/null):`,
    '',
    '| loop | µs per invocation (median) | IQR µs | over the empty loop µs |',
    '| --- | ---: | ---: | ---: |',
    row('empty loop', result.micros.none),
    row(`write a fixed ${result.bytesPerLine}-byte line`, result.micros.write),
    row('build and write the EMF line', result.micros.emf),
    '',
    `One line is ${result.bytesPerLine} bytes: ${perMillion.toFixed(3)} USD of CloudWatch Logs ingestion per million invocations ` +
      `at ${LOGS_INGESTION_USD_PER_GB} USD/GB, plus one custom metric (ColdStart × ServiceName) per function.`,
  ].join('\n');
}

if (require.main === module) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  console.log(emfMarkdown(emfBench({ iterations: arg('iterations', 20_000), repeats: arg('repeats', 5) })));
}
