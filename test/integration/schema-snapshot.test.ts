import { expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';

// The schema after every migration, as the catalog describes it, against a checked-in snapshot
// (test/snapshots/schema.txt): an unintended change to a table, index, constraint, function or
// trigger fails here. After an intended one (a new migration), run `npx vitest run
// test/integration/schema-snapshot.test.ts -u` and review the diff like code.

const { sql } = await useTestQueue({ listen: false });

const CATALOG = `
  SELECT 'table ' || c.relname || ' (' || CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p'
           THEN 'partitioned' ELSE c.relkind::text END || ')' AS line
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  UNION ALL
  SELECT format('column %s.%s %s%s%s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''))
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT format('index %s: %s', i.relname, pg_get_indexdef(i.oid))
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
  WHERE n.nspname = $1
  UNION ALL
  SELECT format('constraint %s.%s: %s', c.relname, k.conname, pg_get_constraintdef(k.oid))
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  -- NOT NULL is said per column (PostgreSQL 18 also lists it as a constraint; 15 does not).
  WHERE n.nspname = $1 AND k.contype <> 'n'
  UNION ALL
  SELECT format('attribute option %s.%s: %s', c.relname, a.attname, array_to_string(a.attoptions, ','))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND a.attoptions IS NOT NULL
  UNION ALL
  SELECT format('function %s(%s) returns %s, %s%s%s, body md5 %s', p.proname,
                pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
                CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
                CASE WHEN p.prosecdef THEN ', security definer' ELSE '' END,
                coalesce(', set ' || array_to_string(p.proconfig, ','), ''), md5(p.prosrc))
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = $1
  UNION ALL
  SELECT format('trigger %s: %s', t.tgname, pg_get_triggerdef(t.oid))
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND NOT t.tgisinternal
  ORDER BY 1`;

test('the schema after all migrations matches the checked-in snapshot', async () => {
  const { rows } = await sql.query<{ line: string }>(CATALOG, ['pgpulse']);
  // Finished jobs' daily partitions are named after their day, which depends on when the test
  // runs: each is described once, under a name without its day.
  const lines = new Set(
    rows.map((row) => row.line.replace(/jobs_done_\d{8}t\d{6}/g, 'jobs_done_<day>')),
  );
  const text = `${[...lines].sort().join('\n')}\n`;
  await expect(text).toMatchFileSnapshot('../snapshots/schema.txt');
});
