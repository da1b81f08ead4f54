import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SQL_DIR } from './queries.js';

/** One numbered file of `sql/migrations/`, e.g. `0001_init.sql`. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  /** The SQL with `{{schema}}` placeholders, not yet rendered for a schema. */
  readonly template: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

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
        return Object.freeze({
          id: Number(match[1]),
          name: match[2],
          template: readFileSync(join(dir, file), 'utf8'),
        });
      });
    cache = Object.freeze(found);
  }
  return cache;
}

/** The schema version this code expects: the number of the newest migration. */
export function latestVersion(): number {
  return migrations().at(-1)?.id ?? 0;
}
