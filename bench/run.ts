/**
 * `npm run bench`: cold start (under a CommonJS and an ES-module harness), peak RSS, added package
 * size, warm per-invocation overhead, warm RSS after 10,000 invocations and synth scale of this
 * library against the bare handler, the floor (one OTLP/HTTP POST) and the peers (the standard
 * OpenTelemetry setup, a stdout exporter, the Powertools Tracer, ADOT), all measured in the same
 * run, and the tracing gateway's throughput, memory and cost (bench/gateway.ts).
 * Prints the tables and writes them to BENCHMARKS.md.
 *
 * Environment:
 * - BENCH_ONLY=cold,esm,collector,gateway,warm,rss,adaptive,emf,synth runs only the sections
 *   named (comma-separated); the others say "skipped". A partial run writes
 *   .bench/BENCHMARKS.partial.md, never BENCHMARKS.md.
 * - BENCH_COLD_RUNS (21), BENCH_COLLECTOR_RUNS (15), BENCH_WARM_ITERATIONS (2000),
 *   BENCH_WARM_REPEATS (3), BENCH_RSS_INVOCATIONS (10000), BENCH_RSS_REPEATS (3): sizes.
 * - BENCH_SKIP_GATEWAY, BENCH_SKIP_SYNTH: skip those sections.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type, release, arch } from 'node:os';
import { join } from 'node:path';
import { adaptiveBench, adaptiveMarkdown } from './adaptive';
import { coldStarts, exportUnit, type ColdResult } from './cold';
import { emfBench, emfMarkdown } from './emf';
import { collectorStarts, collectorTable } from './collector';
import { gatewayBench, gatewayMarkdown } from './gateway';
import { DrainReceiver } from './lib/drain-receiver';
import { benchEnvironment } from './lib/env';
import { iqr, median, ratio } from './lib/stats';
import { UdpReceiver } from './lib/udp-receiver';
import { ADOT_PACKAGE, OUT, ROOT, buildVariants, installedVersion, type Variant } from './lib/variants';
import { synthScale } from './synth-scale';
import { WARM_SCENARIOS, warmRss, warmRuns, type RssResult, type WarmResult } from './warm';

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const COLLECTOR_RUNS = Number(process.env.BENCH_COLLECTOR_RUNS ?? 15);
const WARM = {
  iterations: Number(process.env.BENCH_WARM_ITERATIONS ?? 2000),
  warmup: 300,
  repeats: Number(process.env.BENCH_WARM_REPEATS ?? 3),
};
const RSS = {
  invocations: Number(process.env.BENCH_RSS_INVOCATIONS ?? 10_000),
  repeats: Number(process.env.BENCH_RSS_REPEATS ?? 3),
};
const SECTIONS = ['cold', 'esm', 'collector', 'gateway', 'warm', 'rss', 'adaptive', 'emf', 'synth'] as const;
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
for (const name of ONLY ?? []) {
  if (!(SECTIONS as readonly string[]).includes(name))
    throw new Error(`BENCH_ONLY: unknown section ${name} (sections: ${SECTIONS.join(', ')})`);
}
/** Whether a section runs (BENCH_ONLY names the sections to run; unset, all run). */
const runs = (section: (typeof SECTIONS)[number]) => !ONLY || ONLY.includes(section);

