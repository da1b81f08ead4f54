#!/usr/bin/env node
// The `pgpulse` command line: `pgpulse --help`.
import { readFileSync } from 'node:fs';
import { buildProgram } from './program.js';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

await buildProgram(version).parseAsync(process.argv);
