import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { ESM_REQUIRE_BANNER } from '../../core/constants';
import { HANDLER_EXPORT_DEFINE, RUNTIME_MODULE, runtimeIndexPath, USER_HANDLER_MODULE } from './entry';

/** Bundling defaults of a traced function (the user's bundling props override them). */
export const DEFAULT_BUNDLING = {
  minify: true,
  sourceMap: false,
  // The OpenTelemetry packages' ESM builds tree-shake to a much smaller bundle than their CJS builds.
  mainFields: ['module', 'main'],
} as const;

/**
 * What a bundled CommonJS dependency's `__dirname` and `__filename` mean in an ES-module bundle:
 * the bundle's own directory and file, as in a CommonJS bundle (`import.meta.dirname` and
 * `import.meta.filename`, Node.js 20.11 and later). esbuild replaces only free uses: a module that
 * declares its own `__dirname` keeps it.
 */
export const ESM_PATH_DEFINES: Readonly<Record<string, string>> = {
  __dirname: 'import.meta.dirname',
  __filename: 'import.meta.filename',
};

/**
 * Whether the function's Lambda runtime interface client loads every handler with `import()`
 * (4.x, from nodejs24.x: layer/shim/runtime-client.ts): a CommonJS bundle then goes through
 * Node's CommonJS export lexer at every cold start, an ES module does not.
 */
export function runtimeImportsHandlers(runtime: lambda.Runtime | undefined): boolean {
  const major = /^nodejs(\d+)\.x$/.exec(runtime?.name ?? '')?.[1];
  return major !== undefined && Number(major) >= 24;
}

/**
 * The library's bundling defaults, the user's bundling props, then what the wrapper needs (the
 * aliases of the user's handler module and of the runtime API).
 *
 * The output is an ES module when the user asks for one, and by default on a runtime that
 * `import()`s its handlers (nodejs24.x and later), where it starts about 13 ms sooner than a
 * CommonJS bundle (BENCHMARKS.md, "ES-module harness"); CommonJS otherwise. An ES-module bundle
 * gets a `require` (for bundled CommonJS code that requires a Node.js module or an external
 * package) and the `__dirname` and `__filename` a CommonJS bundle would give its code.
 */
export function tracedBundling(
  bundling: nodejs.BundlingOptions | undefined,
  handler: string | undefined,
  userEntry: string,
  runtime?: lambda.Runtime,
): nodejs.BundlingOptions {
  const user = bundling ?? {};
  const format =
    user.format ?? (runtimeImportsHandlers(runtime) ? nodejs.OutputFormat.ESM : nodejs.OutputFormat.CJS);
  const esm = format === nodejs.OutputFormat.ESM;
  return {
    ...DEFAULT_BUNDLING,
    mainFields: [...DEFAULT_BUNDLING.mainFields],
    format,
    ...(esm && user.banner === undefined ? { banner: ESM_REQUIRE_BANNER } : {}),
    ...user,
    define: {
      ...(esm ? ESM_PATH_DEFINES : {}),
      ...(user.define ?? {}),
      [HANDLER_EXPORT_DEFINE]: JSON.stringify(handler ?? 'handler'),
    },
    esbuildArgs: {
      ...(user.esbuildArgs ?? {}),
      // An absolute path: local bundling runs esbuild on the host (cwd = projectRoot), where it
      // resolves as is. Docker bundling mounts projectRoot at /asset-input, where a host path does
      // not exist, so with Docker bundling the user's entry would not resolve (this library
      // bundles locally with the esbuild package it depends on).
      [`--alias:${USER_HANDLER_MODULE}`]: userEntry,
      // The handler's imports of the runtime API resolve to the very sources the wrapper is built
      // from: one runtime instance (one tracer provider, one propagator) in the bundle.
      [`--alias:${RUNTIME_MODULE}`]: runtimeIndexPath(),
    },
  };
}
