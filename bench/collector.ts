import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { deployedCollectors } from '../bin/local/assembly';
import { collectorPorts, CollectorProcess, hasCollector, localCollectorConfig } from '../bin/local/collector';
import { synthExample } from '../bin/local/local-run';
import { LocalSecretsManager } from '../bin/local/local-secrets-manager';
import { ExporterHeaderValue, TracingExporter } from '../lib';
import { renderCollectorConfig } from '../lib/collector/private/collector-config';
import { iqr, median } from './lib/stats';

// The collector next to each function: how long `otelcol-lambda` takes from spawn to "Everything
// is ready" and how much memory it holds, with the configuration the library renders (from the
// example's cloud assembly, as deployed), each start a fresh process, configurations alternating.

/** One rendered configuration's starts. */
export interface CollectorStartResult {
  readonly label: string;
  /** What the configuration exports to. */
  readonly exporter: string;
  readonly readyMs: number[];
  readonly peakRssMb: number[];
}

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bench-key-AbCdEf';

/** The string values of a template's environment (references have no value here). */
function strings(environment: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** The configurations measured, each started `runs` times. Undefined when otelcol-lambda is not built. */
export async function collectorStarts(runs: number): Promise<CollectorStartResult[] | undefined> {
  if (!hasCollector()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bench-collector-'));
  const secrets = new LocalSecretsManager(
    [{ arn: SECRET_ARN, secretString: '{"apiKey":"bench-key"}' }],
    'eu-west-1',
  );
  await secrets.start();
  try {
    // The example's (Dev: X-Ray), as its configuration layer holds it; the default (debug) and an
    // OTLP endpoint with a header read from Secrets Manager (a local stand-in), as rendered.
    const assembly = synthExample(join(dir, 'cdk.out'));
    const example = deployedCollectors(assembly).find((c) => c.path === 'Dev/Payments/Authorize');
    if (!example) throw new Error('the example has no collector for Dev/Payments/Authorize');
    const stack = new Stack(new App(), 'Bench', { env: { account: '123456789012', region: 'eu-west-1' } });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN);
    const withSecret = renderCollectorConfig(
      TracingExporter.otlp({
        endpoint: 'http://127.0.0.1:9/',
        headers: { 'x-api-key': ExporterHeaderValue.fromSecret(secret, 'apiKey') },
      }),
    );
    const cases = [
      {
        label: 'example, Dev/Payments/Authorize',
        exporter: 'X-Ray (otlp_http, sigv4auth)',
        yaml: example.yaml,
        env: strings(example.environment),
      },
      {
        label: 'default',
        exporter: 'debug',
        yaml: renderCollectorConfig(TracingExporter.debug()).yaml,
        env: {},
      },
      {
        label: 'OTLP with a secret header',
        exporter: 'otlp_http, header from Secrets Manager',
        yaml: withSecret.yaml,
        env: {
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
          AWS_ACCESS_KEY_ID: 'AKIDBENCH',
          AWS_SECRET_ACCESS_KEY: 'bench',
        },
      },
    ];
    const results = cases.map((c) => ({
      label: c.label,
      exporter: c.exporter,
      readyMs: [] as number[],
      peakRssMb: [] as number[],
    }));
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? cases.keys() : [...cases.keys()].reverse();
      for (const i of order) {
        const local = localCollectorConfig(cases[i].yaml, {
          ...(await collectorPorts()),
        });
        const collector = new CollectorProcess(local.yaml, {
          PATH: process.env.PATH,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'AKIDBENCH',
          AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
          ...cases[i].env,
        });
        await collector.start();
        // Settle briefly, as the extension idles until the first invocation, then read its peak.
        await new Promise((resolve) => setTimeout(resolve, 200));
        results[i].readyMs.push(collector.startupMs!);
        results[i].peakRssMb.push((collector.peakRssKb() ?? NaN) / 1024);
        await collector.stop();
      }
    }
    return results;
  } finally {
    await secrets.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table of collector starts, with the function's own cold start of the same run beside it. */
export function collectorTable(
  results: CollectorStartResult[],
  functionColdMs: number,
  bareColdMs: number,
): string {
  return [
    '| configuration | exporter | collector ready ms (median) | IQR ms | collector peak RSS MB (median) | function cold start, ours, ms | bare handler cold start ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.exporter} | ${median(r.readyMs).toFixed(1)} | ${iqr(r.readyMs)} | ${median(r.peakRssMb).toFixed(1)} | ${functionColdMs.toFixed(1)} | ${bareColdMs.toFixed(1)} |`,
    ),
  ].join('\n');
}
