import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// What the shim copies from Lambda's Node.js runtime interface client (RIC),
// aws/aws-lambda-nodejs-runtime-interface-client: which generation of it a runtime runs, its
// error types and messages, and its parsing of a handler string. The two loaders are
// `ric3-loader.ts` and `ric4-loader.ts`.

/**
 * The generation of the RIC a runtime loads handlers with:
 * - 3: `src/UserFunction.js` of aws-lambda-ric 3.x (tags v3.0.0–v3.3.0 and main at da5777a hold
 *   the same loader), which the nodejs18.x, nodejs20.x and nodejs22.x runtimes run;
 * - 4: the TypeScript rewrite, aws-lambda-ric 4.x (read at 4.1.0, commit 90b5b5bc:
 *   `src/function/*.ts`, `src/utils/*.ts`), which nodejs24.x runs, and nodejs22.x only on Lambda
 *   Managed Instances (`src/context/constants.ts`: "This RIC is used by Nodejs24 and above, it's
 *   used by NOdejs22 only for LMI and not OD").
 */
export type RicGeneration = 3 | 4;

/** The RIC of the runtime the shim runs in. */
export interface RuntimeInterfaceClient {
  readonly generation: RicGeneration;
  /** `AWS_EXECUTION_ENV` as Lambda sets it, e.g. `AWS_Lambda_nodejs24.x` (unset outside Lambda). */
  readonly executionEnv?: string;
}

const EXECUTION_ENV = /^AWS_Lambda_nodejs(\d+)\.x$/;

/**
 * The RIC of this runtime, from `AWS_EXECUTION_ENV` (`AWS_Lambda_nodejs<major>.x`); without it
 * (a container image, a test), from the major version of Node.js itself. Lambda Managed Instances
 * set `AWS_LAMBDA_MAX_CONCURRENCY` (RIC 4.1.0 `src/utils/env.ts`, `isMultiConcurrentMode`).
 */
export function runtimeInterfaceClient(
  env: Record<string, string | undefined>,
  nodeVersion: string = process.versions.node,
): RuntimeInterfaceClient {
  const executionEnv = env.AWS_EXECUTION_ENV;
  const match = EXECUTION_ENV.exec(executionEnv ?? '');
  const major = Number(match ? match[1] : nodeVersion.split('.')[0]);
  const managedInstances = env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined;
  return { generation: major >= 24 || (major === 22 && managedInstances) ? 4 : 3, executionEnv };
}

/** The error types of the RIC (3.x `src/Errors.js` L102-128, 4.1.0 `src/utils/errors.ts`). */
export const RUNTIME_ERROR = {
  MALFORMED_HANDLER_NAME: 'Runtime.MalformedHandlerName',
  IMPORT_MODULE: 'Runtime.ImportModuleError',
  USER_CODE_SYNTAX: 'Runtime.UserCodeSyntaxError',
  HANDLER_NOT_FOUND: 'Runtime.HandlerNotFound',
  CALLBACK_HANDLER_DEPRECATED: 'Runtime.CallbackHandlerDeprecated',
} as const;

const v3Classes = new Map<string, new (message: string) => Error>();

/**
 * An error as the RIC of this generation builds it. 3.x: a class per type whose prototype holds
 * the name (`e.prototype.name = \`Runtime.${e.name}\``); 4.x: `this.name = ...` on the error, and
 * a `UserCodeSyntaxError` keeps the stack of the `SyntaxError` it wraps.
 */
export function runtimeError(
  generation: RicGeneration,
  type: string,
  message: string,
  stack?: string,
): Error {
  if (generation === 3) {
    let RuntimeError = v3Classes.get(type);
    if (!RuntimeError) {
      RuntimeError = class extends Error {};
      RuntimeError.prototype.name = type;
      v3Classes.set(type, RuntimeError);
    }
    return new RuntimeError(message);
  }
  const error = new Error(message);
  error.name = type;
  if (stack !== undefined) error.stack = stack;
  return error;
}

