import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { layerPath, PACKAGE_ROOT } from '../../core/package-paths';

// Where the canary's code comes from. Its handler (`layer/check/canary-handler.ts`) needs AWS SDK
// clients that a construct user does not install (they are devDependencies of this package): the
// published package ships the handler already bundled with them (`dist/canary/index.js`, built at
// prepack by bin/setup/build-bundles.ts with CANARY_ESBUILD_OPTIONS). Run from the repository's
// TypeScript sources (tests, the example app), the construct bundles the handler at synth with the
// same options, from the clients installed here.

/** The folder of the prebuilt canary bundle: one file, `index.js`. */
export const CANARY_BUNDLE_DIR = path.join(PACKAGE_ROOT, 'dist', 'canary');

/** The canary handler's source, bundled at synth when the construct runs from the sources. */
export const CANARY_HANDLER_SOURCE = layerPath('check', 'canary-handler.ts');

/** The AWS SDK clients the canary's handler bundles. */
export const CANARY_SDK_CLIENTS = [
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-xray',
] as const;

/** The canary function's runtime (the bundle's target follows it). */
export const CANARY_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * The esbuild options of the canary's handler, as `NodejsFunction` runs them for
 * `CANARY_BUNDLING` on `CANARY_RUNTIME`: one minified CommonJS file, from the packages' ESM builds,
 * with the AWS SDK clients inside (the canary runs the versions this package pins and tests, not
 * whichever the Lambda runtime ships).
 */
export const CANARY_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
  external: [],
  logLevel: 'warning',
} as const;

/** The same build, as `NodejsFunction` bundling options (from the sources, at synth). */
export const CANARY_BUNDLING: nodejs.BundlingOptions = {
  minify: CANARY_ESBUILD_OPTIONS.minify,
  sourceMap: CANARY_ESBUILD_OPTIONS.sourcemap,
  mainFields: [...CANARY_ESBUILD_OPTIONS.mainFields],
  externalModules: [...CANARY_ESBUILD_OPTIONS.external],
};

/** The canary's code: the prebuilt bundle, or its source bundled at synth. */
export type CanaryCode =
  | { readonly kind: 'prebuilt'; readonly code: lambda.Code; readonly handler: string }
  | {
      readonly kind: 'source';
      readonly entry: string;
      readonly handler: string;
      readonly bundling: nodejs.BundlingOptions;
    };

/**
 * The canary's code. The compiled constructs (the published package) use the prebuilt bundle;
 * the TypeScript sources (this repository) bundle the handler at synth, so a change to
 * `layer/check` is in the next synth. A compiled package without the bundle (built without
 * bin/setup/build-bundles.ts) bundles from the sources too, which needs the AWS SDK clients.
 *
 * @param runningFromSources whether the constructs run as TypeScript (the default: this file's own extension)
 * @param bundleDir where the prebuilt bundle is looked for
 */
export function canaryCode(
  runningFromSources: boolean = __filename.endsWith('.ts'),
  bundleDir: string = CANARY_BUNDLE_DIR,
): CanaryCode {
  if (!runningFromSources && fs.existsSync(path.join(bundleDir, 'index.js'))) {
    return { kind: 'prebuilt', code: lambda.Code.fromAsset(bundleDir), handler: 'index.handler' };
  }
  const missing = missingClients(path.dirname(CANARY_HANDLER_SOURCE));
  if (missing.length > 0) {
    throw new Error(
      `cdk-serverless-tracing: TraceContinuityCanary has no prebuilt handler (${path.join(bundleDir, 'index.js')}) ` +
        `and bundling it from ${CANARY_HANDLER_SOURCE} needs the AWS SDK clients ${missing.join(', ')}; ` +
        `reinstall cdk-serverless-tracing, or install them: npm i -D ${missing.join(' ')}`,
    );
  }
  return { kind: 'source', entry: CANARY_HANDLER_SOURCE, handler: 'handler', bundling: CANARY_BUNDLING };
}

/** The canary's AWS SDK clients that cannot be resolved from a folder. */
export function missingClients(from: string): string[] {
  return CANARY_SDK_CLIENTS.filter((name) => {
    try {
      require.resolve(name, { paths: [from] });
      return false;
    } catch {
      return true;
    }
  });
}
