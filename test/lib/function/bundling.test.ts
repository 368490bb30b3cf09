import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
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
    // nodejs22.x: its runtime requires a CommonJS handler, so the bundle stays CommonJS.
    new TracedFunction(stack, 'Cjs', { entry: fixture('hello.ts'), runtime: lambda.Runtime.NODEJS_22_X });
    // nodejs24.x (the default): its runtime import()s every handler, so the bundle is an ES module.
    new TracedFunction(stack, 'Default', { entry: fixture('hello.ts') });
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
    for (const id of ['Cjs', 'Default', 'OtherExport', 'Esm', 'NotMinified', 'UsesRuntime']) {
      bundles[id] = bundledCode(app, stack, logicalId(stack, id));
    }
  });

  /** The one file of a bundle. */
  const only = (id: string): string => {
    const files = Object.values(bundles[id]);
    expect(files).toHaveLength(1);
    return files[0];
  };

  test('nodejs24.x by default: one minified ES module, index.mjs, with a require and CommonJS paths for bundled code', () => {
    expect(Object.keys(bundles.Default)).toEqual(['index.mjs']);
    const code = bundles.Default['index.mjs'];
    expect(code.startsWith("import { createRequire as __cstCreateRequire } from 'module';")).toBe(true);
    expect(code).toContain('hello-from-the-user-handler');
    expect(code).toMatch(/export\s*\{[^}]*as handler\s*\}|export\s*\{\s*handler\s*\}/);
    expect(code).not.toMatch(/\n\s{2,}\S/);
  });

  test('CommonJS on a runtime that requires its handler: one minified index.js holding the user handler and the wrapper', () => {
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
    expect(only('OtherExport')).toContain('no function export named "other"');
    expect(only('OtherExport')).toContain('other-export-of-the-user-handler');
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
    expect(only('NotMinified')).toMatch(/\n\s{2,}\S/);
  });

  test('a handler that imports cdk-serverless-tracing/runtime shares the one runtime of the wrapper', () => {
    const code = only('UsesRuntime');
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

  test('an ES module on a runtime that import()s its handler (nodejs24.x and later), CommonJS otherwise', () => {
    for (const runtime of [
      lambda.Runtime.NODEJS_24_X,
      new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS),
    ]) {
      expect(tracedBundling(undefined, undefined, ENTRY, runtime)).toMatchObject({
        format: nodejs.OutputFormat.ESM,
        banner: expect.stringMatching(/createRequire/),
        define: { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' },
      });
    }
    for (const runtime of [lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_20_X, undefined]) {
      const bundling = tracedBundling(undefined, undefined, ENTRY, runtime);
      expect(bundling.format).toBe(nodejs.OutputFormat.CJS);
      expect(bundling.banner).toBeUndefined();
      expect(bundling.define).toEqual({ __TRACED_HANDLER_EXPORT__: '"handler"' });
    }
    // The user's format wins either way; a user define wins over the path defines.
    expect(
      tracedBundling({ format: nodejs.OutputFormat.CJS }, undefined, ENTRY, lambda.Runtime.NODEJS_24_X)
        .format,
    ).toBe(nodejs.OutputFormat.CJS);
    expect(
      tracedBundling({ define: { __dirname: '"/mine"' } }, undefined, ENTRY, lambda.Runtime.NODEJS_24_X)
        .define,
    ).toMatchObject({ __dirname: '"/mine"' });
  });

  test('defaults', () => {
    expect(tracedBundling(undefined, undefined, ENTRY)).toEqual({
      minify: true,
      sourceMap: false,
      mainFields: ['module', 'main'],
      format: nodejs.OutputFormat.CJS,
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
