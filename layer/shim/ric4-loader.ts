import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { HandlerParts, importAsRuntime, runtimeError, runtimeRequire, RUNTIME_ERROR } from './runtime-client';

// The handler loading of aws-lambda-ric 4.x, which the nodejs24.x runtime runs (and nodejs22.x
// on Lambda Managed Instances): aws/aws-lambda-nodejs-runtime-interface-client at 4.1.0 (commit
// 90b5b5bc), `src/function/user-function-loader.ts` (`load`), `src/function/module-loader.ts`
// (`loadModule`), `src/function/dynamic-imports.ts` (`tryAwaitImport`),
// `src/function/handler-resolver.ts` (`resolveHandler`, `findIn`) and
// `src/function/callback-deprecation.ts`, ported step by step.
//
// What it does, unlike 3.x: every file is loaded with `import()` (a CommonJS module too: its
// namespace has the names Node detects, and `default` = `module.exports`), only a package found by
// the last resort is `require`d; an extensionless path that exists is `import()`ed, so a directory
// named like the module fails with `ERR_UNSUPPORTED_DIR_IMPORT` even when `app.js` is beside it;
// and a handler not found in the namespace is looked for in its `default` export.

/**
 * Loads the user's module and returns the handler (`UserFunctionLoader.load`; the handler string
 * was validated and parsed by `parseHandlerString`).
 *
 * @throws the RIC's `Runtime.*` errors, or the module's own error as the RIC rethrows it.
 */
export async function loadHandlerV4(
  appRoot: string,
  fullHandlerString: string,
  parts: HandlerParts,
): Promise<(...args: never[]) => unknown> {
  // `parseHandlerString` (src/utils/handler-path.ts L27): "Remove trailing slash".
  const moduleRoot = parts.moduleRoot.replace(/\/$/, '');
  const module = await loadModule(appRoot, moduleRoot, parts.moduleName);
  return resolveHandler(module, parts.handlerName, fullHandlerString);
}

/** `tryAwaitImport` (src/function/dynamic-imports.ts L4-7): the path itself, not a file URL. */
async function tryAwaitImport(file: string, extension?: string): Promise<unknown> {
  const filePath = `${file}${extension || ''}`;
  return existsSync(filePath) ? await importAsRuntime(filePath) : undefined;
}

/**
 * `loadModule` (src/function/module-loader.ts L12-43): the path with no extension, `.js`, `.mjs`,
 * `.cjs`, each `import()`ed if it exists; else the module name `require`d as a package from the
 * task root and the module root. A `SyntaxError` becomes `Runtime.UserCodeSyntaxError` (with its
 * stack), a CommonJS `MODULE_NOT_FOUND` `Runtime.ImportModuleError`; every other error (ESM's
 * `ERR_MODULE_NOT_FOUND` included) is rethrown as is.
 */
async function loadModule(appRoot: string, moduleRoot: string, moduleName: string): Promise<unknown> {
  const fullPathWithoutExtension = path.resolve(appRoot, moduleRoot, moduleName);
  const extensionLookupOrder = ['', '.js', '.mjs', '.cjs'] as const;
  try {
    for (const extension of extensionLookupOrder) {
      const module = await tryAwaitImport(fullPathWithoutExtension, extension);
      if (module) return module;
    }
    const resolvedPath = runtimeRequire.resolve(moduleName, {
      paths: [appRoot, path.join(appRoot, moduleRoot)],
    });
    return runtimeRequire(resolvedPath);
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw runtimeError(4, RUNTIME_ERROR.USER_CODE_SYNTAX, String(err), err.stack);
    } else if (err instanceof Error && (err as { code?: unknown }).code === 'MODULE_NOT_FOUND') {
      throw runtimeError(4, RUNTIME_ERROR.IMPORT_MODULE, String(err));
    } else {
      throw err;
    }
  }
}

/**
 * `resolveHandler` (src/function/handler-resolver.ts L6-32): the path in the module, else in its
 * `default` export; a falsy value is "undefined or not exported", any other non-function "not a
 * function".
 */
function resolveHandler(
  module: unknown,
  handlerName: string,
  fullHandlerString: string,
): (...args: never[]) => unknown {
  let handler = findIn(handlerName, module);
  if (!handler && typeof module === 'object' && module !== null && 'default' in module) {
    handler = findIn(handlerName, (module as Record<string, unknown>).default);
  }
  if (!handler) {
    throw runtimeError(
      4,
      RUNTIME_ERROR.HANDLER_NOT_FOUND,
      `${fullHandlerString} is undefined or not exported`,
    );
  }
  if (typeof handler !== 'function') {
    throw runtimeError(4, RUNTIME_ERROR.HANDLER_NOT_FOUND, `${fullHandlerString} is not a function`);
  }
  return handler as (...args: never[]) => unknown;
}

/** `findIn` (L34-42): only objects are walked into (not functions, unlike 3.x). */
function findIn(handlerName: string, module: unknown): unknown {
  return handlerName
    .split('.')
    .reduce<unknown>(
      (nested, key) =>
        nested && typeof nested === 'object' ? (nested as Record<string, unknown>)[key] : undefined,
      module,
    );
}

/** `CALLBACK_ERROR_NODEJS22` of src/context/constants.ts. */
const CALLBACK_ERROR_NODEJS22 =
  'ERROR: AWS Lambda does not support callback-based function handlers when using Node.js 22 with Managed Instances. To use Managed Instances, modify this function to use a supported handler signature. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

/** `CALLBACK_ERROR_NODEJS24_ABOVE` of src/context/constants.ts. */
const CALLBACK_ERROR_NODEJS24_ABOVE =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

/**
 * `errorOnDeprecatedCallback` (src/function/callback-deprecation.ts L8-24, called at init by
 * `src/index.ts` right after `UserFunctionLoader.load`): a handler declaring three or more
 * parameters that is not streaming fails the init with `Runtime.CallbackHandlerDeprecated`. The
 * runtime sees the shim's wrapper (two parameters), so the shim checks the original handler.
 */
export function errorOnDeprecatedCallbackV4(
  handler: (...args: never[]) => unknown,
  env: Record<string, string | undefined>,
): void {
  if (handler.length >= 3) {
    throw runtimeError(
      4,
      RUNTIME_ERROR.CALLBACK_HANDLER_DEPRECATED,
      env.AWS_EXECUTION_ENV === 'AWS_Lambda_nodejs22.x'
        ? CALLBACK_ERROR_NODEJS22
        : CALLBACK_ERROR_NODEJS24_ABOVE,
    );
  }
}
