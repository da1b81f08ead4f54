import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkSamples, extractSamples, sampleSources } from '../../scripts/doc-samples.js';

// The docs' sample check (CI's `npm run docs:samples`): a sample that no longer compiles against
// the package must fail it, at the Markdown line of the error.
const dir = mkdtempSync(join(tmpdir(), 'pgpulse-doc-samples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function page(name: string, markdown: string): string {
  const path = join(dir, name);
  writeFileSync(path, markdown);
  return path;
}

describe('extracting samples', () => {
  test('takes ts and typescript blocks, indented ones too, and leaves others and skipped ones', () => {
    const markdown = [
      '# Page', // 1
      '```ts', // 2
      'const a = 1;', // 3
      '```', // 4
      '```sh', // 5
      'npm test', // 6
      '```', // 7
      '- a list item:', // 8
      '  ```typescript [file.ts]', // 9
      '  const b = 2;', // 10
      '  ```', // 11
      '<!-- samples: skip -->', // 12
      '```ts', // 13
      'not checked', // 14
      '```', // 15
    ].join('\n');
    expect(extractSamples('page.md', markdown)).toEqual([
      { file: 'page.md', line: 3, code: 'const a = 1;' },
      { file: 'page.md', line: 10, code: 'const b = 2;' },
    ]);
  });

  test('the checked pages are README.md and docs/ (with the API pages once generated)', () => {
    const sources = sampleSources();
    expect(sources.some((file) => file.endsWith('README.md'))).toBe(true);
    expect(sources.some((file) => file.endsWith(join('guide', 'transactions.md')))).toBe(true);
    expect(sources.some((file) => file.includes('.vitepress'))).toBe(false);
  });
});

describe('compiling samples', () => {
  test('a broken sample fails, naming its page and line; a good one passes', () => {
    const good = page(
      'good.md',
      [
        '```ts',
        "import { Queue } from 'pgpulse';",
        'const queue = new Queue({ connectionString: process.env.DATABASE_URL });',
        "await queue.send('emails', { to: 'ada@example.com' }, { delayMs: 5_000 });",
        '```',
      ].join('\n'),
    );
    const broken = page(
      'broken.md',
      [
        '# An outdated page',
        '',
        '```ts',
        "import { Queue } from 'pgpulse';",
        'const queue = new Queue({ connectionString: process.env.DATABASE_URL });',
        "await queue.send('emails', { to: 'ada@example.com' }, { delay: '5s' });",
        "await queue.enqueue('emails', {});",
        '```',
      ].join('\n'),
    );
    const errors = checkSamples([good, broken]);
    expect(errors.map((error) => [error.file.endsWith('broken.md'), error.line])).toEqual([
      [true, 6],
      [true, 7],
    ]);
    expect(errors[0]?.message).toMatch(/delay/);
    expect(errors[1]?.message).toMatch(/enqueue/);
  }, 180_000); // compiles the package's source: seconds, more on a busy machine
});
