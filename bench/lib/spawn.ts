import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Variant } from './variants';

/** Writes an event to a file a child process reads. */
export function eventFile(event: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-event-')), 'event.json');
  writeFileSync(file, JSON.stringify(event));
  return file;
}

/**
 * Runs a harness in a fresh Node process as the Lambda runtime would start it for `variant`:
 * the wrapper first with `--require` (the standard setup), LAMBDA_TASK_ROOT and _HANDLER set for
 * the Lambda instrumentation. Resolves with the JSON the harness writes on fd 3 and the time from
 * spawn until it arrived.
 */
export function runHarness<T>(
  harness: string,
  variant: Variant,
  args: string[],
  env: Record<string, string>,
): Promise<{ report: T; ms: number }> {
  const nodeArgs = [
    ...(variant.require ? ['--require', variant.require] : []),
    harness,
    variant.handler,
    ...args,
  ];
  const childEnv = {
    PATH: process.env.PATH ?? '',
    LAMBDA_TASK_ROOT: dirname(variant.handler),
    _HANDLER: `${basename(variant.handler, '.js')}.handler`,
    ...env,
    ...variant.env,
  };
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, nodeArgs, {
      env: childEnv,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let report = '';
    let ms = 0;
    let stderr = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => {
      if (report === '') ms = Number(process.hrtime.bigint() - start) / 1e6;
      report += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0 || report === '') {
        reject(new Error(`${variant.name}: ${harness} exited with ${code}\n${stderr}`));
        return;
      }
      resolve({ report: JSON.parse(report) as T, ms });
    });
  });
}
