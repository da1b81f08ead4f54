import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The TypeScript samples of the docs, compiled against the package: every ```ts (or
 * ```typescript) block of README.md and docs/ becomes a module of its own that imports
 * `pgpulse` and `pgpulse/testing` from src/, type-checked with the project's compiler options. A
 * sample that no longer compiles fails CI with the Markdown file and line of the error.
 *
 * A sample may use the placeholders declared in scripts/doc-samples-prelude.d.ts (`mailer`,
 * `queue`...), standing for the reader's own code. A block preceded by the line
 * `<!-- samples: skip -->` is not checked (a fragment that cannot stand alone); use it rarely.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PRELUDE = join(ROOT, 'scripts', 'doc-samples-prelude.d.ts');
const SKIP = '<!-- samples: skip -->';

/** One code block: where it is in its Markdown file, and its text. */
export interface Sample {
  readonly file: string;
  /** The line of the block's first code line, from 1. */
  readonly line: number;
  readonly code: string;
}

/** A compile error, placed in the Markdown file. */
export interface SampleError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** The TypeScript blocks of one Markdown text. */
export function extractSamples(file: string, markdown: string): Sample[] {
  const lines = markdown.split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\b/.exec(lines[i] as string);
    if (open === null) continue;
    const [, indent = '', fence = '```'] = open;
    const skipped = i > 0 && (lines[i - 1] as string).trim() === SKIP;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] as string;
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    if (!skipped) samples.push({ file, line: i + 2, code: body.join('\n') });
    i = j;
  }
  return samples;
}

/** The Markdown files whose samples are checked: README.md and docs/, less generated pages. */
export function sampleSources(root = ROOT): string[] {
  const files = [join(root, 'README.md')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry.startsWith('.') || entry === 'api') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.md')) files.push(path);
    }
  };
  walk(join(root, 'docs'));
  return files;
}

/**
 * Compiles every sample of `files`, each as its own module, and returns the errors (none: all
 * compile). The samples are written to a scratch folder inside the project (so that they resolve
 * its node_modules), removed afterwards.
 */
export function checkSamples(files: readonly string[], root = ROOT): SampleError[] {
  const samples = files.flatMap((file) => extractSamples(file, readFileSync(file, 'utf8')));
  // Its own folder per run, so that two runs (CI and a test) never share one.
  const scratch = join(root, `.doc-samples-${randomUUID()}`);
  mkdirSync(scratch, { recursive: true });
  try {
    const bySource = new Map<string, Sample>();
    samples.forEach((sample, index) => {
      const path = join(scratch, `sample-${index}.ts`);
      // `export {}` makes a sample without imports a module too (its names stay its own).
      writeFileSync(path, `${sample.code}\nexport {};\n`);
      bySource.set(path, sample);
    });
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    if (config === undefined) throw new Error('tsconfig.json could not be read');
    const program = ts.createProgram({
      rootNames: [PRELUDE, ...bySource.keys()],
      options: {
        ...config.options,
        noEmit: true,
        // A sample may leave a value unused: it shows a call, not a program.
        noUnusedLocals: false,
        noUnusedParameters: false,
        paths: {
          pgpulse: [join(root, 'src', 'index.ts')],
          'pgpulse/testing': [join(root, 'src', 'testing', 'index.ts')],
        },
      },
    });
    return ts.getPreEmitDiagnostics(program).flatMap((diagnostic): SampleError[] => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const source = diagnostic.file;
      const sample = source === undefined ? undefined : bySource.get(resolve(source.fileName));
      if (source === undefined || sample === undefined) {
        const where = source === undefined ? 'tsc' : relative(root, source.fileName);
        return [{ file: where, line: 0, message }];
      }
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      return [{ file: relative(root, sample.file), line: sample.line + line, message }];
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files =
    process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : sampleSources();
  const count = files.reduce(
    (n, file) => n + extractSamples(file, readFileSync(file, 'utf8')).length,
    0,
  );
  const errors = checkSamples(files);
  for (const error of errors) console.error(`${error.file}:${error.line}: ${error.message}`);
  if (errors.length > 0) {
    console.error(`${errors.length} error(s) in the TypeScript samples of ${files.length} files`);
    process.exit(1);
  }
  console.log(`${count} TypeScript samples in ${files.length} files compile`);
}
