#!/usr/bin/env node
/**
 * `trace-check`: invokes the entry function of a deployed stack with a known trace id, reads the
 * trace back from X-Ray, Jaeger or Tempo, and compares it with `cdk.out/trace-map.json`.
 * `trace-check --help` for the options; the exit status is 0 (complete), 1 (a hop missing) or 2
 * (the check could not run).
 */
import { main } from './trace-check/cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `trace-check: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
