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
  options: {
    event?: unknown;
    invoke?: boolean;
    env?: Record<string, string>;
    runtime?: Runtime;
    /** Invoke as Lambda invokes a response-streaming handler; the result is what was streamed. */
    stream?: boolean;
  } = {},
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
          if (${options.stream === true}) {
            const stream = new (require('stream').PassThrough)();
            let streamed = '';
            stream.on('data', (chunk) => (streamed += chunk));
            await shim.handler(event, stream, context);
            report.result = streamed;
          } else {
            report.result = await shim.handler(event, context);
          }
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
    AWS_EXECUTION_ENV: `AWS_Lambda_${options.runtime ?? 'nodejs22.x'}`,
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

/**
 * The runtimes whose handler loading the shim copies: nodejs18.x–22.x run the runtime interface
 * client 3.x, nodejs24.x the 4.x (see layer/shim/runtime-client.ts).
 */
type Runtime = 'nodejs18.x' | 'nodejs20.x' | 'nodejs22.x' | 'nodejs24.x';
const RIC3: Runtime = 'nodejs22.x';
const RIC4: Runtime = 'nodejs24.x';
const BOTH: [string, Runtime][] = [
  ['RIC 3.x, nodejs22.x', RIC3],
  ['RIC 4.x, nodejs24.x', RIC4],
];

/** What 3.x's `require` writes under its message: the modules that required, and the runtime. */
const RUNTIME_REQUIRE_STACK = '\nRequire stack:\n- /var/runtime/index.mjs';

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
      'CommonJS exports built at run time (4.x: only in the default export)',
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
      'an ES module default export, named "default"',
      { 'index.mjs': `export default ${cjsBody('esm-default')};` },
      'index.default',
    ],
  ];

  describe.each(BOTH)('%s', (_ric, runtime) => {
    test.each(cases)('%s', async (_name, files, handler) => {
      const fixture = /"x-fixture":"([^"]+)"/.exec(Object.values(files).join('\n'))![1];
      const result = await run(taskRoot(files), handler, { event: request(), runtime });
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
      const result = await run(taskRoot({}), `${elsewhere}/lib/fn.handler`, { event: request(), runtime });
      expect(result.code).toBe(0);
      expect(result.report!.result).toEqual(response('absolute'));
    });

    test('a response-streaming handler is traced, its marks kept for the runtime', async () => {
      const root = taskRoot({
        'index.mjs': `
          const fn = async (event, responseStream) => responseStream.end('streamed-ok');
          fn[Symbol.for('aws.lambda.runtime.handler.streaming')] = 'response';
          fn[Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark')] = 1024;
          export const handler = fn;`,
      });
      const result = await run(root, 'index.handler', { event: request(), runtime, stream: true });
      expect(result.code).toBe(0);
      expect(result.report!.streaming).toBe('response');
      // (event, responseStream, context): 4.x does not take it for a callback handler (streaming).
      expect(result.report!.handlerArity).toBe(3);
      expect(result.report!.result).toBe('streamed-ok');
      expect(receiver.span('POST /payments')).toMatchObject({
        traceId: TRACE_ID,
        parentSpanId: PARENT_SPAN_ID,
      });
    });
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
});

