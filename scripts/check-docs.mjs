// Type-checks the code users copy: every ```ts block of every README, and
// every TSDoc @example in the packages' sources. Each block is compiled as a
// module of its own against the packages' sources (the same paths the tests
// use), with strict settings, so an example that names a missing export, a
// wrong option or a wrong type fails `pnpm check`.
//
// A block is checked as written: what it uses but does not define, it
// declares (`declare const server: AuthorizationServer;`). A block whose
// fence says ```ts no-check is shown but not checked (for fragments that are
// not TypeScript modules, like a shell session); use it sparingly.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;

/** Every file under `dir` whose name passes `keep`, skipping dependencies and builds. */
function walk(dir, keep, found = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, keep, found);
    else if (keep(name, path)) found.push(path);
  }
  return found;
}

/** ```ts fences of a Markdown text, with the line they start on. */
function markdownBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)(\s+no-check)?\s*$/.exec(lines[i]);
    if (open === null) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (open[2] === undefined) blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The ```ts fences inside the @example tags of a source file's TSDoc comments. */
function exampleBlocks(text) {
  const blocks = [];
  const comment = /\/\*\*[\s\S]*?\*\//g;
  for (const match of text.matchAll(comment)) {
    const body = match[0];
    const at = body.indexOf('@example');
    if (at < 0) continue;
    const firstLine = text.slice(0, match.index).split('\n').length;
    const lines = body.split('\n').map((line) => line.replace(/^\s*\*( |$)/, ''));
    const offset = body.slice(0, at).split('\n').length - 1;
    const tail = lines.slice(offset);
    for (const block of markdownBlocks(tail.join('\n'))) {
      blocks.push({ line: firstLine + offset + block.line - 1, code: block.code });
    }
  }
  return blocks;
}

const readmes = [
  join(root, 'README.md'),
  ...walk(join(root, 'packages'), (name) => name === 'README.md'),
  ...walk(join(root, 'examples'), (name) => name === 'README.md'),
  ...walk(join(root, 'bench'), (name) => name === 'README.md'),
];
const sources = walk(
  join(root, 'packages'),
  (name, path) => name.endsWith('.ts') && !name.endsWith('.test.ts') && path.includes('/src/'),
);

/**
 * Where a block from `file` is compiled: under its own package's
 * node_modules, so it resolves that package's dependencies (an example's
 * framework, say) as the package itself does.
 */
function outDirOf(file) {
  let dir = dirname(file);
  while (dir !== root && !existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'node_modules', '.cache', 'check-docs');
}
const outDirs = new Set([...readmes, ...sources].map(outDirOf));
for (const dir of outDirs) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
/** Generated file -> where its block came from. */
const origin = new Map();
let count = 0;
for (const [files, extract] of [
  [readmes, markdownBlocks],
  [sources, exampleBlocks],
]) {
  for (const file of files) {
    for (const block of extract(readFileSync(file, 'utf8'))) {
      count += 1;
      const name = `${relative(root, file).replace(/[^A-Za-z0-9]+/g, '_')}_${block.line}.ts`;
      const path = join(outDirOf(file), name);
      // `export {}` makes every block a module: top-level await works, names do not collide.
      writeFileSync(path, `${block.code}\nexport {};\n`);
      origin.set(path, { file: relative(root, file), line: block.line });
    }
  }
}

const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile).config.compilerOptions;
const { options, errors } = ts.convertCompilerOptionsFromJson(
  {
    ...base,
    baseUrl: root,
    lib: ['ES2023', 'DOM', 'DOM.Iterable'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    noUnusedLocals: false,
    noUnusedParameters: false,
    noEmit: true,
  },
  root,
);
if (errors.length > 0) throw new Error(ts.flattenDiagnosticMessageText(errors[0].messageText, '\n'));
const program = ts.createProgram([...origin.keys()], options);
const problems = ts
  .getPreEmitDiagnostics(program)
  .filter((d) => d.file !== undefined && origin.has(d.file.fileName));
for (const d of problems) {
  const from = origin.get(d.file.fileName);
  const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
  console.error(`${from.file}:${from.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}
const failed = new Set(problems.map((d) => d.file.fileName)).size;
console.log(`${count} documentation code blocks type-checked, ${failed} failed`);
if (failed > 0) {
  console.error(
    '\nEach block compiles as its own module (generated under <package>/node_modules/.cache/check-docs).',
  );
  process.exit(1);
}
