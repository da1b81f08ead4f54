import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SQL_DIR } from './queries.js';

/** One numbered file of `sql/migrations/`, e.g. `0001_init.sql`. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  /** The SQL with `{{schema}}` placeholders, not yet rendered for a schema. */
  readonly template: string;
  /**
   * The oldest code version (the schema version a release expects) that this migration's changes
   * leave working: its `-- compatible-with: N` line, or its own number without one (only code
   * that knows the migration). A migration that only adds what older code ignores declares an
   * older version; one that removes or changes what older code uses declares none. Recorded in
   * the ledger, where older code, which does not have this file, reads it.
   */
  readonly compatibleFrom: number;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The declaration in a migration's header comment. */
const COMPATIBLE_WITH = /^-- compatible-with: *(.*)$/gm;

let cache: readonly Migration[] | undefined;

/**
 * Every migration, in order. Their numbers must run 1, 2, 3... without gaps, so that a ledger's
 * highest id says exactly which migrations a database has.
 */
export function migrations(): readonly Migration[] {
  if (cache === undefined) {
    const dir = join(SQL_DIR, 'migrations');
    const found = readdirSync(dir)
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .map((file, index) => {
        const match = FILE_PATTERN.exec(file);
        if (match?.[1] === undefined || match[2] === undefined || Number(match[1]) !== index + 1) {
          throw new Error(`Migration file ${file} is misnamed or out of sequence in ${dir}`);
        }
        const id = Number(match[1]);
        const template = readFileSync(join(dir, file), 'utf8');
        return Object.freeze({
          id,
          name: match[2],
          template,
          compatibleFrom: parseCompatibleWith(template, id, file),
        });
      });
    cache = Object.freeze(found);
  }
  return cache;
}

/**
 * The version a migration declares in a `-- compatible-with: N` line, from 1 to its own number;
 * its own number when it declares none.
 *
 * @throws Error for a malformed, out-of-range or repeated declaration: a release must not ship
 *   one that would be read as something else.
 */
export function parseCompatibleWith(
  template: string,
  id: number,
  file = `migration ${id}`,
): number {
  const declared = [...template.matchAll(COMPATIBLE_WITH)].map((match) => match[1]?.trim() ?? '');
  if (declared.length === 0) return id;
  const [value] = declared;
  const version = Number(value);
  if (declared.length > 1 || !/^\d+$/.test(value ?? '') || version < 1 || version > id) {
    throw new Error(
      `${file}: expected one \`-- compatible-with: N\` line with N from 1 to ${id}, got ${declared
        .map((text) => JSON.stringify(text))
        .join(', ')}`,
    );
  }
  return version;
}

/** The schema version this code expects: the number of the newest migration. */
export function latestVersion(): number {
  return migrations().at(-1)?.id ?? 0;
}