describe('callback-style handlers, as each runtime takes them', () => {
  const callbackRoot = () =>
    taskRoot({
      'index.js': `exports.handler = function (event, context, callback) {
        setImmediate(() => callback(null, ${JSON.stringify(response('callback'))}));
      };`,
    });
  const DEPRECATION_WARNING = 'AWS Lambda plans to remove support for callback-based function handlers';

  test.each<Runtime>(['nodejs18.x', 'nodejs20.x', 'nodejs22.x'])(
    '%s (RIC 3.x): traced, with the runtime deprecation warning',
    async (runtime) => {
      const result = await run(callbackRoot(), 'index.handler', { event: request(), runtime });
      expect(result.code).toBe(0);
      expect(result.report!.result).toEqual(response('callback'));
      expect(receiver.span('POST /payments').traceId).toBe(TRACE_ID);
      expect(result.stderr).toContain(DEPRECATION_WARNING);
    },
  );

  test('RIC 3.x: no warning with AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING', async () => {
    const result = await run(callbackRoot(), 'index.handler', {
      invoke: false,
      env: { AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING: '1' },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain(DEPRECATION_WARNING);
  });

  test.each([
    ['a callback handler', 'function (event, context, callback) { callback(null, 1); }'],
    [
      'an async handler declaring three parameters',
      'async function (event, context, callback) { return 1; }',
    ],
  ])('nodejs24.x (RIC 4.x): %s fails the init with Runtime.CallbackHandlerDeprecated', async (_name, fn) => {
    const result = await run(taskRoot({ 'index.js': `exports.handler = ${fn};` }), 'index.handler', {
      runtime: RIC4,
    });
    expect(result.code).toBe(1);
    expect(result.initError).toEqual({
      errorType: 'Runtime.CallbackHandlerDeprecated',
      errorMessage:
        'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. ' +
        'You need to modify this function to use a supported handler signature to use Node.js 24 or later. ' +
        'For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    });
  });

  test('nodejs22.x on Lambda Managed Instances (RIC 4.x) fails it with the Node.js 22 message', async () => {
    const result = await run(callbackRoot(), 'index.handler', {
      runtime: RIC3,
      env: { AWS_LAMBDA_MAX_CONCURRENCY: '8' },
    });
    expect(result.initError).toMatchObject({
      errorType: 'Runtime.CallbackHandlerDeprecated',
      errorMessage: expect.stringContaining(
        'ERROR: AWS Lambda does not support callback-based function handlers when using Node.js 22 with Managed Instances.',
      ),
    });
  });

  test('a response-streaming handler taking three parameters is not a callback handler (RIC 4.x)', async () => {
    const root = taskRoot({
      'index.mjs': `
        const fn = async (event, responseStream, context) => responseStream.end('ok');
        fn[Symbol.for('aws.lambda.runtime.handler.streaming')] = 'response';
        export const handler = fn;`,
    });
    const result = await run(root, 'index.handler', { invoke: false, runtime: RIC4 });
    expect(result.code).toBe(0);
    expect(result.report!.handlerArity).toBe(3);
  });
});

describe('where the runtimes differ, the shim follows the runtime of the function', () => {
  /** The fixture's response if the handler loaded and ran, else the init error. */
  async function outcome(files: Record<string, string>, handler: string, runtime: Runtime) {
    const result = await run(taskRoot(files), handler, { event: request(), runtime });
    return (
      result.initError ?? (result.report!.result as { headers: Record<string, string> }).headers['x-fixture']
    );
  }

  test('a default export holding the handler: found by 4.x only (handler-resolver.ts)', async () => {
    const files = { 'index.mjs': `export default { handler: ${cjsBody('default-object')} };` };
    expect(await outcome(files, 'index.handler', RIC4)).toBe('default-object');
    expect(await outcome(files, 'index.handler', RIC3)).toEqual({
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'index.handler is undefined or not exported',
    });
  });

  test('a CommonJS function export with the handler as a property: found by 3.x only', async () => {
    const files = {
      'index.js': `const fn = () => 1;\nfn.handler = ${cjsBody('function-property')};\nmodule.exports = fn;`,
    };
    expect(await outcome(files, 'index.handler', RIC3)).toBe('function-property');
    expect(await outcome(files, 'index.handler', RIC4)).toEqual({
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'index.handler is undefined or not exported',
    });
  });

  test('a directory named like the module, app.js beside it: 3.x requires app.js, 4.x fails', async () => {
    const files = { 'app/README.md': 'docs', 'app.js': `exports.handler = ${cjsBody('app-js')};` };
    expect(await outcome(files, 'app.handler', RIC3)).toBe('app-js');
    const root = taskRoot(files);
    const result = await run(root, 'app.handler', { runtime: RIC4 });
    expect(result.initError).toEqual({
      errorType: 'Error',
      errorMessage:
        `Directory import '${root}/app' is not supported resolving ES modules imported from /var/runtime/index.mjs\n` +
        `Did you mean to import "${root}/app.js"?`,
    });
  });

  test('a directory named like the module, app.mjs beside it: both fail, each its way', async () => {
    const root = taskRoot({
      'app/README.md': 'docs',
      'app.mjs': `export const handler = ${cjsBody('app-mjs')};`,
    });
    expect((await run(root, 'app.handler', { runtime: RIC3 })).initError).toEqual({
      errorType: 'Runtime.ImportModuleError',
      errorMessage: `Error: Cannot find module '${root}/app'${RUNTIME_REQUIRE_STACK}`,
    });
    expect((await run(root, 'app.handler', { runtime: RIC4 })).initError).toMatchObject({
      errorType: 'Error',
      errorMessage: `Directory import '${root}/app' is not supported resolving ES modules imported from /var/runtime/index.mjs`,
    });
  });

  test('a streaming mark that 3.x takes for one (0) is passed to the runtime unwrapped; 4.x ignores it', async () => {
    const root = taskRoot({
      'index.mjs': `const fn = async () => 1;
        fn[Symbol.for('aws.lambda.runtime.handler.streaming')] = 0;
        export const handler = fn;`,
    });
    // 3.x rejects the mark itself when it reads it from the shim's export; 4.x runs it as usual.
    expect((await run(root, 'index.handler', { invoke: false, runtime: RIC3 })).report!.streaming).toBe(0);
    expect(
      (await run(root, 'index.handler', { invoke: false, runtime: RIC4 })).report!.streaming,
    ).toBeUndefined();
  });

  test.each(BOTH)(
    '%s: a streaming mark other than "response" reaches the runtime unchanged, for it to reject',
    async (_ric, runtime) => {
      const root = taskRoot({
        'index.mjs': `const fn = async (event, stream) => 1;
          fn[Symbol.for('aws.lambda.runtime.handler.streaming')] = 'yes';
          export const handler = fn;`,
      });
      const result = await run(root, 'index.handler', { invoke: false, runtime });
      expect(result.report).toMatchObject({ streaming: 'yes', handlerArity: 2 });
    },
  );

  test('without AWS_EXECUTION_ENV, the version of Node.js decides', async () => {
    const root = taskRoot({
      'index.js': 'exports.handler = function (event, context, callback) { callback(null, 1); };',
    });
    const result = await run(root, 'index.handler', { invoke: false, env: { AWS_EXECUTION_ENV: '' } });
    const major = Number(process.versions.node.split('.')[0]);
    expect(result.initError?.errorType).toBe(major >= 24 ? 'Runtime.CallbackHandlerDeprecated' : undefined);
  });
});

describe("a handler that cannot be loaded fails the init with the runtime's error type and message", () => {
  describe.each(BOTH)('%s', (_ric, runtime) => {
    const fails = async (files: Record<string, string>, handler: string | undefined) => {
      const root = taskRoot(files);
      const result = await run(root, handler, { runtime });
      expect(result.code).toBe(1);
      expect(result.report).toBeUndefined();
      return { root, ...result, initError: result.initError! };
    };

    test('no module file, no package: the module name, from the runtime', async () => {
      const { initError, stderr } = await fails(
        { 'other.js': 'exports.handler = async () => 1;' },
        'src/missing.handler',
      );
      expect(initError).toEqual({
        errorType: 'Runtime.ImportModuleError',
        errorMessage: `Error: Cannot find module 'missing'${RUNTIME_REQUIRE_STACK}`,
      });
      // One line of the shim's before it: the layer loaded the handler, the failure is the handler's.
      expect(stderr).toContain(
        `"message":"the tracing layer's shim loaded the function's handler \\"src/missing.handler\\" ` +
          `(${ORIGINAL_HANDLER_ENV}) as the Lambda runtime does, and it failed as without the layer: Runtime.ImportModuleError"`,
      );
    });

    test.each([
      [
        'no such export',
        { 'index.js': 'exports.main = async () => 1;' },
        'index.handler',
        'index.handler is undefined or not exported',
      ],
      [
        'a falsy export',
        { 'index.js': 'exports.handler = 0;' },
        'index.handler',
        'index.handler is undefined or not exported',
      ],
      [
        'an export that is not a function',
        { 'index.js': "exports.handler = 'index.main';" },
        'index.handler',
        'index.handler is not a function',
      ],
      [
        'a nested export whose last step is missing',
        { 'app.mjs': 'export const handlers = { other: async () => 1 };' },
        'app.handlers.main',
        'app.handlers.main is undefined or not exported',
      ],
      [
        'an empty export name',
        { 'index.js': 'exports.handler = async () => 1;' },
        'index.',
        'index. is undefined or not exported',
      ],
    ])('%s: Runtime.HandlerNotFound', async (_name, files, handler, message) => {
      expect((await fails(files, handler)).initError).toEqual({
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: message,
      });
    });

    test.each([
      ['index', 'Bad handler'],
      ['src/handlers', 'Bad handler'],
      [
        '../shared/index.handler',
        "'../shared/index.handler' is not a valid handler name. Use absolute paths when specifying root directories in handler names.",
      ],
    ])('a malformed handler %p: Runtime.MalformedHandlerName', async (handler, message) => {
      expect((await fails({ 'index.js': 'exports.handler = async () => 1;' }, handler)).initError).toEqual({
        errorType: 'Runtime.MalformedHandlerName',
        errorMessage: message,
      });
    });

    test("the user module's own error passes as it is", async () => {
      const { initError } = await fails(
        { 'index.js': "throw new RangeError('DATABASE_URL is missing');\nexports.handler = async () => 1;" },
        'index.handler',
      );
      expect(initError).toEqual({ errorType: 'RangeError', errorMessage: 'DATABASE_URL is missing' });
    });

    test.each(['index.mjs', 'index.js'])(
      'a syntax error in %s: Runtime.UserCodeSyntaxError',
      async (file) => {
        const { initError } = await fails({ [file]: 'exports.handler = async () => {;' }, 'index.handler');
        expect(initError.errorType).toBe('Runtime.UserCodeSyntaxError');
        expect(initError.errorMessage).toMatch(/^SyntaxError: /);
      },
    );

    test('a missing dependency of an ES module: Node\'s ERR_MODULE_NOT_FOUND, as "Error"', async () => {
      const { root, initError } = await fails(
        { 'index.mjs': "import 'left-pad-that-is-not-installed';" },
        'index.handler',
      );
      expect(initError).toEqual({
        errorType: 'Error',
        errorMessage: `Cannot find package 'left-pad-that-is-not-installed' imported from ${root}/index.mjs`,
      });
    });

    test('a missing dependency of a CommonJS module: Runtime.ImportModuleError with the require stack', async () => {
      const { root, initError } = await fails(
        { 'index.js': "require('left-pad-that-is-not-installed');" },
        'index.handler',
      );
      // 3.x requires the module (so the runtime is in the stack), 4.x imports it.
      const stack =
        runtime === RIC3 ? `\n- ${root}/index.js\n- /var/runtime/index.mjs` : `\n- ${root}/index.js`;
      expect(initError).toEqual({
        errorType: 'Runtime.ImportModuleError',
        errorMessage: `Error: Cannot find module 'left-pad-that-is-not-installed'\nRequire stack:${stack}`,
      });
    });
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

  test('the shim itself as the original handler (never a deadlock)', async () => {
    const result = await run(taskRoot({}), SHIM_HANDLER);
    expect(result.initError).toMatchObject({ errorType: 'Runtime.MalformedHandlerName' });
    expect(result.initError!.errorMessage).toContain(`the handler shim itself`);
  });
});

test('the shim imports nothing but Node.js built-ins: it loads from /opt with no node_modules', () => {
  const code = readFileSync(shimFile, 'utf8');
  const specifiers = [...code.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((m) => m[1]);
  expect(specifiers.length).toBeGreaterThan(0);
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  expect(specifiers.filter((s) => !builtins.has(s))).toEqual([]);
});
