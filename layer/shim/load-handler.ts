import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The names Lambda's Node.js runtime gives the errors of loading a handler; the shim's own errors
 * carry the same ones, so an init failure reads the same with or without the layer.
 */
export const HANDLER_ERROR = {
  MALFORMED: 'Runtime.MalformedHandlerName',
  IMPORT: 'Runtime.ImportModuleError',
  SYNTAX: 'Runtime.UserCodeSyntaxError',
  NOT_FOUND: 'Runtime.HandlerNotFound',
} as const;

/** A failure to find or load the original handler, thrown at init. */
export class HandlerShimError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(`cdk-serverless-tracing: ${message}`, options);
    this.name = name;
  }
}

/** The task root Lambda gives when the environment has none. */
export const DEFAULT_TASK_ROOT = '/var/task';

/** The extensions Lambda's runtime tries, in its order, after the module name itself. */
const EXTENSIONS = ['', '.js', '.mjs', '.cjs'] as const;

/** A handler string taken apart the way Lambda's Node.js runtime does. */
export interface ParsedHandler {
  /** The handler string as given, e.g. `src/handlers/pay.main`. */
  readonly handler: string;
  readonly taskRoot: string;
  /** The absolute directory of the module: the task root joined with the part up to the last `/`. */
  readonly moduleDir: string;
  /** The basename up to its first `.`, e.g. `pay`. */
  readonly moduleName: string;
  /** The rest of the basename split at `.`, e.g. `['main']` or `['handlers', 'main']`. */
  readonly exportPath: readonly string[];
}

/** What the shim needs to find the original handler. */
export interface LoadOptions {
  /** The environment of the function (`process.env`). */
  readonly env: Record<string, string | undefined>;
  /** The variable that holds the original handler string. */
  readonly handlerEnv: string;
  /** The shim's own handler string, which the original must not be. */
  readonly shimHandler: string;
}

/** A function exported by the user's module (what `traced()` wraps). */
export type UserHandler = (...args: never[]) => unknown;

/**
 * Finds, loads and returns the function's original handler, named by `options.handlerEnv`, as
 * Lambda's Node.js runtime would: the module is `<task root>/<dir>/<name>` tried as is, then with
 * `.js`, `.mjs`, `.cjs` (else resolved as a package from the task root), loaded with `import()` so
 * CommonJS, `.mjs` and `.js` under `"type": "module"` all load, and the export path is walked
 * from the module namespace, else from its `default` export (CommonJS `module.exports`).
 *
 * @throws HandlerShimError naming the handler string, the task root and what was missing.
 */
export async function loadOriginalHandler(options: LoadOptions): Promise<UserHandler> {
  const taskRoot = options.env.LAMBDA_TASK_ROOT || DEFAULT_TASK_ROOT;
  const parsed = parseHandler(options.env[options.handlerEnv], taskRoot, options.handlerEnv);
  if (modulePath(parsed) === modulePath(parseHandler(options.shimHandler, taskRoot, options.handlerEnv))) {
    throw new HandlerShimError(
      HANDLER_ERROR.MALFORMED,
      `${options.handlerEnv} is "${parsed.handler}", the handler shim itself: it must be the function's ` +
        `own handler (e.g. "index.handler", relative to the task root ${taskRoot})`,
    );
  }
  const file = findModuleFile(parsed);
  const namespace = await importModule(parsed, file);
  return exportedHandler(parsed, file, namespace);
}

/**
 * Takes a handler string apart: the directory up to the last `/`, then the module name up to the
 * first `.` of the basename, then the export path (Lambda's `parseHandlerString`).
 */
export function parseHandler(
  handler: string | undefined,
  taskRoot: string,
  handlerEnv: string,
): ParsedHandler {
  if (handler === undefined || handler.trim() === '') {
    throw new HandlerShimError(
      HANDLER_ERROR.MALFORMED,
      `${handlerEnv} is not set: the handler shim needs the function's original handler in it ` +
        `(e.g. "index.handler", relative to the task root ${taskRoot})`,
    );
  }
  const malformed = (why: string) =>
    new HandlerShimError(
      HANDLER_ERROR.MALFORMED,
      `handler "${handler}" (${handlerEnv}, task root ${taskRoot}) is malformed: ${why}`,
    );
  if (handler.includes('..')) {
    throw malformed('it must not contain ".." (give a module outside the task root as an absolute path)');
  }
  const slash = handler.lastIndexOf('/');
  const dir = handler.slice(0, slash + 1);
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  const moduleName = dot < 0 ? base : base.slice(0, dot);
  const exportPath = dot < 0 ? [] : base.slice(dot + 1).split('.');
  if (moduleName === '' || exportPath.length === 0 || exportPath.includes('')) {
    throw malformed('expected <module>.<export>, e.g. "index.handler" or "src/handlers/pay.main"');
  }
  return { handler, taskRoot, moduleDir: path.resolve(taskRoot, dir), moduleName, exportPath };
}

