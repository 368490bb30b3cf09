import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import {
  CANARY_BUNDLE_DIR,
  CANARY_ESBUILD_OPTIONS,
  CANARY_HANDLER_SOURCE,
} from '../../lib/canary/private/canary-code';

// The last step of `npm run build` (so of `prepack`): the parts of the package that need AWS SDK
// clients, which are devDependencies (a construct user does not install them):
// - dist/bin/trace-check.js: the `trace-check` command, one file with its clients inside;
// - dist/canary/index.js: the TraceContinuityCanary's handler, with its clients inside (the
//   construct deploys it as is);
// - dist/check/index.js: `cdk-serverless-tracing/check` (compiled by tsconfig.check.json), whose
//   clients are optional peer dependencies: a missing one fails with the `npm i` line to run.

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

/** The AWS SDK clients of `cdk-serverless-tracing/check` (its optional peer dependencies). */
export const CHECK_SDK_CLIENTS = [
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-xray',
] as const;

function buildCli(): void {
  const outfile = join(DIST, 'bin', 'trace-check.js');
  rmSync(join(DIST, 'bin'), { recursive: true, force: true });
  // Compiled by tsc into dist/check/bin before the command was bundled: never ship it.
  rmSync(join(DIST, 'check', 'bin'), { recursive: true, force: true });
  buildSync({
    entryPoints: [join(ROOT, 'bin', 'trace-check.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    // Whitespace and syntax only: an unexpected error's stack still names the functions.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: false,
    logLevel: 'warning',
  });
  if (!readFileSync(outfile, 'utf8').startsWith('#!/usr/bin/env node\n')) {
    throw new Error(`${outfile} does not start with the shebang of bin/trace-check.ts`);
  }
  chmodSync(outfile, 0o755);
}

function buildCanary(): void {
  rmSync(CANARY_BUNDLE_DIR, { recursive: true, force: true });
  buildSync({
    ...CANARY_ESBUILD_OPTIONS,
    mainFields: [...CANARY_ESBUILD_OPTIONS.mainFields],
    external: [...CANARY_ESBUILD_OPTIONS.external],
    entryPoints: [CANARY_HANDLER_SOURCE],
    outfile: join(CANARY_BUNDLE_DIR, 'index.js'),
  });
}

function writeCheckEntry(): void {
  const dir = join(DIST, 'check');
  mkdirSync(dir, { recursive: true });
  const text = `'use strict';
// cdk-serverless-tracing/check: the trace continuity check (compiled in ./layer/check). Its AWS SDK
// clients are optional peer dependencies of cdk-serverless-tracing: say which to install.
const clients = ${JSON.stringify(CHECK_SDK_CLIENTS)};
const missing = clients.filter((name) => {
  try {
    require.resolve(name);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  throw new Error(
    'cdk-serverless-tracing/check uses the AWS SDK clients ' + clients.join(', ') +
      ' (optional peer dependencies, not installed with cdk-serverless-tracing); missing: ' +
      missing.join(', ') + '. Install them: npm i ' + missing.join(' '),
  );
}
module.exports = require('./layer/check/index.js');
`;
  writeFileSync(join(dir, 'index.js'), text);
}

buildCli();
buildCanary();
writeCheckEntry();
