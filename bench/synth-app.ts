/**
 * One synth of the "synth scale" benchmark, run as its own process by `bench/synth-scale.ts`:
 *
 *   npx tsx bench/synth-app.ts <traced|plain> <count> <outdir>
 *
 * Builds an App with one Stack and <count> functions (`Fn0`..), each with its own handler file,
 * as `TracedFunction`s or as plain `NodejsFunction`s (NODEJS_22_X, minified, local esbuild
 * bundling), synthesizes it into <outdir> and prints one JSON line: the synth time measured in
 * this process, from before `new App()` to after `synth()` (module loading excluded).
 *
 * Both kinds import the same modules up front, so the start-up of the process is the same for
 * both and only what happens between the two clock reads differs.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { TracedFunction } from '../lib/function/traced-function';

const KINDS = ['traced', 'plain'] as const;
export type SynthKind = (typeof KINDS)[number];

/** The bench's HTTP handler. */
const HANDLER = join(__dirname, 'fixtures', 'http-handler.ts');

/**
 * One handler file per function, as in a real app: CDK caches a bundle by its entry and options,
 * so functions sharing one file would be bundled once and hide the per-function bundling cost.
 * The copies live under the project root (NodejsFunction's default), each with its own marker.
 */
function handlerEntries(kind: SynthKind, count: number): string[] {
  const dir = join(__dirname, '..', '.bench', 'synth-handlers', kind);
  mkdirSync(dir, { recursive: true });
  const source = readFileSync(HANDLER, 'utf8');
  return Array.from({ length: count }, (_, i) => {
    const file = join(dir, `fn${i}.ts`);
    writeFileSync(file, `${source}\nexport const FUNCTION_NUMBER = ${i};\n`);
    return file;
  });
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
  const entries = handlerEntries(kind, count);

  const start = process.hrtime.bigint();
  const app = new App({ outdir });
  const stack = new Stack(app, 'SynthScale');
  for (let i = 0; i < count; i++) {
    const id = `Fn${i}`;
    const entry = entries[i];
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
