import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BuildOptions } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../../core/constants';
import { SHIM_DEFINES, SHIM_FILE, TRACING_LAYER_DIR } from '../../core/layer-constants';
import { layerPath } from '../../core/package-paths';

// The build of the layer's one file, `cdk-serverless-tracing/handler.mjs`: `layer/shim/handler.ts`
// and the runtime it imports, bundled by the esbuild package this library depends on (no Docker).
// Internal to the library: not exported from the package entry.

/** The folder `layer/` of this package (run-time sources, shipped as TypeScript). */
const LAYER_SOURCES = layerPath();

/** The folders whose files go into the shim; their contents are part of its hash. */
const SOURCE_DIRS = ['shim', 'runtime'] as const;

/** Bumped when the way the file is built changes in a way the options below do not show. */
const BUILD_REVISION = '1';

/**
 * The esbuild options of the shim, apart from where it reads and writes: one minified ES module
 * for Node.js 18+, from the OpenTelemetry packages' ESM builds (they tree-shake), with `require`
 * available to the CommonJS code inside, and the AWS SDK left to the Lambda runtime.
 */
export const SHIM_BUILD_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node18',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
  banner: { js: ESM_REQUIRE_BANNER },
  external: ['@aws-sdk/*'],
  define: { ...SHIM_DEFINES },
  logLevel: 'silent',
} as const satisfies BuildOptions;

/** The path of the shim's entry, `layer/shim/handler.ts`. */
export function shimEntryPath(): string {
  const file = path.join(LAYER_SOURCES, 'shim', 'handler.ts');
  if (!fs.existsSync(file)) {
    throw new Error(
      `cdk-serverless-tracing: the layer's handler shim is missing (${file}); reinstall the package`,
    );
  }
  return file;
}

/** The directory given to `Code.fromAsset` (only read when bundling is skipped for the stack). */
export function shimSourceDir(): string {
  return path.dirname(shimEntryPath());
}

let memoizedHash: string | undefined;

/**
 * A hash of everything the shim file is built from, with no absolute path in it, so the same
 * inputs give the same asset hash on any machine, in any stack, bundled or not: the build
 * options, the esbuild version, the sources of `layer/shim` and `layer/runtime`, and the
 * installed versions of the packages they can bundle (the `@opentelemetry/*` dependencies of this
 * package and everything those depend on). Computed once per process.
 */
export function shimAssetHash(): string {
  if (memoizedHash) return memoizedHash;
  const hash = crypto.createHash('sha256');
  hash.update(`cdk-serverless-tracing layer shim ${BUILD_REVISION}\0`);
  hash.update(`${JSON.stringify(SHIM_BUILD_OPTIONS)}\0`);
  hash.update(`esbuild@${esbuildVersion()}\0`);
  for (const dir of SOURCE_DIRS) {
    for (const file of listFiles(path.join(LAYER_SOURCES, dir))) {
      hash.update(`${path.relative(LAYER_SOURCES, file).split(path.sep).join('/')}\0`);
      hash.update(fs.readFileSync(file));
      hash.update('\0');
    }
  }
  for (const pkg of bundledPackageVersions()) hash.update(`${pkg}\0`);
  memoizedHash = hash.digest('hex');
  return memoizedHash;
}

/**
 * Writes `cdk-serverless-tracing/handler.mjs` into `outputDir`. The file is built once per hash
 * and kept in the temporary directory, so more stacks, apps or synths with the same inputs copy
 * it instead of running esbuild again.
 */
export function writeShim(outputDir: string): void {
  const cached = cachedShim(shimAssetHash());
  fs.mkdirSync(path.join(outputDir, TRACING_LAYER_DIR), { recursive: true });
  fs.copyFileSync(cached, path.join(outputDir, TRACING_LAYER_DIR, SHIM_FILE));
}

/** Builds the shim into `outfile` with the esbuild JS API; a failure names each esbuild error. */
export function buildShim(outfile: string): void {
  // esbuild is only loaded when a layer is really built, never by importing the constructs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  try {
    esbuild.buildSync({ ...SHIM_BUILD_OPTIONS, entryPoints: [shimEntryPath()], outfile, write: true });
  } catch (error) {
    // buildSync throws on any error, with the messages in `errors`.
    const errors = (error as { errors?: import('esbuild').Message[] }).errors ?? [];
    const detail = errors.length
      ? errors
          .map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
          .join('; ')
      : String(error);
    throw new Error(`cdk-serverless-tracing: building the tracing layer's handler shim failed: ${detail}`, {
      cause: error,
    });
  }
}

/** The built shim for this hash, from the cache, built into it first when it is not there. */
function cachedShim(hash: string): string {
  const dir = path.join(os.tmpdir(), 'cdk-serverless-tracing-layer', hash);
  const file = path.join(dir, SHIM_FILE);
  if (fs.existsSync(file)) return file;
  // Built beside the cache entry and renamed into place: a concurrent synth never reads half a file.
  const building = `${dir}.building-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(building, { recursive: true });
  try {
    buildShim(path.join(building, SHIM_FILE));
    try {
      fs.renameSync(building, dir);
    } catch (error) {
      // Another process put the same build there first.
      if (!fs.existsSync(file)) throw error;
    }
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
  return file;
}

function esbuildVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('esbuild/package.json') as { version: string }).version;
}

function listFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(full));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

/**
 * `name@version` of every package the shim can bundle: this package's `@opentelemetry/*`
 * dependencies and, transitively, their dependencies and peer dependencies, as installed.
 */
function bundledPackageVersions(): string[] {
  const own = JSON.parse(fs.readFileSync(path.join(LAYER_SOURCES, '..', 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const seen = new Map<string, string>();
  const visit = (name: string, fromDir: string) => {
    const dir = packageDir(name, fromDir);
    if (!dir) {
      seen.set(`${name}@missing`, '');
      return;
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      version?: string;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const key = `${name}@${manifest.version}`;
    if (seen.has(key)) return;
    seen.set(key, dir);
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }))
      visit(dep, dir);
  };
  const root = path.join(LAYER_SOURCES, '..');
  for (const name of Object.keys(own.dependencies ?? {}).filter((n) => n.startsWith('@opentelemetry/'))) {
    visit(name, root);
  }
  return [...seen.keys()].sort();
}

/** The directory of a package as Node would find it from `fromDir` (walking up `node_modules`). */
function packageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', ...name.split('/'));
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
