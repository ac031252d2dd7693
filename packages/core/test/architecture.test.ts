import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

// DESIGN.md section 1: core imports nothing of Node, HTTP or any adapter, and
// depends only on zod and neverthrow. tsconfig's `types: []` stops Node's
// globals; this test stops imports that would type-check through a bundler.
const srcDir = new URL('../src', import.meta.url).pathname;

/** Source text without comments: TSDoc examples may import anything. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const importPattern =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const allowedBare = new Set(['zod', 'neverthrow']);

describe('core architecture (DESIGN.md section 1)', () => {
  const files = sourceFiles(srcDir);

  test('has sources to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files.map((file) => [relative(srcDir, file), file]))(
    '%s imports only relative modules, zod and neverthrow',
    (_name, file) => {
      for (const match of code(file).matchAll(importPattern)) {
        const specifier = match[1] ?? match[2] ?? '';
        if (specifier.startsWith('.')) continue;
        expect(allowedBare.has(specifier.split('/')[0] ?? ''), `${specifier} in ${file}`).toBe(true);
      }
    },
  );

  test.each(files.map((file) => [relative(srcDir, file), file]))(
    '%s uses no Node or HTTP globals',
    (_name, file) => {
      const text = code(file);
      expect(text).not.toMatch(/\b(?:process|Buffer|require|__dirname|globalThis\.process)\b/);
      expect(text).not.toMatch(/\bnew (?:Request|Response|Headers)\b/);
      // The global fetch, never called: the FetchPort's own method (`fetch.fetch(`, `fetch(url: ...)`) is fine.
      expect(text).not.toMatch(/(?:^|[^.\w])fetch\((?![a-z]+: )/m);
    },
  );
});
