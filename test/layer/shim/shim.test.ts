import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ORIGINAL_HANDLER_ENV, SHIM_HANDLER } from '../../../lib/core/layer-constants';
import { PARENT_SPAN_ID, TRACE_ID, httpApiEvent, traceparent } from '../../helpers/events';
import { filesUnder, synthTracingLayer } from '../../helpers/layer';
import { OtlpReceiver, SPAN_KIND } from '../../helpers/otlp-receiver';
import { lambdaEnvironment } from '../../helpers/runtime';

// The layer's shim exactly as `cdk synth` builds it (the asset of a TracingLayer in a cloud
// assembly), run the way Lambda runs a handler: a fresh Node process with a Lambda-like
// environment imports `handler.mjs` and invokes its `handler` once. The user's code is a task root
// written to a temporary directory, found through LAMBDA_TASK_ROOT and CDK_SERVERLESS_TRACING_HANDLER.
// The result goes back over fd 3; an init error is reported as Lambda reports one, on stderr.

let shimFile: string;
const receiver = new OtlpReceiver();

beforeAll(async () => {
  const layer = synthTracingLayer();
  expect(filesUnder(layer.assetDir)).toEqual(['cdk-serverless-tracing/handler.mjs']);
  shimFile = layer.shimFile;
  await receiver.start();
}, 120_000);

afterAll(async () => {
  await receiver.stop();
});

beforeEach(() => receiver.clear());

/** A task root with these files (paths relative to it). */
function taskRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'task-root-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return root;
}

interface Run {
  readonly code: number | null;
  readonly stderr: string;
  /** What the harness wrote to fd 3 after a successful init. */
  readonly report?: {
    result?: unknown;
    exports: string[];
    handlerArity: number;
    streaming?: string;
  };
  /** The init error as the harness reported it (Lambda's `errorType` and `errorMessage`). */
  readonly initError?: { errorType: string; errorMessage: string; cause?: { name: string; message: string } };
}

/**
 * Imports the shim in a fresh process with this task root and original handler, invokes it once
 * with `event` (unless `invoke` is false), and reports what happened.
 */
async function run(
  root: string,
  handler: string | undefined,
  options: { event?: unknown; invoke?: boolean; env?: Record<string, string> } = {},
): Promise<Run> {
  const eventFile = join(mkdtempSync(join(tmpdir(), 'event-')), 'event.json');
  writeFileSync(eventFile, JSON.stringify(options.event ?? httpApiEvent()));
  const harness = `
    const fs = require('fs');
    const started = Date.now();
    import(${JSON.stringify(pathToFileURL(shimFile).href)}).then(
      async (shim) => {
        const report = {
          exports: Object.keys(shim),
          handlerArity: shim.handler.length,
          streaming: shim.handler[Symbol.for('aws.lambda.runtime.handler.streaming')],
        };
        if (${options.invoke !== false}) {
          const context = {
            functionName: 'legacy', awsRequestId: require('crypto').randomUUID(),
            invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:legacy',
            getRemainingTimeInMillis: () => 10000 - (Date.now() - started),
          };
          const event = JSON.parse(fs.readFileSync(${JSON.stringify(eventFile)}, 'utf8'));
          report.result = await shim.handler(event, context);
        }
        fs.writeSync(3, JSON.stringify(report));
        process.exit(0);
      },
      (error) => {
        // What the Lambda runtime reports for a failed init (Runtime.* error types), plus the cause.
        const cause = error && error.cause instanceof Error
          ? { name: error.cause.name, message: error.cause.message } : undefined;
        console.error(JSON.stringify({ errorType: error.name, errorMessage: error.message, cause }));
        process.exit(1);
      },
    );`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...lambdaEnvironment(receiver.endpoint),
    LAMBDA_TASK_ROOT: root,
    ...(handler === undefined ? {} : { [ORIGINAL_HANDLER_ENV]: handler }),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', harness], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill(), 20_000);
    let out = '';
    let stderr = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdout!.resume();
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const errorLine = stderr.split('\n').find((line) => line.startsWith('{"errorType"'));
      resolve({
        code,
        stderr,
        report: out ? JSON.parse(out) : undefined,
        initError: errorLine ? JSON.parse(errorLine) : undefined,
      });
    });
  });
}

