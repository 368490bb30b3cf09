import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ACCOUNT, REGION } from './lambda-events';

/** A function as the cloud assembly has it: its bundle and its configuration. */
export interface LambdaBundle {
  /** The function's name (here: `<stack name>-<construct id>`; deployed names are generated). */
  readonly functionName: string;
  /** The asset directory (what Lambda unzips into `/var/task`). */
  readonly codeDir: string;
  /** The handler setting, `index.handler`. */
  readonly handler: string;
  /** The function's environment variables from the template. */
  readonly environment: Readonly<Record<string, string>>;
  /** The function's timeout in seconds. */
  readonly timeoutSeconds: number;
  /** The function's memory in MB. */
  readonly memorySize: number;
  /** The function's log format (`JSON` or `Text`). */
  readonly logFormat: string;
}

/** What one invocation gave back. */
export interface InvocationOutcome {
  /** The handler's result, when it returned. */
  readonly result?: unknown;
  /** What Lambda reports when the handler threw. */
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
  /** The lines the function wrote to stdout (its log). */
  readonly logs: string[];
}

/** Where the AWS SDK and the rest of what Lambda's Node.js runtime provides are found. */
const NODE_MODULES = join(__dirname, '..', '..', 'node_modules');

/**
 * One cold invocation of a bundle, the way Lambda runs it: a fresh Node.js process that loads
 * the handler from the asset directory and is invoked once with `event`, with Lambda's own
 * variables, the template's environment and then `overrides` (local endpoints). The process
 * gets nothing else from this one's environment (no credentials but fake ones, no profile). The
 * AWS SDK comes from this project's node_modules, as the Lambda runtime provides it; the result
 * comes back on fd 3 (stdout is the function's log). Lambda freezes the sandbox after the
 * response; here the process exits, so exports that are "done once written" are not waited for.
 */
export async function invokeBundle(
  bundle: LambdaBundle,
  event: unknown,
  overrides: Record<string, string> = {},
): Promise<InvocationOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-serverless-tracing-event-'));
  try {
    const eventFile = join(dir, 'event.json');
    writeFileSync(eventFile, JSON.stringify(event));
    return await run(bundle, eventFile, overrides);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(
  bundle: LambdaBundle,
  eventFile: string,
  overrides: Record<string, string>,
): Promise<InvocationOutcome> {
  const { file, exportName } = handlerFile(bundle);
  const harness = `
    const started = Date.now();
    const fs = require('fs');
    const done = (outcome) => { fs.writeSync(3, JSON.stringify(outcome)); process.exit(0); };
    (async () => {
      const mod = ${file.endsWith('.mjs') ? 'await import' : 'require'}(${JSON.stringify(file)});
      const handler = mod[${JSON.stringify(exportName)}];
      if (typeof handler !== 'function') throw new Error('no function ${exportName} in ${file}');
      const event = JSON.parse(fs.readFileSync(${JSON.stringify(eventFile)}, 'utf8'));
      const context = {
        callbackWaitsForEmptyEventLoop: true,
        functionName: ${JSON.stringify(bundle.functionName)},
        functionVersion: '$LATEST',
        invokedFunctionArn: ${JSON.stringify(functionArn(bundle.functionName))},
        memoryLimitInMB: ${JSON.stringify(String(bundle.memorySize))},
        awsRequestId: require('crypto').randomUUID(),
        logGroupName: ${JSON.stringify(`/aws/lambda/${bundle.functionName}`)},
        logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
        getRemainingTimeInMillis: () => ${bundle.timeoutSeconds * 1000} - (Date.now() - started),
      };
      return handler(event, context);
    })().then(
      (result) => done({ result: result ?? null }),
      (error) => done({ error: { errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error) } }),
    );`;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_PATH: NODE_MODULES,
    ...lambdaVariables(bundle),
    ...bundle.environment,
    ...overrides,
  };
  // Lambda's Node.js runtime provides the AWS SDK to ES modules too (from nodejs18.x); Node's ES
  // module resolution ignores NODE_PATH, so a resolve hook gives a bare specifier that the
  // bundle's own directories do not have the same fallback (this project's node_modules).
  const nodeArgs = file.endsWith('.mjs') ? ['--import', runtimeModulesHook()] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '-e', harness], {
      cwd: bundle.codeDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    // The function's timeout, and time to start Node.js.
    const timer = setTimeout(() => child.kill(), bundle.timeoutSeconds * 1000 + 5000);
    let out = '';
    let log = '';
    let err = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const logs = `${log}${err}`.split('\n').filter((line) => line !== '');
      if (code !== 0 || !out) {
        reject(
          new Error(
            `${bundle.functionName} did not answer (exit ${code ?? signal}${signal === 'SIGTERM' ? ', timed out' : ''}):\n${err || log}`,
          ),
        );
        return;
      }
      try {
        resolve({ ...(JSON.parse(out) as Omit<InvocationOutcome, 'logs'>), logs });
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/** The variables Lambda sets for every function (fake credentials: nothing reaches AWS). */
function lambdaVariables(bundle: LambdaBundle): Record<string, string> {
  return {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDLOCALRUN',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs_local',
    AWS_LAMBDA_FUNCTION_NAME: bundle.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(bundle.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${bundle.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]local`,
    AWS_LAMBDA_LOG_FORMAT: bundle.logFormat.toUpperCase(),
    LAMBDA_TASK_ROOT: bundle.codeDir,
    TZ: ':UTC',
  };
}

export function functionArn(functionName: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`;
}

/** `dir/file.export` → the file Lambda loads (`.js`, `.mjs` or `.cjs`) and the export. */
function handlerFile(bundle: LambdaBundle): { file: string; exportName: string } {
  const dot = bundle.handler.lastIndexOf('.');
  const base = join(bundle.codeDir, bundle.handler.slice(0, dot));
  const exportName = bundle.handler.slice(dot + 1);
  for (const extension of ['.js', '.mjs', '.cjs']) {
    if (existsSync(base + extension)) return { file: base + extension, exportName };
  }
  throw new Error(
    `${bundle.functionName}: handler '${bundle.handler}' not found in ${dirname(base + '.js')} (.js, .mjs, .cjs)`,
  );
}

/**
 * A `data:` module for `--import` that registers a resolve hook: a bare specifier the ES-module
 * resolution does not find from the importing file is resolved from this project's
 * node_modules, as NODE_PATH does for `require` (and as the Lambda runtime provides its SDK).
 */
function runtimeModulesHook(): string {
  const parent = pathToFileURL(join(NODE_MODULES, 'x.mjs')).href;
  const hooks = [
    'export async function resolve(specifier, context, next) {',
    '  try { return await next(specifier, context); } catch (error) {',
    "    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || /^(\\.|\\/|file:|node:|data:)/.test(specifier)) throw error;",
    `    return next(specifier, { ...context, parentURL: ${JSON.stringify(parent)} });`,
    '  }',
    '}',
  ].join('\n');
  const register = [
    "import { register } from 'node:module';",
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`,
  ].join('\n');
  return `data:text/javascript,${encodeURIComponent(register)}`;
}
