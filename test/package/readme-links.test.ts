import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';

// The README is the package's page on npm, where a relative link resolves to nothing and the
// repository's folders are not there: its links must be absolute or to its own headings, and the
// part for users must not send them to files the package does not ship.

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const REPOSITORY_PART = '\n## In this repository\n';

/** The README without its fenced code blocks (their paths are the user's own files). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's and npm's anchor of a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchors = new Set([...prose(README).matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1].replace(/`/g, ''))));

test('every link and image is absolute (https) or to a heading of the README', () => {
  const targets = [...prose(README).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  expect(targets.length).toBeGreaterThan(5);
  const bad = targets.filter(
    (t) => !(t.startsWith('https://') || (t.startsWith('#') && anchors.has(t.slice(1)))),
  );
  expect(bad).toEqual([]);
});

test("the users' part names no folder the package does not ship (those are in the repository's part)", () => {
  const users = prose(README.slice(0, README.indexOf(REPOSITORY_PART)));
  expect(README.indexOf(REPOSITORY_PART)).toBeGreaterThan(0);
  const repoOnly = [...users.matchAll(/`((?:bin|test|bench|collector|docs|\.ci|\.collector)\/[^`]*)`/g)].map(
    (m) => m[1],
  );
  expect(repoOnly).toEqual([]);
});

test("the files the users' part names are in the package", () => {
  const users = prose(README.slice(0, README.indexOf(REPOSITORY_PART)));
  const named = [
    ...new Set(
      [...users.matchAll(/`((?:lib|layer|dist)\/[^`\s]+\.[a-z]+|[A-Z]+\.md|LICENSE)`/g)].map((m) => m[1]),
    ),
  ];
  expect(named).toEqual(expect.arrayContaining(['BENCHMARKS.md', 'layer/collector/distribution.json']));
  // The file list npm would pack (without building: the README names no built file).
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { files: { path: string }[] }[];
  const files = new Set(packed[0].files.map((f) => f.path));
  expect(named.filter((f) => !files.has(f))).toEqual([]);
});
