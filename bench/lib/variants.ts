import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../../lib/core/constants';
import { ESM_PATH_DEFINES } from '../../lib/function/private/bundling';
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
  /**
   * Environment that says whether the invocation is sampled, where it is not the ratio's (X-Ray's
   * _X_AMZN_TRACE_ID); cold starts are sampled. Kept out of `env`, which the harness applies last.
   */
  readonly sampledEnv?: (sampled: boolean) => Record<string, string>;
  /**
   * Where its spans go, to count them: the OTLP receiver, the UDP socket standing for the X-Ray
   * daemon, stdout, or nowhere (the bare handler; the floor posts to the receiver).
   */
  readonly sink: 'otlp' | 'udp' | 'stdout' | 'none';
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

/** Where the peers send what they export: known once the bench's receivers listen. */
export interface PeerEndpoints {
  /** The OTLP/HTTP receiver, `http://127.0.0.1:<port>`. */
  readonly otlp: string;
  /** The UDP socket standing for the X-Ray daemon, `127.0.0.1:<port>`. */
  readonly xrayDaemon: string;
}

/** The package.json of `name` as Node resolves it from `dir` (the nearest node_modules up). */
function packageJson(name: string, dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, 'node_modules', name, 'package.json');
    if (existsSync(file)) return file;
    if (dirname(at) === at) throw new Error(`${name} is not installed (from ${dir})`);
  }
}

/**
 * A version read from the package's package.json in node_modules, as `name` resolves from the
 * project (or from the directory of the package `from`, for a dependency it nests).
 */
export function installedVersion(name: string, from?: string): string {
  const base = from ? dirname(packageJson(from, ROOT)) : ROOT;
  return (JSON.parse(readFileSync(packageJson(name, base), 'utf8')) as { version: string }).version;
}

/** ADOT's register entry (the package's `./register` export), as its Lambda layer's wrapper requires it. */
export const ADOT_PACKAGE = '@aws/aws-distro-opentelemetry-node-autoinstrumentation';
const adotRegister = () => require.resolve(`${ADOT_PACKAGE}/register`, { paths: [ROOT] });

/** The trace header Lambda's runtime sets in _X_AMZN_TRACE_ID, sampled or not. */
export const xrayTraceHeader = (sampled: boolean) =>
  `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=${sampled ? 1 : 0}`;

/**
 * The packages ADOT's register entry loads, from an esbuild metafile of it (not written), each
 * counted once as a layer's node_modules ships it; NaN if esbuild cannot follow it.
 */
