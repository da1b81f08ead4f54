import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * The house rules of ARCHITECTURE.md, checked: which room (folder of src/) may import which, and
 * no import cycle between files. The rules are read from ARCHITECTURE.md's table ("Rules of the
 * rooms"), so the document and the check cannot drift apart: a room imports only the rooms listed
 * for it there; whatever is not listed is forbidden.
 */
function rulesOfTheRooms(): Record<string, string[]> {
  const text = readFileSync(
    fileURLToPath(new URL('../../ARCHITECTURE.md', import.meta.url)),
    'utf8',
  );
  const section = text.slice(text.indexOf('## Rules of the rooms'));
  const rules: Record<string, string[]> = {};
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    // | room | may import | why |
    if (cells.length !== 5 || cells[1] === 'room' || cells[1]?.startsWith('---')) continue;
    const list = (cell: string | undefined) =>
      (cell ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    for (const room of list(cells[1])) rules[room] = list(cells[2]);
  }
  return rules;
}

const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = rulesOfTheRooms();

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry) ? [path] : [];
  });
}

/** The source file (relative to src/) an import specifier of `file` names: `.js` is `.ts(x)`. */
function resolveImport(file: string, specifier: string): string {
  const path = normalize(join(dirname(file), specifier));
  const base = path.replace(/\.js$/, '');
  const found = [`${base}.ts`, `${base}.tsx`].find((candidate) => existsSync(candidate));
  return relative(SRC, found ?? path);
}

/** Each source file (from src/) with the source files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((match) =>
      resolveImport(file, match[1] as string),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

const roomOf = (file: string): string => file.split('/')[0] as string;
const graph = importGraph();

describe('the house rules', () => {
  test("ARCHITECTURE.md's table names the rooms", () => {
    expect(Object.keys(MAY_IMPORT)).toContain('kernel');
    expect(MAY_IMPORT.kernel).toEqual([]);
    expect(MAY_IMPORT.consume).toContain('claim');
    expect(Object.keys(MAY_IMPORT)).toHaveLength(22);
  });

  test('every room is known', () => {
    const rooms = new Set([...graph.keys()].map(roomOf));
    expect([...rooms].filter((room) => !(room in MAY_IMPORT))).toEqual([]);
  });

  test('a room imports only the rooms it may', () => {
    const broken: string[] = [];
    for (const [file, targets] of graph) {
      const room = roomOf(file);
      for (const target of targets) {
        const other = roomOf(target);
        if (other !== room && !MAY_IMPORT[room]?.includes(other)) {
          broken.push(`${file} -> ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  test('no file imports itself through others (no import cycle)', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = [];
    const visit = (file: string): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      path.push(file);
      for (const target of graph.get(file) ?? []) visit(target);
      path.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file);
    expect(cycles).toEqual([]);
  });
});
