import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { latestVersion, migrations, parseCompatibleWith } from '../../src/db/migrations.js';
import { QUERY_NAMES, queriesFor, queryPath, SQL_DIR } from '../../src/db/queries.js';

const queryDir = join(SQL_DIR, 'queries');

describe('the query registry', () => {
  test('names exactly the files in the stage folders of sql/queries, each where it says', () => {
    const files = readdirSync(queryDir)
      .filter((entry) => statSync(join(queryDir, entry)).isDirectory())
      .flatMap((stage) =>
        readdirSync(join(queryDir, stage))
          .filter((file) => file.endsWith('.sql'))
          .map((file) => join(stage, file)),
      )
      .sort();
    expect(QUERY_NAMES.map(queryPath).sort()).toEqual(files);
    expect(readdirSync(queryDir).filter((entry) => entry.endsWith('.sql'))).toEqual([]);
  });

  test.each(QUERY_NAMES)('%s opens with a comment naming each $n it uses', (name) => {
    const text = readFileSync(join(queryDir, queryPath(name)), 'utf8');
    expect(text.startsWith('-- ')).toBe(true);
    const header = text
      .split('\n')
      .filter((line) => line.startsWith('--'))
      .join('\n');
    const body = text
      .split('\n')
      .filter((line) => !line.startsWith('--'))
      .join('\n');
    const used = new Set([...body.matchAll(/\$(\d+)/g)].map((match) => match[1]));
    const documented = new Set([...header.matchAll(/^-- \$(\d+) /gm)].map((match) => match[1]));
    expect(documented).toEqual(used);
  });

  test('rendering leaves no placeholder and names statements by their text', () => {
    const a = queriesFor('alpha');
    const b = queriesFor('beta');
    for (const name of QUERY_NAMES) {
      expect(a[name].text).not.toContain('{{');
      expect(a[name].name).toMatch(/^pgpulse_[0-9a-f]{16}$/);
      expect(a[name].name?.length).toBeLessThan(64);
    }
    expect(a.claim_jobs.text).toContain('"alpha".jobs');
    expect(a.claim_jobs.name).not.toBe(b.claim_jobs.name);
    expect(queriesFor('alpha')).toBe(a);
  });

  test('unnamed for a transaction-mode pooler: the same texts, no names', () => {
    const named = queriesFor('alpha');
    const unnamed = queriesFor('alpha', { named: false });
    for (const name of QUERY_NAMES) {
      expect(unnamed[name].name).toBeUndefined();
      expect(unnamed[name].text).toBe(named[name].text);
    }
    expect(queriesFor('alpha', { named: false })).toBe(unnamed);
    expect(queriesFor('alpha')).toBe(named);
  });
});

describe('migrations', () => {
  test('are numbered 1, 2, 3 ... and only use the two placeholders', () => {
    const all = migrations();
    expect(all.map((migration) => migration.id)).toEqual(all.map((_, index) => index + 1));
    expect(latestVersion()).toBe(all.length);
    for (const { template } of all) {
      const placeholders = new Set(template.match(/\{\{[^}]*\}\}/g));
      for (const placeholder of placeholders) {
        expect(['{{schema}}', '{{schema_name}}']).toContain(placeholder);
      }
    }
  });
});

describe("a migration's compatibility declaration", () => {
  test('is its `-- compatible-with: N` line, or its own number without one', () => {
    expect(parseCompatibleWith('-- m\n-- compatible-with: 7\nSELECT 1', 9)).toBe(7);
    expect(parseCompatibleWith('-- m\nSELECT 1', 9)).toBe(9);
    for (const { id, compatibleFrom } of migrations()) {
      expect(compatibleFrom).toBeGreaterThanOrEqual(1);
      expect(compatibleFrom).toBeLessThanOrEqual(id);
    }
    // Released before declarations existed: each needs code that knows it.
    expect(migrations().find((m) => m.id === 8)?.compatibleFrom).toBe(8);
  });

  test.each([
    '-- compatible-with: seven',
    '-- compatible-with: 0',
    '-- compatible-with: 10',
    '-- compatible-with: 7\n-- compatible-with: 6',
  ])('refuses %j in migration 9', (header) => {
    expect(() => parseCompatibleWith(`${header}\nSELECT 1`, 9)).toThrow(/compatible-with/);
  });
});
