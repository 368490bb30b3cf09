import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// `npm run collector:build`: builds every collector of collector/*.yaml with the OpenTelemetry
// Collector Builder into .collector/bin/<name>. Idempotent: a collector whose manifest, builder
// and Go toolchain are unchanged is not rebuilt (its key sits beside the binary), and a rebuild
// reuses Go's module and build caches. Binaries are never committed (.collector/ is ignored).

/** The builder release that matches the core collector version of the manifests. */
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

/** The builder, installed with `go install` into .collector/tools when missing or of another version. */
function builder(): string {
  const path = join(TOOLS, 'builder');
  const installed = existsSync(path) ? spawnSync(path, ['version'], { encoding: 'utf8' }).stdout : '';
  if (!installed.includes(BUILDER_VERSION)) {
    console.log(`installing the collector builder ${BUILDER_VERSION}`);
    run('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${BUILDER_VERSION}`], {
      ...process.env,
      GOBIN: TOOLS,
    });
  }
  return path;
}

/** The `dist` name and output path of a manifest (the two fields this script reads). */
function dist(manifest: string): { name: string; outputPath: string } {
  const text = readFileSync(manifest, 'utf8');
  const name = /^\s+name:\s*(\S+)/m.exec(text.slice(text.indexOf('dist:')))?.[1];
  const outputPath = /^\s+output_path:\s*(\S+)/m.exec(text)?.[1];
  if (!name || !outputPath) throw new Error(`${manifest}: dist.name and dist.output_path are required`);
  return { name, outputPath: resolve(ROOT, outputPath) };
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
  const tool = builder();
  for (const manifest of manifests) {
    const { name, outputPath } = dist(manifest);
    const binary = join(BIN, name);
    const keyFile = `${binary}.key`;
    const key = createHash('sha256')
      .update(readFileSync(manifest))
      .update(BUILDER_VERSION)
      .update(go)
      .update(`${process.env.GOOS ?? ''}/${process.env.GOARCH ?? ''}`)
      .digest('hex');
    if (existsSync(binary) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) {
      console.log(`${name}: up to date (.collector/bin/${name})`);
      continue;
    }
    const started = Date.now();
    console.log(
      `${name}: building from collector/${name}.yaml (the first build downloads and compiles for minutes)`,
    );
    mkdirSync(outputPath, { recursive: true });
    const build = spawnSync(tool, ['--config', manifest], { cwd: ROOT, stdio: 'inherit' });
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
