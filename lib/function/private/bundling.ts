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
 * The library's bundling defaults, the user's bundling props, then what the wrapper needs (the
 * aliases of the user's handler module and of the runtime API).
 */
export function tracedBundling(
  bundling: nodejs.BundlingOptions | undefined,
  handler: string | undefined,
  userEntry: string,
): nodejs.BundlingOptions {
  const user = bundling ?? {};
  const esm = user.format === nodejs.OutputFormat.ESM;
  return {
    ...DEFAULT_BUNDLING,
    mainFields: [...DEFAULT_BUNDLING.mainFields],
    ...(esm && user.banner === undefined ? { banner: ESM_REQUIRE_BANNER } : {}),
    ...user,
    define: {
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