/** A request with a sampled W3C parent. */
const request = () => httpApiEvent({ headers: { traceparent: traceparent(TRACE_ID, PARENT_SPAN_ID, true) } });

/** What each fixture handler returns: a response that says which fixture answered. */
const response = (fixture: string) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'x-fixture': fixture },
  body: JSON.stringify({ fixture, items: [1, 2, 3], nested: { ok: true } }),
});

const cjsBody = (fixture: string) => `async (event) => (${JSON.stringify(response(fixture))})`;

describe('the shim loads the original handler as Lambda would and traces it', () => {
  const cases: [string, Record<string, string>, string][] = [
    [
      'CommonJS exports.handler',
      { 'index.js': `exports.handler = ${cjsBody('cjs-exports')};` },
      'index.handler',
    ],
    [
      'CommonJS module.exports = { handler }',
      { 'index.js': `const handler = ${cjsBody('cjs-module-exports')};\nmodule.exports = { handler };` },
      'index.handler',
    ],
    [
      'CommonJS exports built at run time (only in the default export)',
      {
        'index.js': `const api = {};\napi['hand' + 'ler'] = ${cjsBody('cjs-runtime-exports')};\nmodule.exports = api;`,
      },
      'index.handler',
    ],
    ['an .mjs ES module', { 'index.mjs': `export const handler = ${cjsBody('esm-mjs')};` }, 'index.handler'],
    [
      'a .js ES module under "type": "module"',
      {
        'package.json': JSON.stringify({ type: 'module' }),
        'index.js': `export async function handler(event) { return ${JSON.stringify(response('esm-type-module'))}; }`,
      },
      'index.handler',
    ],
    ['a .cjs module', { 'worker.cjs': `exports.handler = ${cjsBody('cjs-extension')};` }, 'worker.handler'],
    [
      'a nested path',
      { 'src/handlers/pay.js': `exports.main = ${cjsBody('nested-path')};` },
      'src/handlers/pay.main',
    ],
    [
      'a nested export',
      { 'app.js': `exports.handlers = { main: ${cjsBody('nested-export')} };` },
      'app.handlers.main',
    ],
    [
      "a package in node_modules (Lambda's last resort)",
      {
        'node_modules/billing/package.json': JSON.stringify({ name: 'billing', main: 'lib/main.js' }),
        'node_modules/billing/lib/main.js': `exports.handler = ${cjsBody('package')};`,
      },
      'billing.handler',
    ],
    [
      'a callback-style handler',
      {
        'index.js': `exports.handler = function (event, context, callback) {
          setImmediate(() => callback(null, ${JSON.stringify(response('callback'))}));
        };`,
      },
      'index.handler',
    ],
  ];

  test.each(cases)('%s', async (_name, files, handler) => {
    const fixture = /"x-fixture":"([^"]+)"/.exec(Object.values(files).join('\n'))![1];
    const result = await run(taskRoot(files), handler, { event: request() });
    expect(result.stderr).not.toMatch(/errorType/);
    expect(result.code).toBe(0);
    expect(result.report!.exports).toEqual(['handler']);
    expect(result.report!.result).toEqual(response(fixture));
    const span = receiver.span('POST /payments');
    expect(span).toMatchObject({ kind: SPAN_KIND.SERVER, traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
    expect(span.attributes).toMatchObject({
      'faas.coldstart': true,
      'faas.name': 'legacy',
      'http.response.status_code': 200,
    });
    expect(span.resource['service.name']).toBe('authorize');
  });

  test('an absolute handler path outside the task root', async () => {
    const elsewhere = taskRoot({ 'lib/fn.js': `exports.handler = ${cjsBody('absolute')};` });
    const result = await run(taskRoot({}), `${elsewhere}/lib/fn.handler`, { event: request() });
    expect(result.code).toBe(0);
    expect(result.report!.result).toEqual(response('absolute'));
  });

  test('a request without a parent starts a new trace; a thrown error is rethrown unchanged', async () => {
    const root = taskRoot({
      'index.js': `exports.handler = async (event) => {
        if (event.rawPath === '/fail') { const e = new Error('card declined'); e.code = 'DECLINED'; throw e; }
        return ${JSON.stringify(response('no-parent'))};
      };`,
    });
    const ok = await run(root, 'index.handler');
    expect(ok.report!.result).toEqual(response('no-parent'));
    const span = receiver.span('POST /payments');
    expect(span.parentSpanId).toBeUndefined();
    expect(span.traceId).not.toBe(TRACE_ID);

    receiver.clear();
    const failed = await run(root, 'index.handler', { event: httpApiEvent({ path: '/fail' }) });
    // The harness does not catch the invocation's error: it is the user's, as thrown.
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/Error: card declined/);
    expect(failed.stderr).toMatch(/code: 'DECLINED'/);
    expect(receiver.spans).toHaveLength(1);
  });

  test('a response-streaming handler is passed through untraced, with a warning', async () => {
    const root = taskRoot({
      'index.mjs': `
        const fn = async (event, responseStream) => responseStream.end('ok');
        fn[Symbol.for('aws.lambda.runtime.handler.streaming')] = 'response';
        export const handler = fn;`,
    });
    const result = await run(root, 'index.handler', { invoke: false });
    expect(result.code).toBe(0);
    expect(result.report!.streaming).toBe('response');
    expect(result.report!.handlerArity).toBe(2);
    expect(result.stderr).toMatch(
      /"source":"cdk-serverless-tracing".*response-streaming handler is not traced/,
    );
  });
});

