import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { consumerOf, packRepo, remove, type Packed } from './pack-helpers';

// What a user installs: `npm pack` of the repository's files (tracked, and new ones git does not
// ignore), as `npm publish` would make it (its `prepack` builds lib/, dist/runtime, dist/check and
// the bundles of trace-check and of the canary's handler). Packed in a copy, so the build's output
// never lands next to the sources the other tests run.

let packed: Packed;
let files: string[];

beforeAll(() => {
  packed = packRepo();
  files = packed.files;
}, 300_000);

afterAll(() => remove(packed?.work));

test('the package holds the license, the readme, the compiled constructs, runtime and check, the bundles and the layer sources', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'LICENSE',
      'README.md',
      'package.json',
      'lib/index.js',
      'lib/index.d.ts',
      'lib/function/traced-function.js',
      'lib/gateway/tracing-gateway.js',
      'dist/runtime/index.js',
      'dist/runtime/index.d.ts',
      'dist/check/index.js',
      'dist/check/layer/check/index.js',
      'dist/check/layer/check/index.d.ts',
      'dist/bin/trace-check.js',
      'dist/canary/index.js',
      'layer/runtime/index.ts',
      'layer/shim/handler.ts',
      'layer/check/canary-handler.ts',
      'layer/collector/distribution.json',
    ]),
  );
  // The command is one bundle: its compiled sources are not shipped beside it.
  expect(files.filter((f) => f.startsWith('dist/check/bin/'))).toEqual([]);
});

test('nothing of the repository only: no tests, example, tools, benchmarks, collector builds or docs sources', () => {
  const unwanted = files.filter(
    (f) =>
      /^(test|bin|bench|docs|collector|local-run|cdk\.out|\.collector|\.ci)\//.test(f) ||
      /\.test\.[jt]s$/.test(f) ||
      // The layer ships TypeScript sources only: the constructs bundle them at synth.
      (/^layer\//.test(f) && /\.js$/.test(f)),
  );
  expect(unwanted).toEqual([]);
});

describe('installed without the AWS SDK clients (a construct user installs none)', () => {
  let consumer: string;
  const pkg = () => join(consumer, 'node_modules', 'cdk-serverless-tracing');

  beforeAll(() => {
    consumer = consumerOf(packed.tarball!, { exclude: (name) => name.startsWith('@aws-sdk/client-') });
  });

  afterAll(() => remove(consumer));

  test('the package depends on no AWS SDK client', () => {
    const manifest = JSON.parse(readFileSync(join(pkg(), 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
    // The clients of `cdk-serverless-tracing/check` are optional peers: npm does not install them.
    for (const name of Object.keys(manifest.peerDependencies).filter((n) => n.startsWith('@aws-sdk/'))) {
      expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
    }
  });

  test('trace-check runs: its clients are inside its bundle', () => {
    const bin = JSON.parse(readFileSync(join(pkg(), 'package.json'), 'utf8')).bin['trace-check'];
    const help = execFileSync(process.execPath, [join(pkg(), bin), '--help'], {
      cwd: consumer,
      encoding: 'utf8',
    });
    expect(help).toMatch(/^Usage: trace-check --stack <stack>/);
  });

  test('cdk-serverless-tracing/check names the clients to install', () => {
    const run = spawnSync(process.execPath, ['-e', "require('cdk-serverless-tracing/check')"], {
      cwd: consumer,
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      'Install them: npm i @aws-sdk/client-cloudformation @aws-sdk/client-cloudwatch-logs @aws-sdk/client-lambda @aws-sdk/client-xray',
    );
  });

  test("TraceContinuityCanary synthesizes with the package's prebuilt handler", () => {
    mkdirSync(join(consumer, 'src'));
    writeFileSync(join(consumer, 'src', 'create-order.ts'), 'export const handler = async () => ({});\n');
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'orders', private: true }));
    writeFileSync(
      join(consumer, 'package-lock.json'),
      JSON.stringify({ name: 'orders', lockfileVersion: 3, packages: {} }),
    );
    writeFileSync(
      join(consumer, 'app.js'),
      `const { App, Stack } = require('aws-cdk-lib');
const { TraceContinuityCanary, TracedFunction } = require('cdk-serverless-tracing');
const app = new App({ outdir: 'cdk.out', context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Orders');
const entry = new TracedFunction(stack, 'CreateOrder', { entry: 'src/create-order.ts' });
new TraceContinuityCanary(stack, 'Canary', { entry });
app.synth();
`,
    );
    execFileSync(process.execPath, ['app.js'], { cwd: consumer, stdio: 'pipe', timeout: 120_000 });
    const outdir = join(consumer, 'cdk.out');
    const template = JSON.parse(readFileSync(join(outdir, 'Orders.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, never> }>;
    };
    const [canary] = Object.entries(template.Resources).filter(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('CanaryFunction'),
    );
    expect(canary[1].Properties.Handler).toBe('index.handler');
    const asset = join(
      outdir,
      `asset.${(canary[1].Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`,
    );
    expect(readdirSync(asset)).toEqual(['index.js']);
    const bundle = readFileSync(join(asset, 'index.js'), 'utf8');
    expect(bundle).toBe(readFileSync(join(pkg(), 'dist', 'canary', 'index.js'), 'utf8'));
    expect(bundle).toContain('StartTraceRetrieval');
    expect(bundle).toContain('PutMetricData');
  });
});