let adotBytes: { bytes: number; packages: number } | undefined;
function adotPackageBytes(): { bytes: number; packages: number } {
  adotBytes ??= measureAdot();
  return adotBytes;
}
function measureAdot(): { bytes: number; packages: number } {
  try {
    const { metafile } = buildSync({
      ...LAMBDA_BUNDLING,
      entryPoints: [adotRegister()],
      external: [],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const dirs = packageDirs(metafile!);
    return { bytes: dirs.reduce((sum, dir) => sum + treeBytes(dir), 0), packages: dirs.length };
  } catch {
    return { bytes: Number.NaN, packages: Number.NaN };
  }
}

/** Builds every variant of one handler shape (`http` or `sqs`) into `.bench/`. */
export function buildVariants(shape: 'http' | 'sqs', peers?: PeerEndpoints): Variant[] {
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
  /** What a bundled variant's file adds to the deployment over the bare bundle. */
  const addedOverBare = (file: string) => ({
    addedBytes: statSync(file).size - bareBytes,
    addedGzipBytes: gzipSize(file) - bareGzip,
  });

  // TracedFunction's bundle: the fixed entry, the user's handler by alias, the runtime from source;
  // CommonJS, as for a runtime that requires its handler, or an ES module with the banner and the
  // path defines TracedFunction gives it on nodejs24.x and later, whose runtime import()s every
  // handler (the ES-module bundle: cold start only).
  const tracedBundle = (outfile: string, esm: boolean) =>
    bundle(outfile, {
      entryPoints: [join(ROOT, 'layer', 'entry', 'traced-entry.ts')],
      mainFields: ['module', 'main'],
      ...(esm ? { format: 'esm' as const, banner: { js: ESM_REQUIRE_BANNER } } : {}),
      alias: {
        'cdk-serverless-tracing-user-handler': traced,
        'cdk-serverless-tracing/runtime': join(ROOT, 'layer', 'runtime', 'index.ts'),
      },
      define: { ...(esm ? ESM_PATH_DEFINES : {}), __TRACED_HANDLER_EXPORT__: JSON.stringify('handler') },
    });
  const oursFile = join(OUT, shape, 'ours', 'index.js');
  tracedBundle(oursFile, false);
  const oursEsmFile = join(OUT, shape, 'ours-esm', 'index.mjs');
  tracedBundle(oursEsmFile, true);
  const oursEsm: Variant = {
    name: 'ours-esm',
    label: 'ours (bundled as an ES module, TracedFunction with format ESM)',
    handler: oursEsmFile,
    ...addedOverBare(oursEsmFile),
    sink: 'otlp',
  };

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
    sink: 'otlp',
  };

  // The floor: the bare handler, node:http and one small OTLP/HTTP POST before the response.
  const floorFile = join(OUT, shape, 'floor', 'index.js');
  bundle(floorFile, { entryPoints: [join(ROOT, 'bench', 'fixtures', `floor-${shape}-handler.ts`)] });
  // The same POST written on one kept-alive node:net connection, pipelined: no HTTP client.
  const floorNetFile = join(OUT, shape, 'floor-net', 'index.js');
  bundle(floorNetFile, { entryPoints: [join(ROOT, 'bench', 'fixtures', `floor-net-${shape}-handler.ts`)] });

  // The stdout-exporter peer (lambda-otel-lite's design) and the Powertools Tracer peer, bundled
  // as NodejsFunction bundles a handler.
  const stdoutFile = join(OUT, shape, 'stdout-peer', 'index.js');
  bundle(stdoutFile, { entryPoints: [join(ROOT, 'bench', 'fixtures', `stdout-${shape}-handler.ts`)] });
  const powertoolsFile = join(OUT, shape, 'powertools', 'index.js');
  bundle(powertoolsFile, {
    entryPoints: [join(ROOT, 'bench', 'fixtures', `powertools-${shape}-handler.ts`)],
  });
  const adot = adotPackageBytes();
  const peerVariants: Variant[] = peers
    ? [
        {
          name: 'stdout-peer',
          label: 'stdout exporter (OTel SDK + otlp-stdout-span-exporter, bundled)',
          handler: stdoutFile,
          ...addedOverBare(stdoutFile),
          sink: 'stdout',
        },
        {
          name: 'powertools',
          label: 'Powertools Tracer (X-Ray over UDP, bundled)',
          handler: powertoolsFile,
          env: {
            AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
            POWERTOOLS_SERVICE_NAME: 'bench',
            AWS_XRAY_DAEMON_ADDRESS: peers.xrayDaemon,
          },
          sampledEnv: (sampled) => ({ _X_AMZN_TRACE_ID: xrayTraceHeader(sampled) }),
          ...addedOverBare(powertoolsFile),
          sink: 'udp',
        },
        {
          name: 'adot',
          label: `ADOT JavaScript (unbundled, ${adot.packages} packages)`,
          handler: patchableFile,
          require: adotRegister(),
          // What the ADOT Lambda layer's otel-instrument script exports before the runtime starts
          // (a CommonJS handler on Node < 24: NODE_OPTIONS=--require /opt/wrapper.js, which requires
          // the package's register entry), with Application Signals off and traces over OTLP/HTTP
          // to the local receiver instead of the layer's default UDP to the X-Ray daemon.
          env: {
            OTEL_METRICS_EXPORTER: 'none',
            OTEL_LOGS_EXPORTER: 'none',
            OTEL_TRACES_EXPORTER: 'otlp',
            OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${peers.otlp}/v1/traces`,
            OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'aws-sdk,aws-lambda,http',
            OTEL_PROPAGATORS: 'baggage,tracecontext,xray',
            OTEL_AWS_APPLICATION_SIGNALS_ENABLED: 'false',
            OTEL_RESOURCE_ATTRIBUTES:
              'service.name=bench,cloud.region=eu-west-1,cloud.provider=aws,cloud.platform=aws_lambda,faas.name=bench,faas.version=$LATEST',
          },
          addedBytes: adot.bytes,
          addedGzipBytes: Number.NaN,
          sink: 'otlp',
        },
      ]
    : [];

  return [
    {
      name: 'bare',
      label: 'bare handler',
      handler: bareFile,
      addedBytes: 0,
      addedGzipBytes: 0,
      sink: 'none',
    },
    {
      name: 'floor',
      label: 'floor (bare + node:http + one OTLP/HTTP POST)',
      handler: floorFile,
      ...addedOverBare(floorFile),
      sink: 'otlp',
    },
    {
      name: 'floor-net',
      label: 'floor over node:net (bare + one pipelined OTLP/HTTP POST on a kept-alive connection)',
      handler: floorNetFile,
      ...addedOverBare(floorNetFile),
      sink: 'otlp',
    },
    {
      name: 'ours',
      label: 'ours (bundled, TracedFunction)',
      handler: oursFile,
      ...addedOverBare(oursFile),
      sink: 'otlp',
    },
    ...(shape === 'http' ? [oursEsm, layer] : []),
    {
      name: 'standard',
      label: `standard OpenTelemetry (unbundled, ${stdPackages.length} packages)`,
      handler: patchableFile,
      require: wrapper,
      addedBytes: stdUnbundledBytes,
      addedGzipBytes: Number.NaN,
      sink: 'otlp',
    },
    {
      name: 'standard-bundled',
      label: 'standard OpenTelemetry (bundled with esbuild)',
      handler: patchableFile,
      require: stdBundled,
      addedBytes: statSync(stdBundled).size,
      addedGzipBytes: gzipSize(stdBundled),
      sink: 'otlp',
    },
    ...peerVariants,
  ];
}

/** Whether a file exists (for sanity checks). */
export const exists = existsSync;
