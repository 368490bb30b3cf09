import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BuildOptions, BuildResult, Metafile } from 'esbuild';

// The synth-time check of a TracedFunction's handler export: the bundled entry
// (`layer/entry/traced-entry.ts`) does `import * as userModule` and calls
// `userModule[<handler>]`, so an entry without that export, or with a value that is not a
// function, would fail only at the function's init in Lambda.
//
// What esbuild can tell, and so what is checked (the library's own esbuild, on the entry alone,
// `bundle: false`):
// - an ES module (esbuild's `metafile.inputs[entry].format === 'esm'`): its exports are exactly
//   `metafile.outputs[..].exports`, and those are what the bundle's namespace holds (esbuild
//   bundles an ES module's namespace from its `export`s only, even if it also assigns
//   `exports.x`). A missing export is an error. `export * from` hides names: then the entry is
//   bundled once more with its relative imports (`packages: 'external'`); a star re-export left
//   (a package) or a CommonJS module among the inputs leaves the check undecided: no error.
// - a non-function export, only where the entry says so itself: `export const <handler> =` a
//   number, string, boolean, `null` or `undefined` literal (or a local such `const` exported
//   under that name). Anything computed (a call, `let`/`var`, an import, an object) is not judged.
// What is not checked: a CommonJS entry (`module.exports = ...`, `exports.handler = ...`,
// TypeScript `export =`: format `cjs`), whose exports only exist when it runs, and an entry
// esbuild cannot parse on its own (bundling reports that). Those give no error here.
//
// Cost: entries are registered when their functions are created and parsed together, in one
// esbuild call, when the first check runs (at synth); the result is kept per file version.

/** What esbuild says about an entry's exports. */
interface EntryFacts {
  /** The names it exports, when they are known (an ES module without hidden re-exports). */
  readonly exports?: readonly string[];
  /** esbuild's output of the entry alone, where literal exports are looked for. */
  readonly code: string;
}

/** The facts of each file version (`path`, mtime, size); undefined when nothing can be told. */
const cache = new Map<string, EntryFacts | undefined>();
const CACHE_LIMIT = 1000;

/** Entries registered and not yet parsed: path → file version. */
const pending = new Map<string, string>();

/** Registers an entry file, to be parsed with the others when the first check runs. */
export function registerEntry(entry: string): void {
  const key = fileKey(entry);
  if (key !== undefined && !cache.has(key)) pending.set(entry, key);
}

/**
 * The problem with the handler export `exportName` of the entry file `entry` (an absolute path),
 * or undefined when there is none or it cannot be told at synth.
 */
export function entryExportProblem(entry: string, exportName: string): string | undefined {
  const facts = entryFacts(entry);
  if (!facts?.exports) return undefined;
  if (!facts.exports.includes(exportName)) {
    const listed = facts.exports.length ? facts.exports.join(', ') : 'none';
    return (
      `entry ${entry} has no export "${exportName}" (its exports: ${listed}): export the handler function ` +
      `as "${exportName}", or set handler to the name it is exported under`
    );
  }
  const kind = literalKind(facts.code, exportName);
  if (kind) {
    return (
      `entry ${entry} exports "${exportName}" as a ${kind}, not a function, so the function would fail at ` +
      `init: export the handler function as "${exportName}", or set handler to the name it is exported under`
    );
  }
  return undefined;
}

function fileKey(entry: string): string | undefined {
  try {
    const stat = fs.statSync(entry);
    return stat.isFile() ? `${entry}\0${stat.mtimeMs}\0${stat.size}` : undefined;
  } catch {
    return undefined;
  }
}

function entryFacts(entry: string): EntryFacts | undefined {
  const key = fileKey(entry);
  if (key === undefined) return undefined;
  if (!cache.has(key)) {
    pending.set(entry, key);
    analysePending();
  }
  return cache.get(key);
}

/** Parses every pending entry: all in one esbuild call, one by one if that call fails. */
function analysePending(): void {
  const batch = [...pending];
  pending.clear();
  if (cache.size + batch.length > CACHE_LIMIT) cache.clear();
  const together = batch.length > 1 ? buildAlone(batch.map(([entry]) => entry)) : undefined;
  for (const [entry, key] of batch) {
    const alone = together ? together.get(entry) : buildAlone([entry])?.get(entry);
    cache.set(key, alone ? facts(entry, alone) : undefined);
  }
}

/** esbuild's view of one entry parsed alone. */
interface Alone {
  readonly format?: string;
  readonly exports: readonly string[];
  readonly code: string;
}

/** Where the outputs would go (nothing is written). */
const OUTDIR = path.join(os.tmpdir(), 'cdk-serverless-tracing-entry-check');

