import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

// The testkit runs inside anyone's test runner, on any runtime: its sources
// import only core, fast-check and each other (no vitest, no node:*), which
// tsconfig's `types: []` alone cannot stop for bare imports.
const srcDir = new URL('../src', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const importPattern =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const allowed = new Set(['@kraikub/core', 'fast-check']);
const files = sourceFiles(srcDir);

describe('testkit sources stay framework- and runtime-neutral', () => {
  test('there are sources to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  test.each(files.map((file) => [relative(srcDir, file), file]))(
    '%s imports only relative modules, @kraikub/core and fast-check',
    (_name, file) => {
      // Examples in TSDoc import the package itself: scan code only.
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      const specifiers = [...code.matchAll(importPattern)].map((m) => m[1] ?? m[2] ?? '');
      const wrong = specifiers.filter((specifier) =>
        specifier.startsWith('.') ? !specifier.endsWith('.ts') : !allowed.has(specifier),
      );
      expect(wrong).toEqual([]);
    },
  );
});
