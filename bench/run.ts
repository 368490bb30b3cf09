/**
 * `npm run bench`: cold start, peak RSS, added package size, warm per-invocation overhead and
 * synth scale of this library against the bare handler and the standard OpenTelemetry setup,
 * all measured in the same run, and the tracing gateway's throughput, memory and cost (bench/gateway.ts).
 * Prints the tables and writes them to BENCHMARKS.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type, release, arch } from 'node:os';
import { join } from 'node:path';
import { adaptiveBench, adaptiveMarkdown } from './adaptive';
import { coldStarts, type ColdResult } from './cold';
import { emfBench, emfMarkdown } from './emf';
import { collectorStarts, collectorTable } from './collector';
import { gatewayBench, gatewayMarkdown } from './gateway';
import { DrainReceiver } from './lib/drain-receiver';
import { benchEnvironment } from './lib/env';
import { iqr, median, ratio } from './lib/stats';
import { ROOT, buildVariants, type Variant } from './lib/variants';
import { synthScale } from './synth-scale';
import { WARM_SCENARIOS, warmRuns, type WarmResult } from './warm';

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const COLLECTOR_RUNS = Number(process.env.BENCH_COLLECTOR_RUNS ?? 15);
const WARM = {
  iterations: Number(process.env.BENCH_WARM_ITERATIONS ?? 2000),
  warmup: 300,
  repeats: Number(process.env.BENCH_WARM_REPEATS ?? 3),
};

/** Every target of the benchmark issue, with whether this run met it. */
interface Target {
  readonly what: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

const kb = (bytes: number) => (Number.isNaN(bytes) ? '–' : `${(bytes / 1024).toFixed(1)}`);

function coldTable(results: ColdResult[]): string {
  const bare = results.find((r) => r.variant.name === 'bare')!;
  const bareMs = median(bare.ms);
  const bareRss = median(bare.rssMb);
  const rows = results.map((r) => {
    const ms = median(r.ms);
    const rss = median(r.rssMb);
    return `| ${r.variant.label} | ${ms.toFixed(1)} | ${iqr(r.ms)} | ${(ms - bareMs).toFixed(1)} | ${ratio(ms, bareMs)} | ${rss.toFixed(1)} | ${(rss - bareRss).toFixed(1)} | ${kb(r.variant.addedBytes)} | ${kb(r.variant.addedGzipBytes)} | ${r.exports} |`;
  });
  return [
    '| variant | cold start ms (median) | IQR ms | over bare ms | ratio to bare | peak RSS MB | over bare MB | added KB | added KB gzip | exports received |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

function warmTable(results: WarmResult[], variants: Variant[]): string {
  const shown = variants.filter((v) => v.name !== 'standard' && v.name !== 'layer');
  const header = `| scenario | ${shown.map((v) => `${v.label} µs`).join(' | ')} | ours over bare µs | standard over bare µs |`;
  const rows = results.map((r) => {
    const bare = r.micros.get('bare')!;
    const cells = shown.map((v) => {
      const [lo, hi] = r.spread.get(v.name)!;
      return `${r.micros.get(v.name)!.toFixed(1)} (${lo.toFixed(1)}–${hi.toFixed(1)})`;
    });
    const ours = r.micros.get('ours')! - bare;
    const standard = r.micros.get('standard-bundled')! - bare;
    return `| ${r.scenario.name} | ${cells.join(' | ')} | ${ours.toFixed(1)} | ${standard.toFixed(1)} |`;
  });
  return [header, `| --- | ${shown.map(() => '---:').join(' | ')} | ---: | ---: |`, ...rows].join('\n');
}

function targets(cold: ColdResult[], warm: WarmResult[], synthRatio50: number | undefined): Target[] {
  const by = (name: string) => cold.find((r) => r.variant.name === name)!;
  const bareMs = median(by('bare').ms);
  const oursOver = median(by('ours').ms) - bareMs;
  const stdOver = median(by('standard-bundled').ms) - bareMs;
  const stdUnbundledOver = median(by('standard').ms) - bareMs;
  const rssOver = median(by('ours').rssMb) - median(by('bare').rssMb);
  const list: Target[] = [
    {
      what: 'cold-start overhead, ours vs the standard setup (bundled)',
      goal: '≤ 1/10',
      measured: `${oursOver.toFixed(1)} ms vs ${stdOver.toFixed(1)} ms = 1/${(stdOver / oursOver).toFixed(1)}`,
      met: oursOver * 10 <= stdOver,
    },
    {
      what: 'cold-start overhead, ours vs the standard setup (unbundled)',
      goal: '≤ 1/10',
      measured: `${oursOver.toFixed(1)} ms vs ${stdUnbundledOver.toFixed(1)} ms = 1/${(stdUnbundledOver / oursOver).toFixed(1)}`,
      met: oursOver * 10 <= stdUnbundledOver,
    },
    {
      what: 'cold-start overhead over bare',
      goal: '< 20 ms',
      measured: `${oursOver.toFixed(1)} ms`,
      met: oursOver < 20,
    },
    {
      what: 'added bundle, minified',
      goal: '< 150 KB',
      measured: `${kb(by('ours').variant.addedBytes)} KB`,
      met: by('ours').variant.addedBytes < 150 * 1024,
    },
    { what: 'added peak RSS', goal: '< 10 MB', measured: `${rssOver.toFixed(1)} MB`, met: rssOver < 10 },
  ];
  for (const r of warm) {
    const over = r.micros.get('ours')! - r.micros.get('bare')!;
    const limit = r.scenario.sampled ? 100 : 20;
    list.push({
      what: `warm overhead: ${r.scenario.name}`,
      goal: `< ${limit} µs`,
      measured: `${over.toFixed(1)} µs`,
      met: over < limit,
    });
  }
  if (synthRatio50 !== undefined) {
    list.push({
      what: 'synth of 50 traced functions vs 50 plain',
      goal: '≤ 1.25×',
      measured: `${synthRatio50.toFixed(2)}×`,
      met: synthRatio50 <= 1.25,
    });
  }
  return list;
}

async function main(): Promise<void> {
  const started = Date.now();
  const receiver = new DrainReceiver();
  const endpoint = await receiver.start();
  const env = benchEnvironment(endpoint);

  const http = buildVariants('http');
  const sqs = buildVariants('sqs');
  console.log(`cold start: ${COLD_RUNS} runs × ${http.length} variants …`);
  const cold = await coldStarts(http, env, receiver, COLD_RUNS);
  for (const r of cold) {
    if (r.variant.name !== 'bare' && r.exports === 0)
      throw new Error(`${r.variant.name} exported nothing: its setup is broken`);
  }
  console.log(`collector: ${COLLECTOR_RUNS} starts per configuration …`);
  const collector = await collectorStarts(COLLECTOR_RUNS);
  console.log('gateway …');
  const gateway = process.env.BENCH_SKIP_GATEWAY ? undefined : await gatewayBench();
  console.log(`warm: ${WARM_SCENARIOS.length} scenarios …`);
  // The layer mode runs the same traced() per invocation as the bundled one: measured cold only.
  const warmVariants = (all: Variant[]) => all.filter((v) => v.name !== 'standard' && v.name !== 'layer');
  const warm: WarmResult[] = [];
  for (const scenario of WARM_SCENARIOS) {
    warm.push(await warmRuns(scenario, warmVariants(scenario.shape === 'http' ? http : sqs), env, WARM));
  }
  console.log('adaptive sampling …');
  const adaptive = await adaptiveBench(
    http.find((v) => v.name === 'ours')!,
    env,
    {
      coldRuns: COLD_RUNS,
      ...WARM,
    },
  );
  await receiver.stop();
  console.log('a cold-start metric line (EMF) …');
  const emf = emfBench({ iterations: 20_000, repeats: 5 });
  console.log('synth scale …');
  const synth = process.env.BENCH_SKIP_SYNTH ? undefined : await synthScale();
  const synth50 = synth?.rows.find((r) => r.size === 50);

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const versions = { ...pkg.dependencies, ...pkg.devDependencies };
  const list = targets(cold, warm, synth50?.ratio);
  const markdown = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
    '## Machine',
    '',
    `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${type()} ${release()} ${arch()}; Node.js ${process.version}. A shared machine: every figure is a median and every comparison is between variants measured in the same run, alternating.`,
    '',
    '## What runs',
    '',
    '- **bare handler**: the handler alone, bundled as `NodejsFunction` bundles it (esbuild, minified, CommonJS, `@aws-sdk/*` external).',
    '- **ours (bundled, TracedFunction)**: the same handler as `TracedFunction` bundles it (its fixed entry, the runtime from source, ESM builds of the OpenTelemetry packages), exporting over OTLP/HTTP to a local receiver on 127.0.0.1 before each invocation returns.',
    `- **standard OpenTelemetry**: what the upstream OpenTelemetry Lambda layer sets up, from the official packages (\`@opentelemetry/sdk-node\` ${versions['@opentelemetry/sdk-node']}, \`instrumentation-aws-lambda\` ${versions['@opentelemetry/instrumentation-aws-lambda']}, \`instrumentation-aws-sdk\` ${versions['@opentelemetry/instrumentation-aws-sdk']}, \`instrumentation-http\` ${versions['@opentelemetry/instrumentation-http']}, \`instrumentation-undici\` ${versions['@opentelemetry/instrumentation-undici']}; OTLP/HTTP exporter behind a batch span processor, flushed by the Lambda instrumentation at the end of each invocation), loaded with \`node --require\` as the layer's wrapper is, before the bare handler; once from node_modules (unbundled) and once bundled into one file with esbuild. Its metrics and logs exporters are off (\`OTEL_METRICS_EXPORTER=none\`, \`OTEL_LOGS_EXPORTER=none\`).`,
    '- The receiver reads each export and answers 200 without parsing it; "exports received" counts what arrived, so a variant that silently exports nothing would show.',
    "- **ours (layer, TracingPolicy)**: the bare bundle unchanged, with the layer's shim as the handler (cold start only; warm, it runs the same runtime as the bundled variant).",
    '',
    '## Cold start, peak RSS and package size',
    '',
    `A fresh Node process per run, as Lambda starts one: the wrapper (if any) with \`--require\`, then the handler module, then one invocation with an API Gateway HTTP API event and a Lambda-like context; timed from spawn until the response is reported, so the export before the response is included. ${COLD_RUNS} runs per variant, variants alternating. "added KB" is what the variant adds to the deployment over the bare bundle (for the unbundled standard setup: the packages it loads, each counted once, as a layer ships them). The layer variant is what \`TracingPolicy\` deploys: the bare bundle unchanged, and the layer's shim (\`handler.mjs\`, built as \`TracingLayer\` builds it) as the handler, which imports the original and wraps it; its added KB is the layer file.`,
    '',
    coldTable(cold),
    '',
    '## The collector next to the function',
    '',
    collector
      ? `\`otelcol-lambda\` (the collector with the components of the pinned Lambda layer, built from its Go modules; \`npm run collector:build\`) started as a fresh process ${COLLECTOR_RUNS} times per configuration, configurations alternating, with the configuration the library renders (the example's from its configuration layer; without \`decouple\`, which this build lacks): spawn to "Everything is ready", and the process's peak RSS 200 ms later. In Lambda the extension starts during the init phase, beside the function's own cold start (shown from the same run); users report 1.5–4 s for the stock extension's start in Lambda; this measures the collector process alone, with no extension registration, Lambda sandbox or network to a backend.\n\n` +
        collectorTable(
          collector,
          median(cold.find((r) => r.variant.name === 'ours')!.ms),
          median(cold.find((r) => r.variant.name === 'bare')!.ms),
        )
      : '(skipped: otelcol-lambda is not built on this machine; `npm run collector:build`)',
    '',
    '## The tracing gateway',
    '',
    gateway
      ? gatewayMarkdown(gateway)
      : process.env.BENCH_SKIP_GATEWAY
        ? '(skipped with BENCH_SKIP_GATEWAY)'
        : '(skipped: otelcol-gateway is not built on this machine; `npm run collector:build`)',
    '',
    '## Warm per-invocation time',
    '',
    `One process per variant and scenario: ${WARM.warmup} untimed invocations, then ${WARM.iterations} timed one at a time; the figure is the median of ${WARM.repeats} processes' medians (min–max of those medians in brackets). Sampled: the caller's \`traceparent\` has the sampled flag and the ratio is 1; unsampled: flag 00 and ratio 0. The SQS batch has 10 records, each with a \`traceparent\` message attribute; the bare and standard variants run the plain loop, ours runs \`processRecords\` (a span per record).`,
    '',
    warmTable(warm, http),
    '',
    '## Adaptive sampling',
    '',
    adaptiveMarkdown(adaptive),
    '',
    '## A cold-start metric line per invocation (not shipped)',
    '',
    emfMarkdown(emf),
    '',
    '## Synth scale',
    '',
    synth ? synth.markdown : '(skipped with BENCH_SKIP_SYNTH)',
    '',
    '## Targets',
    '',
    '| target | goal | measured | met |',
    '| --- | --- | --- | --- |',
    ...list.map((t) => `| ${t.what} | ${t.goal} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
    '',
  ].join('\n');
  console.log(markdown);
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), markdown);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