/** Each entry parsed alone (`bundle: false`), in one esbuild call; undefined if it fails. */
function buildAlone(entries: readonly string[]): Map<string, Alone> | undefined {
  // Named entry points: two entries with one file name (`a/index.ts`, `b/index.ts`) never clash.
  const names = new Map(entries.map((entry, i) => [`e${i}`, entry]));
  const result = build({ entryPoints: Object.fromEntries(names), bundle: false, outdir: OUTDIR });
  if (!result) return undefined;
  const code = new Map(result.outputFiles.map((file) => [path.basename(file.path), file.text]));
  const parsed = new Map<string, Alone>();
  for (const [output, meta] of Object.entries(result.metafile.outputs)) {
    const entry = names.get(path.basename(output).replace(/\.[^.]*$/, ''));
    if (!entry || !meta.entryPoint) continue;
    parsed.set(entry, {
      format: result.metafile.inputs[meta.entryPoint]?.format,
      exports: meta.exports,
      code: code.get(path.basename(output)) ?? '',
    });
  }
  return parsed;
}

function facts(entry: string, alone: Alone): EntryFacts | undefined {
  if (alone.format !== 'esm') return undefined;
  if (!STAR_REEXPORT.test(alone.code)) return { exports: alone.exports, code: alone.code };
  // `export * from`: its names are known once the relative modules are bundled in.
  const bundled = build({ entryPoints: [entry], bundle: true, packages: 'external' });
  if (!bundled || !onlyEsm(bundled.metafile) || STAR_REEXPORT.test(bundled.outputFiles[0]?.text ?? '')) {
    return { code: alone.code };
  }
  return { exports: outputExports(bundled.metafile), code: alone.code };
}

type Built = BuildResult<{ metafile: true; write: false }>;

function build(options: BuildOptions): Built | undefined {
  try {
    // esbuild is only loaded when a TracedFunction is checked, never by importing the constructs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    return esbuild.buildSync({
      ...options,
      format: 'esm',
      platform: 'node',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
  } catch {
    // Not parseable (or esbuild missing): the bundling reports it, not this check.
    return undefined;
  }
}

/** Whether every input is an ES module (a CommonJS one hides its names until it runs). */
function onlyEsm(metafile: Metafile): boolean {
  const inputs = Object.values(metafile.inputs);
  return inputs.length > 0 && inputs.every((input) => input.format === 'esm');
}

function outputExports(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) => output.exports);
}

/** A star re-export as esbuild prints it, at the top level (column 0). */
const STAR_REEXPORT = /^export \* from /m;

/** A primitive literal, the whole right-hand side of a declaration, as esbuild prints it. */
const LITERALS: [RegExp, string][] = [
  [
    /^-?(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)$/,
    'number',
  ],
  [/^-?\d[\d_]*n$/, 'bigint'],
  [/^"(?:[^"\\\n]|\\.)*"$|^'(?:[^'\\\n]|\\.)*'$|^`(?:[^`\\$\n]|\\.|\$(?!\{))*`$/, 'string'],
  [/^(?:true|false)$/, 'boolean'],
  [/^null$/, 'null'],
  [/^(?:void 0|undefined)$/, 'undefined'],
];

/**
 * The kind of primitive literal the entry exports as `exported` (in esbuild's output of the entry
 * alone), if it does. esbuild prints top-level statements at column 0 and an
 * `export { local as name }` clause; a name is judged only when its local has exactly one
 * top-level declaration, that declaration is `const <local> = <literal>;` on one line, and no
 * import line names it.
 */
function literalKind(code: string, exported: string): string | undefined {
  const local = exportClause(code).get(exported);
  if (!local) return undefined;
  const name = escape(local);
  const lines = code.split('\n');
  const declares = new RegExp(
    `^(?:export\\s+)?(?:(?:const|let|var)\\s+${name}\\s*=|(?:async\\s+)?function\\s*\\*?\\s*${name}\\s*\\(|class\\s+${name}\\b)`,
  );
  const declarations = lines.filter((line) => declares.test(line));
  const word = new RegExp(`(?<![\\w$])${name}(?![\\w$])`);
  if (declarations.length !== 1 || lines.some((line) => line.startsWith('import') && word.test(line))) {
    return undefined;
  }
  const literal = new RegExp(`^(?:export\\s+)?const\\s+${name}\\s*=\\s*(.*);$`).exec(declarations[0])?.[1];
  return literal === undefined ? undefined : LITERALS.find(([pattern]) => pattern.test(literal.trim()))?.[1];
}

/** Exported name → local name, from `export { a, b as c }` clauses and `export const x =`. */
function exportClause(code: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const clause of code.matchAll(/^export\s*\{([^}]*)\}\s*;?\s*$/gm)) {
    for (const item of clause[1].split(',')) {
      const parts = /^\s*([\w$]+)(?:\s+as\s+([\w$]+))?\s*$/.exec(item);
      if (parts) names.set(parts[2] ?? parts[1], parts[1]);
    }
  }
  for (const declaration of code.matchAll(/^export\s+const\s+([\w$]+)\s*=/gm)) {
    names.set(declaration[1], declaration[1]);
  }
  return names;
}

function escape(name: string): string {
  return name.replace(/\$/g, '\\$');
}
