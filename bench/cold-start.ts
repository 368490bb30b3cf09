/**
 * Cold start of the bare handler against the same handler as TracedFunction bundles it:
 * a fresh Node process per run, the bundle loaded, then one invocation with an API Gateway
 * event, timed from process start to the response (the flush to a local OTLP receiver included).
 * Runs alternate between variants so a noisy machine does not favour one. Prints medians.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { OtlpReceiver } from '../test/helpers/otlp-receiver';
import { httpApiEvent } from '../test/helpers/events';

const root = resolve(__dirname, '..');
const out = join(root, '.bench');
const runs = Number(process.env.BENCH_RUNS ?? 21);

interface Variant {
  readonly name: string;
  readonly file: string;
}

function bundle(name: string, entry: string, extra: Parameters<typeof buildSync>[0] = {}): Variant {
  const file = join(out, name, 'index.js');
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    outfile: file,
    logLevel: 'error',
    ...extra,
  });
  return { name, file };
}

/** Spawns a fresh process that loads the bundle and invokes it once; ms to the response line. */
function coldRun(variant: Variant, env: Record<string, string>): Promise<number> {
  const event = JSON.stringify(httpApiEvent());
  const harness = `
    const started = Date.now();
    const { handler } = require(${JSON.stringify(variant.file)});
    const context = { functionName: 'bench', awsRequestId: 'r-1', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench',
      getRemainingTimeInMillis: () => 3000 - (Date.now() - started) };
    Promise.resolve(handler(${event}, context)).then((r) => process.stdout.write(JSON.stringify(r) + '\\n'));`;
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', harness], { env: { ...process.env, ...env } });
    let output = '';
    let done = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!done && output.includes('\n')) {
        done = true;
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (!output.includes('"statusCode":201')) reject(new Error(`bad response: ${output}`));
        resolvePromise(ms);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('exit', (code) => {
      if (!done) reject(new Error(`${variant.name} exited with ${code} before responding`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function iqr(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return `${q(0.25).toFixed(1)}–${q(0.75).toFixed(1)}`;
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const handlerFile = join(root, 'bench', 'fixtures-handler.ts');
  const bare = bundle('bare', handlerFile);
  const ours = bundle('ours-bundled', join(root, 'layer', 'entry', 'traced-entry.ts'), {
    alias: { 'cdk-serverless-tracing-user-handler': handlerFile },
    define: { __TRACED_HANDLER_EXPORT__: JSON.stringify('handler') },
  });

  const receiver = new OtlpReceiver();
  const endpoint = await receiver.start();
  const env = {
    AWS_REGION: 'eu-west-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    OTEL_SERVICE_NAME: 'bench',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '1',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  };
  const variants = [bare, ours];
  const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (const v of variants) await coldRun(v, env); // warm the file cache
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) times.get(v.name)!.push(await coldRun(v, env));
  }
  await receiver.stop();

  const bareMedian = median(times.get('bare')!);
  const rows = variants.map((v) => {
    const t = times.get(v.name)!;
    const size = statSync(v.file).size;
    const gz = gzipSync(readFileSync(v.file)).length;
    return `| ${v.name} | ${median(t).toFixed(1)} | ${iqr(t)} | ${(median(t) - bareMedian).toFixed(1)} | ${(median(t) / bareMedian).toFixed(2)}× | ${(size / 1024).toFixed(1)} | ${(gz / 1024).toFixed(1)} |`;
  });
  const table = [
    `Cold start, process start to first response, ${runs} runs each, alternating (node ${process.version}, ${process.platform}/${process.arch}).`,
    '',
    '| variant | median ms | IQR ms | over bare ms | ratio | bundle KB | gzip KB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  console.log(table);
  writeFileSync(join(out, 'cold-start.md'), table + '\n');
  if (receiver.spans.length < runs)
    throw new Error(`expected spans from every traced run, got ${receiver.spans.length}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
