import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

// The import graph of the project's TypeScript sources, read with the TypeScript compiler's own
// pre-processor: `import`, `import type`, `export … from`, `import()` and `require()` all count.

/** Each file (absolute path) and the project files it imports. */
export type ImportGraph = Map<string, Set<string>>;

/** The `.ts`/`.mts` sources under a folder (no declarations, no node_modules, no cdk.out). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'cdk.out'].includes(entry.name)) out.push(...sourceFiles(file));
    } else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(file);
    }
  }
  return out.sort();
}

/** The file a relative import names, if it is a source file of the project. */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier).replace(/\.(m?js)$/, '');
  return [`${base}.ts`, `${base}.mts`, path.join(base, 'index.ts'), base].find(
    (c) => /\.m?ts$/.test(c) && fs.existsSync(c) && fs.statSync(c).isFile(),
  );
}

/** The imports among the given files, and the files outside them that they import (as targets). */
export function importGraph(files: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const imported of info.importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = resolveImport(file, imported.fileName);
      if (target) targets.add(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/**
 * The import cycles of a graph: each strongly connected component of more than one node (or a
 * node that imports itself), as a list of its nodes. Only nodes of the graph count.
 */
export function findCycles<T>(graph: ReadonlyMap<T, ReadonlySet<T>>): T[][] {
  let next = 0;
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const stack: T[] = [];
  const onStack = new Set<T>();
  const cycles: T[][] = [];
  const visit = (v: T): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: T[] = [];
      let w: T;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) cycles.push(component.reverse());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/**
 * The imports between the folders of `base` (its direct subfolders), as `from --> to` lines.
 * Files directly in `base` (its `index.ts`) are not a folder of their own and are left out.
 */
export function folderEdges(graph: ImportGraph, base: string): Set<string> {
  const folderOf = (file: string): string | undefined => {
    const parts = path.relative(base, file).split(path.sep);
    return parts.length > 1 && !parts[0].startsWith('..') ? parts[0] : undefined;
  };
  const edges = new Set<string>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    for (const target of targets) {
      const to = folderOf(target);
      if (from && to && from !== to) edges.add(`${from} --> ${to}`);
    }
  }
  return edges;
}

/** The `a --> b` arrows of the Mermaid block of a Markdown text that holds the comment `%% <marker>`. */
export function mermaidEdges(markdown: string, marker: string): Set<string> {
  const blocks = [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.split('\n').some((line) => line.trim().startsWith(`%% ${marker}`)));
  if (block === undefined) throw new Error(`no Mermaid block with '%% ${marker}'`);
  const edges = new Set<string>();
  for (const line of block.split('\n')) {
    const arrow = /^\s*([\w-]+)\s*-->\s*([\w-]+)\s*$/.exec(line);
    if (arrow) edges.add(`${arrow[1]} --> ${arrow[2]}`);
  }
  return edges;
}

/** The same graph with folders as nodes, from `a --> b` lines. */
export function graphOfEdges(edges: Iterable<string>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const edge of edges) {
    const [from, to] = edge.split(' --> ');
    if (!graph.has(from)) graph.set(from, new Set());
    if (!graph.has(to)) graph.set(to, new Set());
    graph.get(from)!.add(to);
  }
  return graph;
}
