import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HandlerParts, importAsRuntime, runtimeError, runtimeRequire, RUNTIME_ERROR } from './runtime-client';

// The handler loading of aws-lambda-ric 3.x, which the nodejs18.x, nodejs20.x and nodejs22.x
// runtimes run: `src/UserFunction.js` of aws/aws-lambda-nodejs-runtime-interface-client, the same
// at the tags v3.0.0 to v3.3.0 (a5ae1c2a) and on main (da5777a8), ported step by step (the line
// numbers are those of v3.3.0) so the shim loads what the runtime loads and fails where it fails.
//
// What it does, unlike a plain `import()`: a CommonJS module (extensionless, `.js` outside a
// `"type": "module"` package, `.cjs`, or a package) is loaded with `require`, and the export path
// is walked from `module.exports`; only `.js` under `"type": "module"` and `.mjs` are `import()`ed.
// An extensionless path that exists is `require`d, so a directory `app/` with `app.js` beside it
// loads `app.js` (Node's `require` tries the file first), and a directory alone loads its
// `index.js` or its package `main`. There is no fallback to a `default` export.

/**
 * Loads the user's module and returns the value at the handler path (`load`, L288-308).
 *
 * @throws the RIC's `Runtime.*` errors, or the module's own error as the RIC rethrows it.
 */
export async function loadHandlerV3(
  appRoot: string,
  fullHandlerString: string,
  parts: HandlerParts,
): Promise<unknown> {
  const userApp = await loadUserApp(appRoot, parts.moduleRoot, parts.moduleName);
  const handlerFunc = resolveHandler(userApp, parts.handlerName);
  if (!handlerFunc) {
    throw runtimeError(
      3,
      RUNTIME_ERROR.HANDLER_NOT_FOUND,
      `${fullHandlerString} is undefined or not exported`,
    );
  }
  if (typeof handlerFunc !== 'function') {
    throw runtimeError(3, RUNTIME_ERROR.HANDLER_NOT_FOUND, `${fullHandlerString} is not a function`);
  }
  return handlerFunc;
}

/** `_resolveHandler` (L64-68): any truthy value is walked into, functions and primitives too. */
function resolveHandler(object: unknown, nestedProperty: string): unknown {
  return nestedProperty
    .split('.')
    .reduce<unknown>((nested, key) => nested && (nested as Record<string, unknown>)[key], object);
}

/** `_tryRequireFile` (L70-74). */
function tryRequireFile(file: string, extension?: string): unknown {
  const filePath = file + (extension || '');
  return existsSync(filePath) ? runtimeRequire(filePath) : undefined;
}

/** `_tryAwaitImport` (L76-85): the path itself, not a file URL, as the RIC passes it. */
async function tryAwaitImport(file: string, extension?: string): Promise<unknown> {
  const filePath = file + (extension || '');
  if (existsSync(filePath)) {
    return await importAsRuntime(filePath);
  }
  return undefined;
}

/**
 * `_hasFolderPackageJsonTypeModule` (L87-123): the nearest `package.json` upwards, stopping at a
 * `node_modules` folder; one that cannot be parsed counts as not `"type": "module"` (with the
 * RIC's warning), one that parses to a falsy value is skipped.
 */
function hasFolderPackageJsonTypeModule(folder: string): boolean {
  if (folder.endsWith('/node_modules')) {
    return false;
  }
  const pj = path.join(folder, '/package.json');
  if (existsSync(pj)) {
    try {
      const pkg = JSON.parse(String(readFileSync(pj))) as { type?: unknown } | null;
      if (pkg) {
        return pkg.type === 'module';
      }
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  if (folder === '/') {
    return false;
  }
  return hasFolderPackageJsonTypeModule(path.resolve(folder, '..'));
}

/** `_hasPackageJsonTypeModule` (L125-131): only asked when `<file>.js` exists. */
function hasPackageJsonTypeModule(file: string): boolean {
  const jsPath = file + '.js';
  return existsSync(jsPath) ? hasFolderPackageJsonTypeModule(path.resolve(path.dirname(jsPath))) : false;
}

/**
 * `_tryRequire` (L138-194): the path as is with `require`, then `.js` with `require` unless under
 * `"type": "module"`, then `.js` (`"type": "module"`) and `.mjs` with `import()`, `.cjs` with
 * `require`, and last the module name resolved as a package from the task root and the module
 * root (the latter as given, relative to the working directory, which Lambda sets to the task
 * root). A module whose `module.exports` is falsy counts as not loaded, as in the RIC.
 */
async function tryRequire(appRoot: string, moduleRoot: string, module: string): Promise<unknown> {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, module);

  const extensionless = tryRequireFile(lambdaStylePath);
  if (extensionless) {
    return extensionless;
  }

  const pjHasModule = hasPackageJsonTypeModule(lambdaStylePath);
  if (!pjHasModule) {
    const loaded = tryRequireFile(lambdaStylePath, '.js');
    if (loaded) {
      return loaded;
    }
  }

  const loaded =
    (pjHasModule && (await tryAwaitImport(lambdaStylePath, '.js'))) ||
    (await tryAwaitImport(lambdaStylePath, '.mjs')) ||
    tryRequireFile(lambdaStylePath, '.cjs');
  if (loaded) {
    return loaded;
  }

  const nodeStylePath = runtimeRequire.resolve(module, { paths: [appRoot, moduleRoot] });
  return runtimeRequire(nodeStylePath);
}

/**
 * `_loadUserApp` (L202-228): a `SyntaxError` becomes `Runtime.UserCodeSyntaxError`, a CommonJS
 * `MODULE_NOT_FOUND` becomes `Runtime.ImportModuleError` (message: the error as a string); every
 * other error, ESM's `ERR_MODULE_NOT_FOUND` and `ERR_UNSUPPORTED_DIR_IMPORT` included, is
 * rethrown as is. (Reading `.code` of a thrown `null` throws a `TypeError`, in the RIC too.)
 */
async function loadUserApp(appRoot: string, moduleRoot: string, module: string): Promise<unknown> {
  try {
    return await tryRequire(appRoot, moduleRoot, module);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw runtimeError(3, RUNTIME_ERROR.USER_CODE_SYNTAX, String(e));
    } else if (
      (e as { code?: unknown }).code !== undefined &&
      (e as { code?: unknown }).code === 'MODULE_NOT_FOUND'
    ) {
      throw runtimeError(3, RUNTIME_ERROR.IMPORT_MODULE, String(e));
    } else {
      throw e;
    }
  }
}

/**
 * The warning 3.x gives at init for a callback-style handler (main at da5777a:
 * `src/WarningForCallbackHandlers.js` L8-24, called from `src/index.mjs` L47-48 with
 * `getHandlerMetadata` of `src/UserFunction.js`): three parameters, not an `async function`, not
 * streaming, unless `AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING` is set. The runtime sees the
 * shim's wrapper (two parameters), so the shim gives it for the original handler.
 */
export function warnOnDeprecatedCallbackV3(
  handler: (...args: never[]) => unknown,
  env: Record<string, string | undefined>,
): void {
  if (
    env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined &&
    handler.length === 3 &&
    !isAsync(handler)
  ) {
    console.warn(
      `AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. You will need to update this function to use an async handler to use Node.js 24 or later. For more information and to provide feedback on this change, see https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. To disable this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.`,
    );
  }
}

/** `_isAsync` of `src/UserFunction.js` on main (L314-325). */
function isAsync(handler: (...args: never[]) => unknown): boolean {
  try {
    return Boolean(handler && handler.constructor && handler.constructor.name === 'AsyncFunction');
  } catch {
    return false;
  }
}
