import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * The house rules of ARCHITECTURE.md, checked: which room (folder of src/) may import which, and
 * no import cycle between files. A room imports only rooms listed for it here; whatever is not
 * listed is forbidden.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  kernel: [],
  config: ['kernel'],
  db: ['kernel', 'config'],
  schema: ['kernel', 'config', 'db'],
  notify: ['kernel'],
  wake: ['kernel', 'config', 'db', 'notify'],
  observe: ['kernel', 'config', 'db', 'notify', 'wake'],
  claim: ['kernel', 'config', 'db', 'wake'],
  lease: ['kernel', 'config', 'db'],
  settle: ['kernel', 'config', 'db', 'lease'],
  execute: ['kernel', 'config', 'db', 'lease', 'settle', 'observe'],
  produce: ['kernel', 'config', 'db', 'observe', 'execute'],
  admin: ['kernel', 'config', 'db'],
  maintain: ['kernel', 'config', 'db'],
  schedule: ['kernel', 'config', 'db', 'produce'],
  consume: [
    'kernel',
    'config',
    'db',
    'notify',
    'wake',
    'observe',
    'claim',
    'lease',
    'settle',
    'execute',
    'produce',
    'maintain',
    'schedule',
  ],
  'queue.ts': [
    'kernel',
    'config',
    'db',
    'schema',
    'observe',
    'claim',
    'lease',
    'settle',
    'execute',
    'produce',
    'admin',
    'maintain',
    'schedule',
    'consume',
  ],
  'index.ts': [
    'kernel',
    'config',
    'db',
    'schema',
    'observe',
    'claim',
    'lease',
    'settle',
    'execute',
    'produce',
    'admin',
    'maintain',
    'schedule',
    'consume',
    'queue.ts',
  ],
  // Applications of the library: they use its public entry, and a few parts of their own.
  dev: ['kernel', 'index.ts'],
  // pgpulse/dashboard: a web server over a Queue: its statements (db), the admin and schedule
  // views it shows, the event stream, and the public entry.
  dashboard: ['kernel', 'config', 'db', 'admin', 'observe', 'schedule', 'index.ts', 'queue.ts'],
  // pgpulse/testing: the library's public entry, dev/'s servers, and the statement registry for
  // the test clock's one statement (sql/queries/testing/).
  testing: ['kernel', 'db', 'dev', 'index.ts'],
  cli: [
    'kernel',
    'config',
    'db',
    'schema',
    'observe',
    'produce',
    'admin',
    'schedule',
    'dev',
    'dashboard',
    'queue.ts',
  ],
};

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return entry.endsWith('.ts') ? [path] : [];
  });
}

/** Each source file (from src/) with the source files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((match) =>
      relative(SRC, normalize(join(dirname(file), (match[1] as string).replace(/\.js$/, '.ts')))),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

const roomOf = (file: string): string => file.split('/')[0] as string;
const graph = importGraph();

describe('the house rules', () => {
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