/** Every target of the benchmark issue, with whether this run met it. */
interface Target {
  readonly what: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

const kb = (bytes: number) => (Number.isNaN(bytes) ? '–' : `${(bytes / 1024).toFixed(1)}`);

/** The median of a variant's cold starts minus bare's, or NaN if it did not run. */
function coldOver(results: ColdResult[], name: string): number {
  const r = results.find((x) => x.variant.name === name);
  const bare = results.find((x) => x.variant.name === 'bare');
  return r && bare ? median(r.ms) - median(bare.ms) : Number.NaN;
}

/** "exports received": the count, and what it counts when it is not OTLP requests. */
function exportsCell(variant: Variant, count: number, sampled = true): string {
  if (variant.sink === 'none') return '–';
  const cell = variant.sink === 'otlp' ? `${count}` : `${count} ${exportUnit(variant)}`;
  // Bold: a sampled invocation that exported nothing (unsampled ones should export nothing, but
  // the floor, which traces nothing, posts every time).
  return count === 0 && sampled ? `**${cell}**` : cell;
}

/** `over / floorOver` as a ratio, for variants other than bare and the floor. */
function floorRatio(name: string, over: number, floorOver: number): string {
  if (name === 'bare' || name.startsWith('floor') || !Number.isFinite(floorOver) || floorOver <= 0)
    return '–';
  return ratio(over, floorOver);
}

function coldTable(results: ColdResult[]): string {
  const bare = results.find((r) => r.variant.name === 'bare')!;
  const bareMs = median(bare.ms);
  const bareRss = median(bare.rssMb);
  const floorOver = coldOver(results, 'floor');
  const rows = results.map((r) => {
    const ms = median(r.ms);
    const rss = median(r.rssMb);
    return `| ${r.variant.label} | ${ms.toFixed(1)} | ${iqr(r.ms)} | ${(ms - bareMs).toFixed(1)} | ${ratio(ms, bareMs)} | ${floorRatio(r.variant.name, ms - bareMs, floorOver)} | ${rss.toFixed(1)} | ${(rss - bareRss).toFixed(1)} | ${kb(r.variant.addedBytes)} | ${kb(r.variant.addedGzipBytes)} | ${exportsCell(r.variant, r.exports)} |`;
  });
  return [
    "| variant | cold start ms (median) | IQR ms | over bare ms | ratio to bare | over bare ÷ floor's | peak RSS MB | over bare MB | added KB | added KB gzip | exports received |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/** The two harnesses side by side: each variant's median and over bare under both. */
function harnessTable(cjs: ColdResult[], esm: ColdResult[]): string {
  const rows = esm.map((e) => {
    const c = cjs.find((r) => r.variant.name === e.variant.name);
    const cMs = c ? median(c.ms) : Number.NaN;
    const eMs = median(e.ms);
    const cOver = coldOver(cjs, e.variant.name);
    const eOver = coldOver(esm, e.variant.name);
    return `| ${e.variant.label} | ${cMs.toFixed(1)} | ${cOver.toFixed(1)} | ${eMs.toFixed(1)} | ${iqr(e.ms)} | ${eOver.toFixed(1)} | ${floorRatio(e.variant.name, eOver, coldOver(esm, 'floor'))} | ${(eMs - cMs).toFixed(1)} | ${exportsCell(e.variant, e.exports)} |`;
  });
  return [
    "| variant | CommonJS harness ms | over bare ms | ES-module harness ms | IQR ms | over bare ms | over bare ÷ floor's | ES module − CommonJS ms | exports received (ES module) |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

function warmTable(results: WarmResult[], variants: Variant[]): string {
  const rows: string[] = [];
  for (const r of results) {
    const bare = r.micros.get('bare')!;
    const floor = r.micros.get('floor');
    const floorOver = floor === undefined ? Number.NaN : floor - bare;
    for (const v of variants) {
      const us = r.micros.get(v.name);
      if (us === undefined) {
        rows.push(`| ${r.scenario.name} | ${v.label} | – | – | – | – | – |`);
        continue;
      }
      const [lo, hi] = r.spread.get(v.name)!;
      rows.push(
        `| ${r.scenario.name} | ${v.label} | ${us.toFixed(1)} | ${lo.toFixed(1)}–${hi.toFixed(1)} | ${(us - bare).toFixed(1)} | ${floorRatio(v.name, us - bare, floorOver)} | ${exportsCell(v, r.exports.get(v.name) ?? 0, r.scenario.sampled)} |`,
      );
    }
  }
  return [
    "| scenario | variant | µs (median) | min–max of the processes' medians | over bare µs | over bare ÷ floor's | exports received |",
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

function rssTable(results: RssResult[]): string {
  const of = (name: string) => results.find((r) => r.variant.name === name);
  const bare = median(of('bare')!.rssMb);
  const floorR = of('floor');
  const floor = floorR ? median(floorR.rssMb) : Number.NaN;
  const rows = results.map((r) => {
    const mb = median(r.rssMb);
    return `| ${r.variant.label} | ${mb.toFixed(1)} | ${Math.min(...r.rssMb).toFixed(1)}–${Math.max(...r.rssMb).toFixed(1)} | ${(mb - bare).toFixed(1)} | ${r.variant.name.startsWith('floor') || r.variant.name === 'bare' ? '–' : (mb - floor).toFixed(1)} |`;
  });
  return [
    '| variant | RSS MB after the invocations (median) | min–max MB | over bare MB | over the floor MB |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/** The peers of the RSS target: every tracer that is not ours, bare or the floor. */
const PEERS = ['standard-bundled', 'stdout-peer', 'powertools', 'adot'];

function targets(
  cold: ColdResult[] | undefined,
  esm: ColdResult[] | undefined,
  warm: WarmResult[],
  rss: RssResult[] | undefined,
  synthRatio50: number | undefined,
): Target[] {
  const list: Target[] = [];
  if (cold) {
    const by = (name: string) => cold.find((r) => r.variant.name === name)!;
    const oursOver = coldOver(cold, 'ours');
    const stdOver = coldOver(cold, 'standard-bundled');
    const stdUnbundledOver = coldOver(cold, 'standard');
    const floorOver = coldOver(cold, 'floor');
    const rssOver = median(by('ours').rssMb) - median(by('bare').rssMb);
    list.push(
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
      {
        what: 'cold start over bare, bundled (CommonJS harness)',
        goal: '≤ 10 ms',
        measured: `${oursOver.toFixed(1)} ms`,
        met: oursOver <= 10,
      },
      {
        what: "cold start over bare, bundled, vs the floor's over bare (CommonJS harness)",
        goal: '≤ 1.4×',
        measured: `${oursOver.toFixed(1)} ms vs ${floorOver.toFixed(1)} ms = ${(oursOver / floorOver).toFixed(2)}×`,
        met: oursOver <= 1.4 * floorOver,
      },
    );
  }
  if (esm) {
    const layerOver = coldOver(esm, 'layer');
    const oursOver = coldOver(esm, 'ours');
    const floorOver = coldOver(esm, 'floor');
    list.push(
      {
        what: 'cold start over bare, layer mode (ES-module harness, as Lambda imports the shim)',
        goal: '≤ 12 ms',
        measured: `${layerOver.toFixed(1)} ms`,
        met: layerOver <= 12,
      },
      {
        what: "cold start over bare, layer mode, vs the floor's over bare (ES-module harness)",
        goal: '≤ 1.4×',
        measured: `${layerOver.toFixed(1)} ms vs ${floorOver.toFixed(1)} ms = ${(layerOver / floorOver).toFixed(2)}×`,
        met: layerOver <= 1.4 * floorOver,
      },
      {
        what: 'cold start over bare, bundled (ES-module harness)',
        goal: '≤ 10 ms',
        measured: `${oursOver.toFixed(1)} ms`,
        met: oursOver <= 10,
      },
      {
        what: 'cold start over bare, bundled as an ES module (format ESM; ES-module harness)',
        goal: '≤ 10 ms',
        measured: `${coldOver(esm, 'ours-esm').toFixed(1)} ms`,
        met: coldOver(esm, 'ours-esm') <= 10,
      },
    );
  }
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
  for (const r of warm) {
    const over = r.micros.get('ours')! - r.micros.get('bare')!;
    const limit = r.scenario.shape === 'http' ? (r.scenario.sampled ? 60 : 6) : r.scenario.sampled ? 120 : 10;
    list.push({
      what: `warm over bare (issue 18): ${r.scenario.name}`,
      goal: `≤ ${limit} µs`,
      measured: `${over.toFixed(1)} µs`,
      met: over <= limit,
    });
  }
  if (rss) {
    const ours = median(rss.find((r) => r.variant.name === 'ours')!.rssMb);
    const peers = rss.filter((r) => PEERS.includes(r.variant.name));
    const lightest = peers.reduce((a, b) => (median(a.rssMb) <= median(b.rssMb) ? a : b));
    const limit = median(lightest.rssMb) + 5;
    list.push({
      what: `warm RSS after ${RSS.invocations.toLocaleString('en-US')} invocations vs the lightest peer + 5 MB`,
      goal: '≤ lightest peer + 5 MB',
      measured: `${ours.toFixed(1)} MB vs ${lightest.variant.label} ${median(lightest.rssMb).toFixed(1)} MB + 5`,
      met: ours <= limit,
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
  const udp = new UdpReceiver();
  const xrayDaemon = await udp.start();
  const sinks = { otlp: receiver, udp };
  const env = benchEnvironment(endpoint);

  const peers = { otlp: endpoint, xrayDaemon };
  const http = buildVariants('http', peers);
  const sqs = buildVariants('sqs', peers);
  let cold: ColdResult[] | undefined;
  if (runs('cold')) {
    console.log(`cold start (CommonJS harness): ${COLD_RUNS} runs × ${http.length} variants …`);
    cold = await coldStarts(http, env, sinks, COLD_RUNS, 'cjs');
    for (const r of cold) {
      if (r.variant.sink !== 'none' && r.exports === 0)
        throw new Error(`${r.variant.name} exported nothing: its setup is broken`);
    }
  }
  let esm: ColdResult[] | undefined;
  if (runs('esm')) {
    console.log(`cold start (ES-module harness): ${COLD_RUNS} runs × ${http.length} variants …`);
    // No check here: a wrapper that patches the handler on require() sees nothing of an import(),
    // which the table shows as an export count of 0.
    esm = await coldStarts(http, env, sinks, COLD_RUNS, 'esm');
  }
  let collector: Awaited<ReturnType<typeof collectorStarts>>;
  if (runs('collector')) {
    console.log(`collector: ${COLLECTOR_RUNS} starts per configuration …`);
    collector = await collectorStarts(COLLECTOR_RUNS);
  }
  const gatewayRuns = runs('gateway') && !process.env.BENCH_SKIP_GATEWAY;
  if (gatewayRuns) console.log('gateway …');
  const gateway = gatewayRuns ? await gatewayBench() : undefined;
  // The layer mode runs the same traced() per invocation as the bundled one: measured cold only;
  // the standard setup warm is its bundled build (the same code per invocation).
  // Warm, the ES-module bundle and the layer run the same runtime as `ours` (and the warm harness
  // requires its handler): cold start only.
  const warmVariants = (all: Variant[]) =>
    all.filter((v) => v.name !== 'standard' && v.name !== 'layer' && v.name !== 'ours-esm');
  const warm: WarmResult[] = [];
  if (runs('warm')) {
    console.log(`warm: ${WARM_SCENARIOS.length} scenarios …`);
    for (const scenario of WARM_SCENARIOS) {
      warm.push(
        await warmRuns(scenario, warmVariants(scenario.shape === 'http' ? http : sqs), env, WARM, sinks),
      );
    }
  }
  let rss: RssResult[] | undefined;
  if (runs('rss')) {
    console.log(`warm RSS: ${RSS.invocations} invocations × ${RSS.repeats} processes per variant …`);
    rss = await warmRss(WARM_SCENARIOS[0], warmVariants(http), env, RSS);
  }
  let adaptive: Awaited<ReturnType<typeof adaptiveBench>> | undefined;
  if (runs('adaptive')) {
    console.log('adaptive sampling …');
    adaptive = await adaptiveBench(
      http.find((v) => v.name === 'ours')!,
      env,
      { coldRuns: COLD_RUNS, ...WARM },
    );
  }
  await receiver.stop();
  await udp.stop();
  let emf: ReturnType<typeof emfBench> | undefined;
  if (runs('emf')) {
    console.log('a cold-start metric line (EMF) …');
    emf = emfBench({ iterations: 20_000, repeats: 5 });
  }
  const synthRuns = runs('synth') && !process.env.BENCH_SKIP_SYNTH;
  if (synthRuns) console.log('synth scale …');
  const synth = synthRuns ? await synthScale() : undefined;
  const synth50 = synth?.rows.find((r) => r.size === 50);

  const v = (name: string, from?: string) => installedVersion(name, from);
  const list = targets(cold, esm, warm, rss, synth50?.ratio);
  const skipped = (section: string) => `(skipped: ${section} is not in BENCH_ONLY=${process.env.BENCH_ONLY})`;
  const ADOT = ADOT_PACKAGE;
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
    "- **floor**: the bare handler with `node:http` loaded and one OTLP/HTTP POST of a small body (one span's worth of OTLP/JSON, 0.3 KB, over a keep-alive agent) to the local receiver, written to the socket before the response (as the library's exporter counts an export to the collector extension on localhost done; the answer is read when it comes); nothing traced, bundled like the bare one (`bench/fixtures/floor.ts`). What a tracer that sends with Node's HTTP client before the response costs at the least (one that sends after the response, as the X-Ray SDK does over UDP, can be under it); \"over bare ÷ floor's\" compares each variant's cost with it, as issue 18 set its targets.",
    "- **floor over node:net**: the same POST written as one buffer on one kept-alive `node:net` connection opened at load, pipelined (the next request is written whether or not the last answer came; the answers are read and dropped), with no HTTP client (`bench/fixtures/floor-net.ts`): the least a tracer that hands its spans to a local collector over HTTP before the response can cost; the library's exporter sends this way to an `http:` endpoint.",
    '- **ours (bundled, TracedFunction)**: the same handler as `TracedFunction` bundles it for a runtime that `require`s its handler (before `nodejs24.x`: CommonJS; its fixed entry, the runtime from source, ESM builds of the OpenTelemetry packages), exporting over OTLP/HTTP to a local receiver on 127.0.0.1 before each invocation returns.',
    "- **ours (layer, TracingPolicy)**: the bare bundle unchanged, with the layer's shim as the handler (cold start only; warm, it runs the same runtime as the bundled variant).",
    '- **ours (bundled as an ES module)**: the same bundle built as `TracedFunction` builds it on `nodejs24.x` and later, or with `bundling: { format: OutputFormat.ESM }` (an `.mjs` file with the `require` banner); under the ES-module harness, Node loads it without running its CommonJS export lexer over the bundle (cold start only).',
    `- **standard OpenTelemetry**: what the upstream OpenTelemetry Lambda layer sets up, from the official packages (\`@opentelemetry/sdk-trace-node\` ${v('@opentelemetry/sdk-trace-node')}, \`instrumentation-aws-lambda\` ${v('@opentelemetry/instrumentation-aws-lambda')}, \`instrumentation-aws-sdk\` ${v('@opentelemetry/instrumentation-aws-sdk')}, \`instrumentation-http\` ${v('@opentelemetry/instrumentation-http')}, \`instrumentation-undici\` ${v('@opentelemetry/instrumentation-undici')}, \`exporter-trace-otlp-http\` ${v('@opentelemetry/exporter-trace-otlp-http')}; OTLP/HTTP exporter behind a batch span processor, flushed by the Lambda instrumentation at the end of each invocation), loaded with \`node --require\` as the layer's wrapper is, before the bare handler; once from node_modules (unbundled) and once bundled into one file with esbuild. Its metrics and logs exporters are off (\`OTEL_METRICS_EXPORTER=none\`, \`OTEL_LOGS_EXPORTER=none\`).`,
    `- **stdout exporter** (the lambda-otel-lite design): the OpenTelemetry SDK (\`@opentelemetry/sdk-trace-node\` ${v('@opentelemetry/sdk-trace-node')}, \`sdk-trace-base\` ${v('@opentelemetry/sdk-trace-base')}) with \`@dev7a/otlp-stdout-span-exporter\` ${v('@dev7a/otlp-stdout-span-exporter')} (with \`otlp-transformer\` ${v('@opentelemetry/otlp-transformer', '@dev7a/otlp-stdout-span-exporter')}): spans serialized as OTLP protobuf, gzip-compressed (level 6), base64 in one JSON line on stdout, no network. Set up as the exporter's README shows (a \`NodeTracerProvider\`, a \`BatchSpanProcessor\`, \`provider.register()\`), flushed before each invocation returns; a span per invocation parented on the \`traceparent\` header (per SQS record: a span parented on the record's \`traceparent\` attribute, under an invocation span); parent-based ratio sampling. Bundled with esbuild as \`NodejsFunction\` bundles it (\`bench/fixtures/stdout-*.ts\`). The harness's stdout is a pipe the bench drains; "exports received" counts the lines that carry the exporter's marker.`,
    `- **Powertools Tracer**: \`@aws-lambda-powertools/tracer\` ${v('@aws-lambda-powertools/tracer')} (\`aws-xray-sdk-core\` ${v('aws-xray-sdk-core', '@aws-lambda-powertools/tracer')}), the handler instrumented as the Tracer's documentation shows for manual instrumentation without middy: a \`## <handler>\` subsegment of Lambda's facade segment per invocation, the cold start and service name annotations and the response as metadata (per SQS record, a subsegment in it: X-Ray cannot parent a subsegment on a message's \`traceparent\`). Bundled with esbuild (\`bench/fixtures/powertools-*.ts\`). Its environment is what the Tracer and the X-Ray SDK read in Lambda: \`AWS_EXECUTION_ENV=AWS_Lambda_nodejs24.x\` (without it the Tracer disables itself), \`LAMBDA_TASK_ROOT\` (the X-Ray SDK's Lambda mode and facade segment), \`_X_AMZN_TRACE_ID\` with \`Sampled=1\` or \`Sampled=0\` (a fresh trace id per warm invocation, set before the clock starts, as Lambda's runtime sets one), \`POWERTOOLS_SERVICE_NAME\`, and \`AWS_XRAY_DAEMON_ADDRESS\` at a UDP socket the bench binds on 127.0.0.1; "exports received" counts the datagrams it got.`,
    `- **ADOT JavaScript**: \`${ADOT}\` ${v(ADOT)} (\`@opentelemetry/sdk-node\` ${v('@opentelemetry/sdk-node', ADOT)}, \`sdk-trace-base\` ${v('@opentelemetry/sdk-trace-base', ADOT)}, \`auto-instrumentations-node\` ${v('@opentelemetry/auto-instrumentations-node', ADOT)}), loaded as its Lambda layer loads it for a CommonJS handler on Node.js below 24: \`--require\` of the package's \`register\` entry (the layer's \`wrapper.js\` requires only that), unbundled from node_modules, before the bare handler; with the environment the layer's \`otel-instrument\` script exports (\`OTEL_METRICS_EXPORTER=none\`, \`OTEL_LOGS_EXPORTER=none\`, \`OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\`, \`OTEL_NODE_ENABLED_INSTRUMENTATIONS=aws-sdk,aws-lambda,http\`, \`OTEL_PROPAGATORS=baggage,tracecontext,xray\`, the Lambda resource attributes), two changes: \`OTEL_AWS_APPLICATION_SIGNALS_ENABLED=false\` (the layer's default is true) and \`OTEL_TRACES_EXPORTER=otlp\` with \`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT\` at the local receiver (without an endpoint, ADOT in Lambda sends spans over UDP to the X-Ray daemon). "added KB" counts the packages esbuild follows from the register entry, each once, as a layer ships them.`,
    '- The receiver reads each export and answers 200 without parsing it; "exports received" counts what arrived (OTLP requests, UDP datagrams or stdout lines), so a variant that silently exports nothing shows, in bold (an unsampled invocation exports nothing, as it should; the floor posts every time).',
    '',
    '## Cold start, peak RSS and package size',
    '',
    `A fresh Node process per run, as Lambda starts one: the wrapper (if any) with \`--require\`, then the handler module, then one invocation with an API Gateway HTTP API event and a Lambda-like context; timed from spawn until the response is reported, so the export before the response is included. ${COLD_RUNS} runs per variant, variants alternating. "added KB" is what the variant adds to the deployment over the bare bundle (for the unbundled standard setup and ADOT: the packages it loads, each counted once, as a layer ships them). The layer variant is what \`TracingPolicy\` deploys: the bare bundle unchanged, and the layer's shim (\`handler.mjs\`, built as \`TracingLayer\` builds it) as the handler, which imports the original and wraps it; its added KB is the layer file. "over bare ÷ floor's" is the variant's over-bare divided by the floor's.`,
    '',
    '### CommonJS harness',
    '',
    `\`bench/harness/cold.cjs\`: a CommonJS script that \`require\`s the handler (an ES module, the layer's shim, is \`import()\`ed).`,
    '',
    cold ? coldTable(cold) : skipped('cold'),
    '',
    '### ES-module harness, as Lambda loads a handler',
    '',
    `Lambda's Node.js runtime (the runtime interface client, \`/var/runtime/index.mjs\`) is itself an ES module and loads every handler with \`import()\`, so the ES-module loader's start-up is paid before any handler. \`bench/harness/cold-esm.mjs\` does the same: an ES module that \`import()\`s the handler (a \`file:\` URL) and invokes it once, otherwise as the CommonJS harness; the same processes' other figures, variants alternating, ${COLD_RUNS} runs each. The layer row is compared fairly here: its shim is an ES module either way. A wrapper that patches the handler when it is \`require\`d (the standard setup's and ADOT's Lambda instrumentation, through require-in-the-middle) sees nothing of an \`import()\`: their exports received show it (on Node.js 24 ADOT's layer switches to \`--import\` and an ES-module loader hook for this; not measured here).`,
    '',
    esm ? (cold ? harnessTable(cold, esm) : coldTable(esm)) : skipped('esm'),
    '',
    '## The collector next to the function',
    '',
    !runs('collector')
      ? skipped('collector')
      : collector
        ? `\`otelcol-lambda\` (the collector with the components of the pinned Lambda layer, built from its Go modules; \`npm run collector:build\`) started as a fresh process ${COLLECTOR_RUNS} times per configuration, configurations alternating, with the configuration the library renders (the example's from its configuration layer; without \`decouple\`, which this build lacks): spawn to "Everything is ready", and the process's peak RSS 200 ms later. In Lambda the extension starts during the init phase, beside the function's own cold start (shown from the same run); users report 1.5–4 s for the stock extension's start in Lambda; this measures the collector process alone, with no extension registration, Lambda sandbox or network to a backend.\n\n` +
          collectorTable(
            collector,
            cold ? median(cold.find((r) => r.variant.name === 'ours')!.ms) : Number.NaN,
            cold ? median(cold.find((r) => r.variant.name === 'bare')!.ms) : Number.NaN,
          )
        : '(skipped: otelcol-lambda is not built on this machine; `npm run collector:build`)',
    '',
    '## The tracing gateway',
    '',
    gateway
      ? gatewayMarkdown(gateway)
      : !runs('gateway')
        ? skipped('gateway')
        : process.env.BENCH_SKIP_GATEWAY
          ? '(skipped with BENCH_SKIP_GATEWAY)'
          : '(skipped: otelcol-gateway is not built on this machine; `npm run collector:build`)',
    '',
    '## Warm per-invocation time',
    '',
    `One process per variant and scenario: ${WARM.warmup} untimed invocations, then ${WARM.iterations} timed one at a time, with a turn of the event loop between two (untimed: in Lambda the runtime posts the response and asks for the next event over HTTP in between, and I/O that completes after a response, such as a collector's answer, is handled then); the figure is the median of ${WARM.repeats} processes' medians (min–max of those medians beside it). Sampled: the caller's \`traceparent\` has the sampled flag and the ratio is 1 (for the Powertools Tracer: \`_X_AMZN_TRACE_ID\` says \`Sampled=1\`); unsampled: flag 00 and ratio 0 (\`Sampled=0\`). The SQS batch has 10 records, each with a \`traceparent\` message attribute; the bare, floor, standard and ADOT variants run the plain loop (the standard setup and ADOT: the Lambda instrumentation's span around it), ours runs \`processRecords\` (a span per record), the stdout exporter a span per record, the Powertools Tracer a subsegment per record. The standard setup runs its bundled build (per invocation it runs the same code as unbundled), the layer mode is not repeated (the same runtime as the bundled variant). "exports received" counts every invocation of the scenario's processes, warm-up included.`,
    '',
    warm.length ? warmTable(warm, warmVariants(http)) : skipped('warm'),
    '',
    `## Warm RSS after ${RSS.invocations.toLocaleString('en-US')} invocations`,
    '',
    `One process per variant (Node.js started with \`--expose-gc\`): ${RSS.invocations.toLocaleString('en-US')} invocations of the sampled HTTP API request one at a time (the event loop turning between two, as in the warm runs), then a full \`global.gc()\`, then \`process.memoryUsage().rss\`; the median of ${RSS.repeats} processes per variant, variants alternating. What stays resident once the tracer has run a while: its code, its buffers and whatever it keeps between invocations.`,
    '',
    rss ? rssTable(rss) : skipped('rss'),
    '',
    '## Adaptive sampling',
    '',
    adaptive ? adaptiveMarkdown(adaptive) : skipped('adaptive'),
    '',
    '## A cold-start metric line per invocation (not shipped)',
    '',
    emf ? emfMarkdown(emf) : skipped('emf'),
    '',
    '## Synth scale',
    '',
    synth ? synth.markdown : runs('synth') ? '(skipped with BENCH_SKIP_SYNTH)' : skipped('synth'),
    '',
    '## Targets',
    '',
    '| target | goal | measured | met |',
    '| --- | --- | --- | --- |',
    ...list.map((t) => `| ${t.what} | ${t.goal} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
    '',
  ].join('\n');
  console.log(markdown);
  // A partial run (BENCH_ONLY) leaves BENCHMARKS.md as the last full run wrote it.
  if (ONLY) {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'BENCHMARKS.partial.md'), markdown);
  } else {
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), markdown);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
