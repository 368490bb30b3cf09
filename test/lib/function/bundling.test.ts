import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { TracedFunction } from '../../../lib';
import { tracedBundling } from '../../../lib/function/private/bundling';
import { bundledCode, fixture, newStack } from '../../helpers/stack';

/** The logical id of the function with this construct id. */
function logicalId(stack: Stack, id: string): string {
  const fn = stack.node.findChild(id) as TracedFunction;
  return stack.getLogicalId(fn.node.defaultChild as never);
}

// Real esbuild bundling: one stack, one synth for every assertion.
describe('bundling (real esbuild)', () => {
  let app: App;
  let stack: Stack;
  let bundles: Record<string, Record<string, string>>;
  beforeAll(() => {
    ({ app, stack } = newStack({ bundle: true }));
    new TracedFunction(stack, 'Cjs', { entry: fixture('hello.ts') });
    new TracedFunction(stack, 'OtherExport', { entry: fixture('hello.ts'), handler: 'other' });
    new TracedFunction(stack, 'Esm', {
      entry: fixture('esm-handler.mts'),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        define: { FIXTURE_GREETING: JSON.stringify('greeting-from-user-define') },
      },
    });
    new TracedFunction(stack, 'NotMinified', { entry: fixture('hello.ts'), bundling: { minify: false } });
    new TracedFunction(stack, 'UsesRuntime', { entry: fixture('uses-runtime.ts') });
    bundles = {};
    for (const id of ['Cjs', 'OtherExport', 'Esm', 'NotMinified', 'UsesRuntime']) {
      bundles[id] = bundledCode(app, stack, logicalId(stack, id));
    }
  });

  test('CommonJS by default: one minified index.js holding the user handler and the wrapper', () => {
    const files = bundles.Cjs;
    expect(Object.keys(files)).toEqual(['index.js']);
    const code = files['index.js'];
    expect(code).toContain('hello-from-the-user-handler');
    // the fixed entry's check names the export it wraps (the define was applied)
    expect(code).toContain('no function export named "handler"');
    expect(code).not.toContain('cdk-serverless-tracing-user-handler');
    expect(code).not.toMatch(/\n\s{2,}\S/); // minified: no indented lines
    expect(code).not.toContain('sourceMappingURL');
  });

  test('the handler export name reaches the wrapper', () => {
    expect(bundles.OtherExport['index.js']).toContain('no function export named "other"');
    expect(bundles.OtherExport['index.js']).toContain('other-export-of-the-user-handler');
  });

  test('ESM output: index.mjs, an ES module exporting handler, with the user define kept', () => {
    const files = bundles.Esm;
    expect(Object.keys(files)).toEqual(['index.mjs']);
    const code = files['index.mjs'];
    expect(code).toContain('esm-user-handler:');
    expect(code).toContain('greeting-from-user-define');
    expect(code).toMatch(/export\s*\{[^}]*as handler\s*\}|export\s*\{\s*handler\s*\}/);
    expect(code.startsWith("import { createRequire as __cstCreateRequire } from 'module';")).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler' });
  });

  test('the user can turn minification off', () => {
    expect(bundles.NotMinified['index.js']).toMatch(/\n\s{2,}\S/);
  });

  test('a handler that imports cdk-serverless-tracing/runtime shares the one runtime of the wrapper', () => {
    const code = bundles.UsesRuntime['index.js'];
    expect(code).toContain('uses-runtime-fixture: a bad record');
    expect(code).not.toContain('cdk-serverless-tracing/runtime');
    // The runtime makes its tracer in one place; two copies of the runtime would make two.
    const tracers = code.match(/getTracer\("cdk-serverless-tracing"\)/g) ?? [];
    expect(tracers).toHaveLength(1);
    expect(bundles.Cjs['index.js'].match(/getTracer\("cdk-serverless-tracing"\)/g)).toHaveLength(1);
  });
});

describe('tracedBundling: library defaults, then the user options, then the wrapper keys', () => {
  const ENTRY = '/project/src/handler.ts';

  test('defaults', () => {
    expect(tracedBundling(undefined, undefined, ENTRY)).toEqual({
      minify: true,
      sourceMap: false,
      mainFields: ['module', 'main'],
      define: { __TRACED_HANDLER_EXPORT__: '"handler"' },
      esbuildArgs: {
        '--alias:cdk-serverless-tracing-user-handler': ENTRY,
        '--alias:cdk-serverless-tracing/runtime': path.join(
          __dirname,
          '..',
          '..',
          '..',
          'layer',
          'runtime',
          'index.ts',
        ),
      },
    });
  });

  test('the user options win over the defaults; the wrapper keys win over the user', () => {
    const bundling = tracedBundling(
      {
        minify: false,
        sourceMap: true,
        mainFields: ['main'],
        define: { MY_FLAG: 'true', __TRACED_HANDLER_EXPORT__: '"hijacked"' },
        esbuildArgs: { '--log-limit': '0', '--alias:cdk-serverless-tracing-user-handler': './elsewhere.ts' },
      },
      'other',
      ENTRY,
    );
    expect(bundling).toMatchObject({
      minify: false,
      sourceMap: true,
      mainFields: ['main'],
      define: { MY_FLAG: 'true', __TRACED_HANDLER_EXPORT__: '"other"' },
      esbuildArgs: {
        '--log-limit': '0',
        '--alias:cdk-serverless-tracing-user-handler': ENTRY,
        '--alias:cdk-serverless-tracing/runtime': expect.stringMatching(/layer[\\/]runtime[\\/]index\.ts$/),
      },
    });
  });

  test('ESM output gets a createRequire banner unless the user gives a banner', () => {
    expect(tracedBundling({ format: nodejs.OutputFormat.ESM }, undefined, ENTRY).banner).toMatch(
      /createRequire/,
    );
    expect(
      tracedBundling({ format: nodejs.OutputFormat.ESM, banner: '// mine' }, undefined, ENTRY).banner,
    ).toBe('// mine');
    expect(tracedBundling({}, undefined, ENTRY).banner).toBeUndefined();
  });
});
