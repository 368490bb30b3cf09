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

/** How a harness is run besides the variant: extra Node options. */
export interface HarnessOptions {
  /** Node options before the wrapper and the harness (e.g. `--expose-gc`). */
  readonly nodeArgs?: string[];
}

/**
 * Runs a harness in a fresh Node process as the Lambda runtime would start it for `variant`:
 * the wrapper first with `--require` (the standard setup), LAMBDA_TASK_ROOT and _HANDLER set for
 * the Lambda instrumentation. Resolves with the JSON the harness writes on fd 3 and the time from
 * spawn until it arrived. The child's stdout goes to /dev/null, unless the variant writes its
 * spans there (`variant.sink === 'stdout'`): then it is a pipe, drained as it fills, and the lines
 * that carry the exporter's marker are counted (`stdoutExports`, `stdoutBytes`).
 */
export function runHarness<T>(
  harness: string,
  variant: Variant,
  args: string[],
  env: Record<string, string>,
  options: HarnessOptions = {},
): Promise<{ report: T; ms: number; stdoutExports: number; stdoutBytes: number }> {
  const nodeArgs = [
    ...(options.nodeArgs ?? []),
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
  const countStdout = variant.sink === 'stdout';
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, nodeArgs, {
      env: childEnv,
      stdio: ['ignore', countStdout ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let report = '';
    let ms = 0;
    let stderr = '';
    let stdoutExports = 0;
    let stdoutBytes = 0;
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.includes('"__otel_otlp_stdout"')) stdoutExports += 1;
    });
    child.stdio[3]!.on('data', (chunk: Buffer) => {
      if (report === '') ms = Number(process.hrtime.bigint() - start) / 1e6;
      report += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      if (code !== 0 || report === '') {
        reject(new Error(`${variant.name}: ${harness} exited with ${code}\n${stderr}`));
        return;
      }
      if (partial.includes('"__otel_otlp_stdout"')) stdoutExports += 1;
      resolve({ report: JSON.parse(report) as T, ms, stdoutExports, stdoutBytes });
    });
  });
}
