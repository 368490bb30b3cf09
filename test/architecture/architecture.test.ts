import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import {
  findCycles,
  folderEdges,
  graphOfEdges,
  importGraph,
  mermaidEdges,
  sourceFiles,
} from '../helpers/import-graph';

// The layout docs/architecture.md draws, checked against the imports of the code: no cycle
// between files (type-only imports count), the folders of lib/ and layer/ importing each other
// exactly as drawn, and lib/ reaching layer/ only as an asset path.

const root = path.join(__dirname, '..', '..');
const doc = fs.readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
const graphOf = (...dirs: string[]) => importGraph(dirs.flatMap((d) => sourceFiles(path.join(root, d))));
const relative = (cycles: string[][]) => cycles.map((c) => c.map((f) => path.relative(root, f)));
const sorted = (edges: Set<string>) => [...edges].sort();

describe('no import cycle', () => {
  test.each(['lib', 'layer/runtime', 'layer', 'bin'])('among the files of %s/', (dir) => {
    const graph = graphOf(dir);
    expect(graph.size).toBeGreaterThan(5);
    expect(relative(findCycles(graph))).toEqual([]);
  });

  test('the check finds a cycle made of a type-only import and a value import', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cycle-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport const a = 1;\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "import { a } from './a';\nexport type B = typeof a;\n");
      fs.writeFileSync(path.join(dir, 'c.ts'), "export * from './a';\n");
      const cycles = findCycles(importGraph(sourceFiles(dir)));
      expect(cycles.map((c) => c.map((f) => path.basename(f)).sort())).toEqual([['a.ts', 'b.ts']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the folders import each other as docs/architecture.md draws them', () => {
  test('lib/', () => {
    const drawn = mermaidEdges(doc, 'lib/ folders');
    expect(sorted(folderEdges(graphOf('lib'), path.join(root, 'lib')))).toEqual(sorted(drawn));
    expect(findCycles(graphOfEdges(drawn))).toEqual([]);
  });

  test('layer/', () => {
    const drawn = mermaidEdges(doc, 'layer/ folders');
    expect(sorted(folderEdges(graphOf('layer'), path.join(root, 'layer')))).toEqual(sorted(drawn));
    expect(findCycles(graphOfEdges(drawn))).toEqual([]);
  });

  test('a folder import the picture lacks is reported', () => {
    const drawn = mermaidEdges(
      '```mermaid\nflowchart TD\n  %% lib/ folders\n  a --> b\n```\n',
      'lib/ folders',
    );
    expect(sorted(drawn)).toEqual(['a --> b']);
    expect(findCycles(graphOfEdges(['a --> b', 'b --> a']))).toHaveLength(1);
  });
});

/** Every import specifier of the files under `dir` that reaches outside it, with its file. */
function importsLeaving(dir: string): string[] {
  const base = path.join(root, dir);
  return sourceFiles(base).flatMap((file) =>
    ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles.flatMap(({ fileName }) => {
      const leaves = fileName.startsWith('.')
        ? path.relative(base, path.resolve(path.dirname(file), fileName)).startsWith('..')
        : fileName.startsWith('cdk-serverless-tracing');
      return leaves ? [`${path.relative(root, file)}: ${fileName}`] : [];
    }),
  );
}

test('lib/ and layer/ import nothing of each other or of bin/, test/, bench/', () => {
  // lib/ reaches layer/ only as a path (core/package-paths.ts); layer/entry imports the user's
  // handler through an esbuild alias, the one package-style specifier allowed there.
  expect(importsLeaving('lib')).toEqual([]);
  expect(importsLeaving('layer')).toEqual([
    'layer/entry/traced-entry.ts: cdk-serverless-tracing-user-handler',
  ]);
});

test('no index.ts of lib/ exports a private/ module', () => {
  const indexes = sourceFiles(path.join(root, 'lib')).filter((f) => path.basename(f) === 'index.ts');
  expect(indexes.length).toBeGreaterThan(5);
  const privateExports = indexes.flatMap((file) =>
    ts
      .preProcessFile(fs.readFileSync(file, 'utf8'), true, true)
      .importedFiles.filter(({ fileName }) => /(^|\/)private\//.test(fileName))
      .map(({ fileName }) => `${path.relative(root, file)}: ${fileName}`),
  );
  expect(privateExports).toEqual([]);
});