describe('a handler that cannot be loaded fails the init with a clear error', () => {
  test('no module file: names the handler, the task root and every file tried', async () => {
    const root = taskRoot({ 'other.js': 'exports.handler = async () => 1;' });
    const result = await run(root, 'src/missing.handler');
    expect(result.code).toBe(1);
    expect(result.report).toBeUndefined();
    expect(result.initError!.errorType).toBe('Runtime.ImportModuleError');
    const message = result.initError!.errorMessage;
    expect(message).toContain('cannot find the module of handler "src/missing.handler"');
    expect(message).toContain(`task root ${root}`);
    for (const tried of ['', '.js', '.mjs', '.cjs'])
      expect(message).toContain(`${root}/src/missing${tried},`);
  });

  test('no such export: names the export and lists what the module exports', async () => {
    const root = taskRoot({ 'index.js': 'exports.main = async () => 1; exports.version = 2;' });
    const result = await run(root, 'index.handler');
    expect(result.code).toBe(1);
    expect(result.initError).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
    expect(result.initError!.errorMessage).toBe(
      `cdk-serverless-tracing: handler "index.handler" (task root ${root}): "handler" is undefined or not ` +
        `exported by ${root}/index.js: it has no export "handler" (its exports: main, version)`,
    );
  });

  test('a nested export whose last step is missing', async () => {
    const root = taskRoot({ 'app.mjs': 'export const handlers = { other: async () => 1 };' });
    const result = await run(root, 'app.handlers.main');
    expect(result.initError).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
    expect(result.initError!.errorMessage).toContain(
      `"handlers.main" is undefined or not exported by ${root}/app.mjs: "handlers" has no property "main"`,
    );
  });

  test('an export that is not a function', async () => {
    const root = taskRoot({ 'index.js': "exports.handler = 'index.main';" });
    const result = await run(root, 'index.handler');
    expect(result.code).toBe(1);
    expect(result.initError).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
    expect(result.initError!.errorMessage).toBe(
      `cdk-serverless-tracing: handler "index.handler" (task root ${root}): "handler" of ${root}/index.js ` +
        'is not a function (it is string)',
    );
  });

  test('the environment variable unset', async () => {
    const root = taskRoot({ 'index.js': 'exports.handler = async () => 1;' });
    const result = await run(root, undefined);
    expect(result.code).toBe(1);
    expect(result.initError).toMatchObject({ errorType: 'Runtime.MalformedHandlerName' });
    expect(result.initError!.errorMessage).toBe(
      `cdk-serverless-tracing: ${ORIGINAL_HANDLER_ENV} is not set: the handler shim needs the function's ` +
        `original handler in it (e.g. "index.handler", relative to the task root ${root})`,
    );
  });

  test.each([
    ['index', 'expected <module>.<export>'],
    ['index.', 'expected <module>.<export>'],
    ['src/.handler', 'expected <module>.<export>'],
    ['../shared/index.handler', 'must not contain ".."'],
  ])('a malformed handler %p', async (handler, why) => {
    const root = taskRoot({ 'index.js': 'exports.handler = async () => 1;' });
    const result = await run(root, handler);
    expect(result.initError).toMatchObject({ errorType: 'Runtime.MalformedHandlerName' });
    expect(result.initError!.errorMessage).toContain(
      `handler "${handler}" (${ORIGINAL_HANDLER_ENV}, task root ${root})`,
    );
    expect(result.initError!.errorMessage).toContain(why);
  });

  test('the shim itself as the original handler (never a deadlock)', async () => {
    const result = await run(taskRoot({}), SHIM_HANDLER);
    expect(result.initError).toMatchObject({ errorType: 'Runtime.MalformedHandlerName' });
    expect(result.initError!.errorMessage).toContain(`the handler shim itself`);
  });

  test("the user module's own load error is kept: in the message and as the cause", async () => {
    const root = taskRoot({
      'index.js': "throw new RangeError('DATABASE_URL is missing');\nexports.handler = async () => 1;",
    });
    const result = await run(root, 'index.handler');
    expect(result.code).toBe(1);
    // The error type Lambda would report without the layer: the error's own.
    expect(result.initError).toEqual({
      errorType: 'RangeError',
      errorMessage:
        `cdk-serverless-tracing: loading ${root}/index.js, the module of handler "index.handler" ` +
        `(task root ${root}), failed: RangeError: DATABASE_URL is missing`,
      cause: { name: 'RangeError', message: 'DATABASE_URL is missing' },
    });
  });

  test('a syntax error in the user module', async () => {
    const root = taskRoot({ 'index.mjs': 'export const handler = async () => {;' });
    const result = await run(root, 'index.handler');
    expect(result.initError).toMatchObject({
      errorType: 'Runtime.UserCodeSyntaxError',
      cause: { name: 'SyntaxError' },
    });
    expect(result.initError!.errorMessage).toContain(`loading ${root}/index.mjs`);
  });

  test.each([
    ['index.js', "require('left-pad-that-is-not-installed');"],
    ['index.mjs', "import 'left-pad-that-is-not-installed';"],
  ])('a missing dependency of the user module (%s) names the dependency', async (file, code) => {
    const result = await run(taskRoot({ [file]: code }), 'index.handler');
    expect(result.initError).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    expect(result.initError!.errorMessage).toMatch(
      /Cannot find (module|package) 'left-pad-that-is-not-installed'/,
    );
  });
});

test('the shim imports nothing but Node.js built-ins: it loads from /opt with no node_modules', () => {
  const code = readFileSync(shimFile, 'utf8');
  const specifiers = [...code.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((m) => m[1]);
  expect(specifiers.length).toBeGreaterThan(0);
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  expect(specifiers.filter((s) => !builtins.has(s))).toEqual([]);
});
