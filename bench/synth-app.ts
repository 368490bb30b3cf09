/**
 * One synth of the "synth scale" benchmark, run as its own process by `bench/synth-scale.ts`:
 *
 *   npx tsx bench/synth-app.ts <traced|plain> <count> <outdir>
 *
 * Builds an App with one Stack and <count> functions (`Fn0`..), all with the same handler file,
 * as `TracedFunction`s or as plain `NodejsFunction`s (NODEJS_22_X, minified, local esbuild
 * bundling), synthesizes it into <outdir> and prints one JSON line: the synth time measured in
 * this process, from before `new App()` to after `synth()` (module loading excluded).
 *
 * Both kinds import the same modules up front, so the start-up of the process is the same for
 * both and only what happens between the two clock reads differs.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { TracedFunction } from '../lib/function/traced-function';

const KINDS = ['traced', 'plain'] as const;
export type SynthKind = (typeof KINDS)[number];

/** The bench's HTTP handler (it moved from `bench/fixtures-handler.ts` to `bench/fixtures/`). */
const HANDLER_CANDIDATES = [
  join(__dirname, 'fixtures', 'http-handler.ts'),
  join(__dirname, 'fixtures-handler.ts'),
];

function handlerEntry(): string {
  const found = HANDLER_CANDIDATES.find((file) => existsSync(file));
  if (!found) {
    throw new Error(`synth-app: no bench handler found (looked for ${HANDLER_CANDIDATES.join(', ')})`);
  }
  return found;
}

function parseArgs(argv: readonly string[]): { kind: SynthKind; count: number; outdir: string } {
  const [kind, countArg, outdir] = argv;
  const count = Number(countArg);
  if (!KINDS.includes(kind as SynthKind) || !Number.isInteger(count) || count < 0 || !outdir) {
    throw new Error('usage: tsx bench/synth-app.ts <traced|plain> <count> <outdir>');
  }
  return { kind: kind as SynthKind, count, outdir: resolve(outdir) };
}

function main(): void {
  const { kind, count, outdir } = parseArgs(process.argv.slice(2));
  const entry = handlerEntry();

  const start = process.hrtime.bigint();
  const app = new App({ outdir });
  const stack = new Stack(app, 'SynthScale');
  for (let i = 0; i < count; i++) {
    const id = `Fn${i}`;
    if (kind === 'traced') {
      new TracedFunction(stack, id, { entry });
    } else {
      new nodejs.NodejsFunction(stack, id, {
        entry,
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        bundling: { minify: true },
      });
    }
  }
  app.synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;

  process.stdout.write(`${JSON.stringify({ ms: Math.round(ms * 10) / 10, functions: count })}\n`);
}

main();