function modulePath(parsed: ParsedHandler): string {
  return path.join(parsed.moduleDir, parsed.moduleName);
}

/** The module's file: the first of `<name>`, `<name>.js`, `.mjs`, `.cjs` that is a file, else a package. */
function findModuleFile(parsed: ParsedHandler): string {
  const candidates = EXTENSIONS.map((extension) => modulePath(parsed) + extension);
  const file = candidates.find(isFile);
  if (file) return file;
  const resolved = resolvePackage(parsed);
  if (resolved) return resolved;
  throw new HandlerShimError(
    HANDLER_ERROR.IMPORT,
    `cannot find the module of handler "${parsed.handler}" (task root ${parsed.taskRoot}): ` +
      `tried ${candidates.join(', ')}, and a package "${parsed.moduleName}" from ${parsed.taskRoot}`,
  );
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Lambda's last resort: the module name resolved as Node resolves a package (never a built-in). */
function resolvePackage(parsed: ParsedHandler): string | undefined {
  try {
    const resolved = createRequire(path.join(parsed.taskRoot, 'noop.js')).resolve(parsed.moduleName, {
      paths: [parsed.taskRoot, parsed.moduleDir],
    });
    return path.isAbsolute(resolved) ? resolved : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads the module with `import()`. Its own error is kept as the cause and in the message, under
 * the type Lambda would report: `Runtime.UserCodeSyntaxError` for a syntax error,
 * `Runtime.ImportModuleError` for a module not found, else the error's own name.
 */
async function importModule(parsed: ParsedHandler, file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new HandlerShimError(
      loadErrorType(cause),
      `loading ${file}, the module of handler "${parsed.handler}" (task root ${parsed.taskRoot}), failed: ` +
        messageOf(cause),
      { cause },
    );
  }
}

function loadErrorType(error: unknown): string {
  if (error instanceof SyntaxError) return HANDLER_ERROR.SYNTAX;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return HANDLER_ERROR.IMPORT;
  return error instanceof Error && error.name ? error.name : HANDLER_ERROR.IMPORT;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

interface Walk {
  readonly value: unknown;
  /** How many segments of the export path were found. */
  readonly depth: number;
}

function walk(root: unknown, exportPath: readonly string[]): Walk {
  let value = root;
  for (let depth = 0; depth < exportPath.length; depth++) {
    const next = isIndexable(value) ? (value as Record<string, unknown>)[exportPath[depth]] : undefined;
    if (next === undefined) return { value: undefined, depth };
    value = next;
  }
  return { value, depth: exportPath.length };
}

function isIndexable(value: unknown): boolean {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** The export at the handler's path in the module namespace, else in its `default` export. */
function exportedHandler(
  parsed: ParsedHandler,
  file: string,
  namespace: Record<string, unknown>,
): UserHandler {
  const name = parsed.exportPath.join('.');
  const fromNamespace = walk(namespace, parsed.exportPath);
  const found =
    fromNamespace.value === undefined && isIndexable(namespace.default)
      ? walk(namespace.default, parsed.exportPath)
      : fromNamespace;
  if (found.value === undefined) {
    const deepest = found.depth >= fromNamespace.depth ? found : fromNamespace;
    const missing =
      deepest.depth === 0
        ? `it has no export "${parsed.exportPath[0]}"`
        : `"${parsed.exportPath.slice(0, deepest.depth).join('.')}" has no property "${parsed.exportPath[deepest.depth]}"`;
    throw new HandlerShimError(
      HANDLER_ERROR.NOT_FOUND,
      `handler "${parsed.handler}" (task root ${parsed.taskRoot}): "${name}" is undefined or not exported ` +
        `by ${file}: ${missing} (its exports: ${exportNames(namespace).join(', ') || 'none'})`,
    );
  }
  if (typeof found.value !== 'function') {
    throw new HandlerShimError(
      HANDLER_ERROR.NOT_FOUND,
      `handler "${parsed.handler}" (task root ${parsed.taskRoot}): "${name}" of ${file} is not a function ` +
        `(it is ${found.value === null ? 'null' : typeof found.value})`,
    );
  }
  return found.value as UserHandler;
}

/** The names a module exports: its namespace's, and those of its `default` (CommonJS `module.exports`). */
function exportNames(namespace: Record<string, unknown>): string[] {
  const names = new Set(Object.keys(namespace).filter((key) => key !== 'default'));
  const fallback = namespace.default;
  if (isIndexable(fallback)) {
    for (const key of Object.keys(fallback as object)) names.add(key);
  }
  if ('default' in namespace && (typeof fallback === 'function' || !isIndexable(fallback))) {
    names.add('default');
  }
  return [...names].sort();
}
