import * as fs from 'fs';
import * as path from 'path';

// Tests that need a program this kind of machine does not ship. In CI (CI=true) the program is
// required: .ci/run installs it, and the test fails with a clear message when it is missing.
// Elsewhere the test is skipped with one printed line that names what was skipped and the one
// command that enables it.

/** A program some tests need, and how to get it. */
export interface RequiredProgram {
  /** What it is, for the messages (`Chromium`). */
  readonly name: string;
  /** Where the tests look for it. */
  readonly path: string;
  /** The one command that installs or builds it (`npm run setup:chromium`). */
  readonly enable: string;
}

/** Headless Chromium (Debian's package), which renders the local run's waterfall page. */
export const CHROMIUM: RequiredProgram = {
  name: 'Chromium',
  path: process.env.CHROMIUM ?? '/usr/bin/chromium',
  enable: 'npm run setup:chromium',
};

/** The OpenTelemetry Collector with the Lambda layer's components, built from its Go modules. */
export const OTELCOL_LAMBDA: RequiredProgram = {
  name: 'otelcol-lambda',
  path: path.join(__dirname, '..', '..', '.collector', 'bin', 'otelcol-lambda'),
  enable: 'npm run collector:build',
};

/** The OpenTelemetry Collector with the gateway's components of the contrib image, built from its Go modules. */
export const OTELCOL_GATEWAY: RequiredProgram = {
  name: 'otelcol-gateway',
  path: path.join(__dirname, '..', '..', '.collector', 'bin', 'otelcol-gateway'),
  enable: 'npm run collector:build',
};

/** Whether this run is CI (`.ci/run` runs with CI=true). */
export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** Whether the program is there. */
export function hasProgram(program: RequiredProgram): boolean {
  return fs.existsSync(program.path);
}

/** Throws, naming the program and the command that gets it, when it is missing. */
export function requireProgram(program: RequiredProgram): string {
  if (!hasProgram(program)) {
    throw new Error(
      `${program.name} is needed at ${program.path} and is missing${inCi() ? ' in CI' : ''}; ` +
        `get it with: ${program.enable}`,
    );
  }
  return program.path;
}

/**
 * `test` when the program is there or this is CI (where the test itself fails when it is
 * missing); otherwise `test.skip`, after printing one line that says what is skipped and how to
 * enable it.
 */
export function testNeeding(program: RequiredProgram, what: string): jest.It {
  if (hasProgram(program) || inCi()) {
    return test;
  }
  process.stderr.write(
    `skipped: ${what} (needs ${program.name} at ${program.path}); enable with: ${program.enable}\n`,
  );
  return test.skip;
}
