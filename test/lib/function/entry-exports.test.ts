import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TracedFunction } from '../../../lib';
import { entryExportProblem } from '../../../lib/function/private/validate-entry';
import { FIXTURES, newStack } from '../../helpers/stack';

// The synth-time check of a TracedFunction's handler export (lib/function/private/validate-entry.ts):
// what esbuild can tell of an ES module entry is an error at construction; what it cannot (a
// CommonJS entry, a star re-export of a package or of CommonJS, a value computed at run time)
// is never an error.

const entry = (name: string) => path.join(FIXTURES, 'entries', name);

describe('an ES module entry without the handler export', () => {
  test('is a synth error naming the function, the file, the export and what it does export', () => {
    const { app, stack } = newStack();
    const file = entry('no-handler.ts');
    new TracedFunction(stack, 'Fn', { entry: file });
    expect(() => app.synth()).toThrow(
      `[TestStack/Fn] TracedFunction TestStack/Fn: entry ${file} has no export "handler" ` +
        '(its exports: main, other): export the handler function as "handler", or set handler to the name ' +
        'it is exported under',
    );
  });

  test('the handler prop names the export checked', () => {
    const ok = newStack();
    new TracedFunction(ok.stack, 'Main', { entry: entry('no-handler.ts'), handler: 'main' });
    expect(() => ok.app.synth()).not.toThrow();
    const typo = newStack();
    new TracedFunction(typo.stack, 'Missing', { entry: entry('no-handler.ts'), handler: 'mian' });
    expect(() => typo.app.synth()).toThrow(/has no export "mian" \(its exports: main, other\)/);
  });

  test.each([
    ['only types', 'type-only.ts', 'handler', 'none'],
    ['a default export, asked by another name', 'default-export.ts', 'handler', 'default'],
    ['a star re-export of a relative module without it', 'star-reexport.ts', 'main', 'handler'],
  ])('%s', (_name, file, exportName, listed) => {
    expect(entryExportProblem(entry(file), exportName)).toBe(
      `entry ${entry(file)} has no export "${exportName}" (its exports: ${listed}): export the handler ` +
        `function as "${exportName}", or set handler to the name it is exported under`,
    );
  });
});

describe('an export that is not a function', () => {
  test.each([
    ['a number literal', 'number-handler.ts', 'handler', 'number'],
    ['a string literal exported under another local name', 'string-alias.mts', 'handler', 'string'],
  ])('%s is a synth error', (_name, file, exportName, kind) => {
    const { app, stack } = newStack();
    new TracedFunction(stack, 'Fn', { entry: entry(file), handler: exportName });
    expect(() => app.synth()).toThrow(
      `entry ${entry(file)} exports "${exportName}" as a ${kind}, not a function, so the function would fail ` +
        `at init: export the handler function as "${exportName}", or set handler to the name it is exported under`,
    );
  });

  test('every primitive kind of literal is named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-'));
    const file = path.join(dir, 'literals.ts');
    const values = ['-1.5e3', "'it\\'s'", '`plain`', 'true', 'null', 'undefined', '10n'];
    fs.writeFileSync(file, values.map((value, i) => `export const e${i} = ${value};`).join('\n'));
    const kinds = values.map(
      (_value, i) => /as an? (\w+), not a function/.exec(entryExportProblem(file, `e${i}`) ?? '')?.[1],
    );
    expect(kinds).toEqual(['number', 'string', 'string', 'boolean', 'null', 'undefined', 'bigint']);
  });
});

describe('entries are parsed together, once per file version', () => {
  test('the functions of an app, each with its own entry file: one result each', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entries-'));
    const { app, stack } = newStack();
    // Same file names in different folders, an ES module, CommonJS, one without the export.
    const files = {
      'a/index.ts': 'export const handler = async (): Promise<number> => 1;',
      'b/index.ts': 'export const main = async (): Promise<number> => 1;',
      'c/index.js': 'exports.main = async () => 1;',
    };
    for (const [name, code] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), code);
    }
    for (const name of Object.keys(files)) {
      new TracedFunction(stack, name.split('/')[0].toUpperCase(), { entry: path.join(dir, name) });
    }
    const error = (() => {
      try {
        app.synth();
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(error.match(/has no export/g)).toHaveLength(1);
    expect(error).toContain(
      `[TestStack/B] TracedFunction TestStack/B: entry ${dir}/b/index.ts has no export "handler"`,
    );
  });
});

describe('what cannot be told at synth is never an error', () => {
  test.each([
    ['a function export', 'star-impl.ts', 'handler'],
    ['a default export', 'default-export.ts', 'default'],
    ['a value computed at run time', 'computed.ts', 'handler'],
    ['a let that is reassigned', 'computed.ts', 'reassigned'],
    ['a literal with a member access', 'computed.ts', 'viaMember'],
    ['a class', 'computed.ts', 'Klass'],
    ['a star re-export of a relative ES module', 'star-reexport.ts', 'handler'],
    ['a star re-export of a package', 'star-package.ts', 'handler'],
    ['a star re-export of a CommonJS module', 'star-cjs.ts', 'handler'],
    ['CommonJS exports.handler', 'cjs-exports.js', 'handler'],
    ['CommonJS module.exports without the handler', 'cjs-module-exports.js', 'handler'],
    ['TypeScript export =', 'export-equals.ts', 'handler'],
  ])('%s', (_name, file, exportName) => {
    expect(entryExportProblem(entry(file), exportName)).toBeUndefined();
  });

  test('an entry esbuild cannot parse is left to the bundling', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-'));
    const file = path.join(dir, 'broken.ts');
    fs.writeFileSync(file, 'export const handler = async () => {;');
    expect(entryExportProblem(file, 'handler')).toBeUndefined();
  });

  test('the file is read again when it changes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-'));
    const file = path.join(dir, 'changing.ts');
    fs.writeFileSync(file, 'export const main = async () => 1;');
    expect(entryExportProblem(file, 'handler')).toMatch(/has no export "handler"/);
    fs.writeFileSync(file, 'export const handler = async () => 1;\nexport const main = 2;');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(entryExportProblem(file, 'handler')).toBeUndefined();
  });
});
