import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// What the package tests share: the repository's files copied to a temporary folder and packed
// there as `npm publish` would (its `prepack` builds lib/ and dist/: never in the repository,
// where compiled files next to the sources would break the other tests), and a consumer's
// node_modules with the package installed from its tarball.

/** The repository's root. */
export const ROOT = join(__dirname, '..', '..');

/** The repository's files (tracked, and new ones git does not ignore), optionally under some paths. */
export function repoFiles(...paths: string[]): string[] {
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', ...paths], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && f !== 'node_modules');
}

/** Copies files of the repository into a folder. */
export function copyRepoFiles(files: string[], to: string): void {
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(ROOT, file), join(to, file));
  }
}

/** A packed copy of the repository. */
export interface Packed {
  /** The folder of the copy (remove it when done). */
  readonly work: string;
  /** The files in the package. */
  readonly files: string[];
  /** The tarball (absent for a dry run). */
  readonly tarball?: string;
}

/**
 * `npm pack` of a copy of the repository (its node_modules linked), in a new temporary folder.
 * The pack runs `prepack` (the build): allow it a few minutes.
 */
export function packRepo(options: { dryRun?: boolean } = {}): Packed {
  const work = mkdtempSync(join(tmpdir(), 'packed-'));
  try {
    const copy = join(work, 'repo');
    copyRepoFiles(repoFiles(), copy);
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const out = execFileSync(
      'npm',
      ['pack', '--json', '--pack-destination', work, ...(options.dryRun ? ['--dry-run'] : [])],
      { cwd: copy, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const [result] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    return {
      work,
      files: result.files.map((f) => f.path),
      ...(options.dryRun ? {} : { tarball: join(work, result.filename) }),
    };
  } catch (error) {
    remove(work);
    throw error;
  }
}

/**
 * A consumer's folder: node_modules as an install of the tarball makes it, the package itself
 * unpacked, every other package linked from the repository's node_modules except those `exclude`
 * names (e.g. the AWS SDK clients a construct user does not install).
 */
export function consumerOf(tarball: string, options: { exclude?: (name: string) => boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'consumer-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  const exclude = options.exclude ?? (() => false);
  const from = join(ROOT, 'node_modules');
  for (const name of readdirSync(from)) {
    if (name === '.bin' || name === 'cdk-serverless-tracing') continue;
    if (name.startsWith('@')) {
      mkdirSync(join(modules, name));
      for (const scoped of readdirSync(join(from, name))) {
        if (!exclude(`${name}/${scoped}`)) symlinkSync(join(from, name, scoped), join(modules, name, scoped));
      }
    } else if (!exclude(name)) {
      symlinkSync(join(from, name), join(modules, name));
    }
  }
  const pkg = join(modules, 'cdk-serverless-tracing');
  mkdirSync(pkg);
  execFileSync('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  return dir;
}

/** Removes a temporary folder. */
export function remove(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