/**
 * Where the RIC is in the runtime: its bundle, `/var/runtime/index.mjs`, calls
 * `createRequire(import.meta.url)` (3.x `src/build.js` banner, 4.1.0 `src/utils/cjs-require.ts`).
 * The shim requires from the same place, so `require`'s "Require stack" in an error message names
 * the same module as without the layer (e.g. `Error: Cannot find module 'index'\nRequire stack:\n-
 * /var/runtime/index.mjs`). Nothing is read from that path: `require` resolves absolute paths,
 * and packages from the `paths` the RIC gives.
 */
export const RUNTIME_ENTRY = '/var/runtime/index.mjs';

/** The RIC's `require` (see {@link RUNTIME_ENTRY}). */
export const runtimeRequire = createRequire(RUNTIME_ENTRY);

// The shim's own file: esbuild bundles this module into it as ESM. (The project type-checks the
// layer with CommonJS settings, which reject `import.meta`, TS1343.)
// @ts-expect-error TS1343
const SHIM_FILE: string = fileURLToPath(import.meta.url);

/**
 * `import()` of the user's module, as the RIC's `await import(path)` (3.x `_tryAwaitImport`,
 * 4.x `tryAwaitImport`). When Node's ESM loader cannot resolve that path itself (a directory:
 * `ERR_UNSUPPORTED_DIR_IMPORT`; a `#` or `%` read as URL syntax: `ERR_MODULE_NOT_FOUND`), its
 * message names the importing module: the runtime's `/var/runtime/index.mjs` there, the shim here.
 * That name is put back; an error from inside the user's module names the user's file and is
 * left as it is.
 */
export async function importAsRuntime(filePath: string): Promise<unknown> {
  try {
    return await import(filePath);
  } catch (error) {
    const ours = ` imported from ${SHIM_FILE}`;
    if (error instanceof Error && typeof error.message === 'string' && error.message.includes(ours)) {
      const theirs = ` imported from ${RUNTIME_ENTRY}`;
      error.message = error.message.split(ours).join(theirs);
      if (typeof error.stack === 'string') error.stack = error.stack.split(ours).join(theirs);
    }
    throw error;
  }
}

/** A handler string taken apart as the RIC does. */
export interface HandlerParts {
  /** Everything before the basename, as is (e.g. `src/handlers/`, or `` for `index.handler`). */
  readonly moduleRoot: string;
  /** The basename up to its first `.`. */
  readonly moduleName: string;
  /** The rest of the basename (e.g. `handler`, `handlers.main`; may be empty). */
  readonly handlerName: string;
}

const FUNCTION_EXPR = /^([^.]*)\.(.*)$/;

/**
 * Validates and takes apart a handler string, as both generations do before loading anything:
 * 3.x `src/UserFunction.js` `_throwIfInvalidHandler` (L230-236), `_moduleRootAndHandler`
 * (L40-47) and `_splitHandlerString` (L53-59); 4.1.0 `src/function/user-function-loader.ts`
 * `validateHandlerString` and `src/utils/handler-path.ts` `parseHandlerString` (L12-31), which
 * also drops a trailing `/` of the module root (done by the 4.x loader here).
 */
export function parseHandlerString(generation: RicGeneration, fullHandlerString: string): HandlerParts {
  if (fullHandlerString.includes('..')) {
    throw runtimeError(
      generation,
      RUNTIME_ERROR.MALFORMED_HANDLER_NAME,
      `'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandlerString);
  // The first occurrence, as the RIC takes it (so `a.b/a.b` has the module root '').
  const moduleRoot = fullHandlerString.substring(0, fullHandlerString.indexOf(handlerString));
  const match = handlerString.match(FUNCTION_EXPR);
  if (!match || match.length !== 3) {
    throw runtimeError(generation, RUNTIME_ERROR.MALFORMED_HANDLER_NAME, 'Bad handler');
  }
  return { moduleRoot, moduleName: match[1], handlerName: match[2] };
}

/** `Symbol.for('aws.lambda.runtime.handler.streaming')`, set by `awslambda.streamifyResponse`. */
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
