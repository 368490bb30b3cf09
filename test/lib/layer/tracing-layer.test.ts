import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import * as entry from '../../../lib';
import { TracingLayer } from '../../../lib/layer';
import { shimAssetHash } from '../../../lib/layer/private/shim-build';
import { ORIGINAL_HANDLER_ENV, SHIM_HANDLER, TRACING_LAYER_DIR } from '../../../lib/core/layer-constants';
import { filesUnder, layerS3Key, synthTracingLayer, type SynthesizedLayer } from '../../helpers/layer';
import { newStack, plainFunction } from '../../helpers/stack';

/** The size the shim must stay under (the runtime alone is about 74 KB minified). */
const MAX_SHIM_BYTES = 100 * 1024;

const LAYER = 'AWS::Lambda::LayerVersion';

/** The "Bundling asset ..." lines CDK writes to stderr while `fn` runs. */
function captureBundlingLines(fn: () => void): string[] {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.startsWith('Bundling asset')),
    );
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

let built: SynthesizedLayer;

beforeAll(() => {
  built = synthTracingLayer();
}, 120_000);

test('the package entry exports TracingLayer and its handler and variable names', () => {
  expect(entry.TracingLayer).toBe(TracingLayer);
  expect(TracingLayer.HANDLER).toBe('/opt/cdk-serverless-tracing/handler.handler');
  expect(TracingLayer.HANDLER).toBe(SHIM_HANDLER);
  expect(TracingLayer.ORIGINAL_HANDLER_ENV).toBe('CDK_SERVERLESS_TRACING_HANDLER');
  expect(TracingLayer.ORIGINAL_HANDLER_ENV).toBe(ORIGINAL_HANDLER_ENV);
  expect(TRACING_LAYER_DIR).toBe('cdk-serverless-tracing');
});

test('one layer per stack, however many times and from wherever `of` is called', () => {
  const { stack } = newStack();
  const nested = new Construct(new Construct(stack, 'Service'), 'Handlers');
  const first = TracingLayer.of(stack);
  expect(TracingLayer.of(stack)).toBe(first);
  expect(TracingLayer.of(nested)).toBe(first);
  const x86 = plainFunction(nested, 'X86', { architecture: lambda.Architecture.X86_64 });
  const arm = plainFunction(nested, 'Arm', {
    architecture: lambda.Architecture.ARM_64,
    runtime: lambda.Runtime.NODEJS_24_X,
  });
  x86.addLayers(TracingLayer.of(x86));
  arm.addLayers(TracingLayer.of(arm));

  const template = Template.fromStack(stack);
  template.resourceCountIs(LAYER, 1);
  const [layerId] = Object.keys(template.findResources(LAYER));
  expect(layerId).toMatch(/^CdkServerlessTracingLayer/);
  expect(first.node.path).toBe('TestStack/CdkServerlessTracingLayer');
  for (const fn of [x86, arm]) {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: [fn.architecture.name],
      Layers: [{ Ref: layerId }],
    });
  }
});

test('compatible with the Node.js runtimes 18 to 24 and both architectures, Apache-2.0', () => {
  const { stack } = newStack();
  TracingLayer.of(stack);
  Template.fromStack(stack).hasResourceProperties(LAYER, {
    CompatibleRuntimes: ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'],
    CompatibleArchitectures: ['x86_64', 'arm64'],
    LicenseInfo: 'Apache-2.0',
    Description: Match.stringLikeRegexp('/opt/cdk-serverless-tracing/handler\\.mjs'),
  });
});

test('each stack has its own layer, all with the same asset: bundled or not, in any app', () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'tracing-layer-')) });
  const stacks = ['Payments', 'Audit'].map((id) => new Stack(app, id));
  const bundlingLines = captureBundlingLines(() => {
    for (const stack of stacks) TracingLayer.of(stack);
  });
  // The asset is staged (bundled) once for the app, not once per stack.
  expect(bundlingLines).toEqual(['Bundling asset Payments/CdkServerlessTracingLayer/Code/Stage...']);
  const skipped = newStack().stack;
  TracingLayer.of(skipped);

  const keys = [...stacks, skipped].map(layerS3Key);
  expect(keys).toEqual([built.s3Key, built.s3Key, built.s3Key]);
  expect(built.s3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
});

test('a stack left out of bundling (aws:cdk:bundling-stacks) gets the hash without the build', () => {
  const { app, stack } = newStack({
    appProps: { outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'tracing-layer-')) },
  });
  TracingLayer.of(stack);
  const assembly = app.synth();
  expect(layerS3Key(stack)).toBe(built.s3Key);
  expect(fs.existsSync(path.join(assembly.directory, `asset.${built.s3Key.replace(/\.zip$/, '')}`))).toBe(
    false,
  );
});

test('the asset holds exactly cdk-serverless-tracing/handler.mjs: one minified ES module, small', () => {
  expect(filesUnder(built.assetDir)).toEqual(['cdk-serverless-tracing/handler.mjs']);
  const code = fs.readFileSync(built.shimFile, 'utf8');
  const bytes = Buffer.byteLength(code);
  expect(bytes).toBeLessThan(MAX_SHIM_BYTES);
  expect(bytes).toBeGreaterThan(10 * 1024);
  // Minified: a handful of very long lines (template literals keep their newlines), no indentation.
  const lines = code.split('\n');
  expect(lines.length).toBeLessThan(20);
  expect(lines.filter((line) => /^\s{2,}\S/.test(line))).toEqual([]);
  // ESM with `require` for the CommonJS code inside, and the handler export Lambda calls.
  expect(lines[0]).toContain('createRequire');
  expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{[^}]*\bhandler\b[^}]*\}/);
  // The names the constructs use reached the shim through esbuild's define.
  expect(code).toContain(`"${ORIGINAL_HANDLER_ENV}"`);
  expect(code).not.toMatch(/__CST_[A-Z_]+__/);
});

test('built once per set of inputs: another app copies the cached build', () => {
  const cached = path.join(os.tmpdir(), 'cdk-serverless-tracing-layer', shimAssetHash(), 'handler.mjs');
  expect(fs.existsSync(cached)).toBe(true);
  const before = fs.statSync(cached).mtimeMs;
  const again = synthTracingLayer();
  expect(again.s3Key).toBe(built.s3Key);
  expect(fs.statSync(cached).mtimeMs).toBe(before);
  expect(fs.readFileSync(again.shimFile)).toEqual(fs.readFileSync(built.shimFile));
});

test('a child with the layer id that is not the layer is an error', () => {
  const { stack } = newStack();
  new Construct(stack, 'CdkServerlessTracingLayer');
  expect(() => TracingLayer.of(stack)).toThrow(/"CdkServerlessTracingLayer" that is not the tracing layer/);
});
