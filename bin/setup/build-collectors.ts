import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// `npm run collector:build`: builds every collector of collector/*.yaml with the OpenTelemetry
// Collector Builder into .collector/bin/<name>. Idempotent: a collector whose manifest, builder
// and Go toolchain are unchanged is not rebuilt (its key sits beside the binary), and a rebuild
// reuses Go's module and build caches. Binaries are never committed (.collector/ is ignored).

/**
 * The builder release of a manifest without a `# builder: vX.Y.Z` line (otelcol-lambda: it
 * matches that manifest's core collector version). A manifest of another release names its own
 * builder in that comment line (collector/otelcol-gateway.yaml).
 */
export const BUILDER_VERSION = 'v0.157.0';

const ROOT = resolve(__dirname, '..', '..');
const MANIFESTS = join(ROOT, 'collector');
const OUT = join(ROOT, '.collector');
const TOOLS = join(OUT, 'tools');
const BIN = join(OUT, 'bin');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { cwd: ROOT, env, encoding: 'utf8' }).trim();
}

function goVersion(): string | undefined {
  try {
    return run('go', ['version']);
  } catch {
    return undefined;
  }
}

/**
 * The builder of a release, installed with `go install` when missing or of another version:
 * BUILDER_VERSION as .collector/tools/builder (where it has always been), any other release as
 * .collector/tools/<version>/builder, so that builders of different releases sit side by side.
 */
function builder(version: string): string {
  const dir = version === BUILDER_VERSION ? TOOLS : join(TOOLS, version);
  const path = join(dir, 'builder');
  const installed = existsSync(path) ? spawnSync(path, ['version'], { encoding: 'utf8' }).stdout : '';
  if (!installed.includes(version)) {
    console.log(`installing the collector builder ${version}`);
    run('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${version}`], {
      ...process.env,
      GOBIN: dir,
    });
  }
  return path;
}

/** The `dist` name and output path of a manifest and its builder release (the fields this script reads). */
function dist(manifest: string): { name: string; outputPath: string; builderVersion: string } {
  const text = readFileSync(manifest, 'utf8');
  const name = /^\s+name:\s*(\S+)/m.exec(text.slice(text.indexOf('dist:')))?.[1];
  const outputPath = /^\s+output_path:\s*(\S+)/m.exec(text)?.[1];
  if (!name || !outputPath) throw new Error(`${manifest}: dist.name and dist.output_path are required`);
  const builderVersion = /^#\s*builder:\s*(v\d+\.\d+\.\d+)\s*$/m.exec(text)?.[1] ?? BUILDER_VERSION;
  return { name, outputPath: resolve(ROOT, outputPath), builderVersion };
}

function main(): void {
  const go = goVersion();
  if (!go) {
    console.error('collector:build: the go command is not on PATH; install Go to build the collectors');
    process.exit(1);
  }
  const manifests = readdirSync(MANIFESTS)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(MANIFESTS, f));
  mkdirSync(BIN, { recursive: true });
  for (const manifest of manifests) {
    const { name, outputPath, builderVersion } = dist(manifest);
    const binary = join(BIN, name);
    const keyFile = `${binary}.key`;
    const key = createHash('sha256')
      .update(readFileSync(manifest))
      .update(builderVersion)
      .update(go)
      .update(`${process.env.GOOS ?? ''}/${process.env.GOARCH ?? ''}`)
      .digest('hex');
    if (existsSync(binary) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) {
      console.log(`${name}: up to date (.collector/bin/${name})`);
      continue;
    }
    const started = Date.now();
    console.log(
      `${name}: building from collector/${name}.yaml with the builder ${builderVersion} (the first build downloads and compiles for minutes)`,
    );
    mkdirSync(outputPath, { recursive: true });
    const build = spawnSync(builder(builderVersion), ['--config', manifest], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) {
      console.error(`collector:build: building ${name} failed (exit ${build.status})`);
      process.exit(1);
    }
    copyFileSync(join(outputPath, name), binary);
    writeFileSync(keyFile, key);
    console.log(`${name}: built in ${((Date.now() - started) / 1000).toFixed(1)} s (.collector/bin/${name})`);
  }
}

main();
