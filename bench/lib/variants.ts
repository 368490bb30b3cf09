import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { buildShim } from '../../lib/layer/private/shim-build';

export const ROOT = resolve(__dirname, '..', '..');
export const OUT = join(ROOT, '.bench');

/** A way to run a handler: its bundle, and a wrapper to `--require` first (the standard setup). */
export interface Variant {
  readonly name: string;
  readonly label: string;
  /** The handler module file (Lambda's LAMBDA_TASK_ROOT/index.js). */
  readonly handler: string;
  /** A file loaded with `node --require` before the handler, as AWS_LAMBDA_EXEC_WRAPPER does. */
  readonly require?: string;
  /** Environment this variant needs besides the common one (the layer's original handler). */
  readonly env?: Record<string, string>;
  /** Bytes this variant adds to the deployment (function package and layers) over bare. */
  readonly addedBytes: number;
  readonly addedGzipBytes: number;
}

/** esbuild as `NodejsFunction` runs it (and as TracedFunction sets it up). */
const LAMBDA_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  external: ['@aws-sdk/*'],
  logLevel: 'error',
};

function bundle(outfile: string, options: BuildOptions): Metafile {
  mkdirSync(dirname(outfile), { recursive: true });
  return buildSync({ ...LAMBDA_BUNDLING, outfile, metafile: true, ...options }).metafile!;
}

function gzipSize(file: string): number {
  return gzipSync(readFileSync(file)).length;
}

/** Bytes of every file of a package directory (nested packages are counted on their own). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? treeBytes(path) : statSync(path).size;
  }
  return total;
}

/**
 * The packages (whole directories, as a layer's node_modules ships them) that a bundle's inputs
 * come from: what the unbundled standard setup deploys. Each package name counts once, as in a
 * clean install of the layer (this repository nests some versions twice).
 */
function packageDirs(metafile: Metafile): string[] {
  const dirs = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match && !dirs.has(match[2])) dirs.set(match[2], join(ROOT, match[1]));
  }
  return [...dirs.values()];
}

/** Builds every variant of one handler shape (`http` or `sqs`) into `.bench/`. */
export function buildVariants(shape: 'http' | 'sqs'): Variant[] {
  const plain = join(ROOT, 'bench', 'fixtures', `${shape}-handler.ts`);
  const traced = join(
    ROOT,
    'bench',
    'fixtures',
    shape === 'sqs' ? 'sqs-handler-traced.ts' : 'http-handler.ts',
  );
  const bareFile = join(OUT, shape, 'bare', 'index.js');
  bundle(bareFile, { entryPoints: [plain] });
  const bareBytes = statSync(bareFile).size;
  // The Lambda instrumentation replaces the module's `handler` export when it loads it, and the
  // getters esbuild gives a CommonJS bundle's exports cannot be redefined ("TypeError: Cannot
  // redefine property: handler": the standard setup crashes on NodejsFunction's default bundle).
  // Its handler is the same bundle with plain, replaceable exports.
  const patchableFile = join(OUT, shape, 'bare-patchable', 'index.js');
  bundle(patchableFile, {
    entryPoints: [plain],
    footer: { js: 'module.exports = Object.assign({}, module.exports);' },
  });
  const bareGzip = gzipSize(bareFile);

  // TracedFunction's bundle: the fixed entry, the user's handler by alias, the runtime from source.
  const oursFile = join(OUT, shape, 'ours', 'index.js');
  bundle(oursFile, {
    entryPoints: [join(ROOT, 'layer', 'entry', 'traced-entry.ts')],
    mainFields: ['module', 'main'],
    alias: {
      'cdk-serverless-tracing-user-handler': traced,
      'cdk-serverless-tracing/runtime': join(ROOT, 'layer', 'runtime', 'index.ts'),
    },
    define: { __TRACED_HANDLER_EXPORT__: JSON.stringify('handler') },
  });

  // The standard setup bundled: the wrapper and the SDK in one file (the handler stays apart, so
  // the Lambda instrumentation can patch it when it loads).
  const wrapper = join(ROOT, 'bench', 'standard', 'otel-wrapper.cjs');
  const stdBundled = join(OUT, shape, 'standard-bundled', 'wrapper.js');
  const stdMeta = bundle(stdBundled, {
    entryPoints: [wrapper],
    mainFields: ['module', 'main'],
    external: [],
  });
  const stdPackages = packageDirs(stdMeta);
  const stdUnbundledBytes = stdPackages.reduce((sum, dir) => sum + treeBytes(dir), 0);

  // TracingPolicy's layer mode: the bare bundle untouched, the layer's shim as the handler (it
  // import()s the original from LAMBDA_TASK_ROOT and wraps it), built as TracingLayer builds it.
  const shimFile = join(OUT, shape, 'layer', 'handler.mjs');
  mkdirSync(dirname(shimFile), { recursive: true });
  buildShim(shimFile);
  const layer: Variant = {
    name: 'layer',
    label: 'ours (layer, TracingPolicy)',
    handler: shimFile,
    env: { LAMBDA_TASK_ROOT: dirname(bareFile), CDK_SERVERLESS_TRACING_HANDLER: 'index.handler' },
    addedBytes: statSync(shimFile).size,
    addedGzipBytes: gzipSize(shimFile),
  };

  return [
    { name: 'bare', label: 'bare handler', handler: bareFile, addedBytes: 0, addedGzipBytes: 0 },
    {
      name: 'ours',
      label: 'ours (bundled, TracedFunction)',
      handler: oursFile,
      addedBytes: statSync(oursFile).size - bareBytes,
      addedGzipBytes: gzipSize(oursFile) - bareGzip,
    },
    ...(shape === 'http' ? [layer] : []),
    {
      name: 'standard',
      label: `standard OpenTelemetry (unbundled, ${stdPackages.length} packages)`,
      handler: patchableFile,
      require: wrapper,
      addedBytes: stdUnbundledBytes,
      addedGzipBytes: Number.NaN,
    },
    {
      name: 'standard-bundled',
      label: 'standard OpenTelemetry (bundled with esbuild)',
      handler: patchableFile,
      require: stdBundled,
      addedBytes: statSync(stdBundled).size,
      addedGzipBytes: gzipSize(stdBundled),
    },
  ];
}

/** Whether a file exists (for sanity checks). */
export const exists = existsSync;
