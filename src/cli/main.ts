#!/usr/bin/env node
// The `pgpulse` command line: `pgpulse --help`.
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { ExitCode } from './failures.js';
import { buildProgram } from './program.js';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

try {
  await buildProgram(version).parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Already printed (help, version, or one line about the bad input).
  process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
}
