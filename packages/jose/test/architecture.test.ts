import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

// Runs on Node, Bun, Deno and Cloudflare Workers: the library imports only
// jose, core's types and itself, and uses no Node global. The CLI is the
// one file that may touch the process.
const srcDir = new URL('../src', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && path !== join(srcDir, 'cli.ts') ? [path] : [];
  });
}

/** Source text without comments: TSDoc examples may import anything. */
const code = (file: string) =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');

const importPattern =
  /(?:^|\s)(import|export)\s(type\s)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('the library is runtime-neutral', () => {
  const files = sourceFiles(srcDir).map((file) => [relative(srcDir, file), file]);

  test.each(files)('%s imports only jose, core types and relative modules', (_name, file) => {
    for (const match of code(file).matchAll(importPattern)) {
      const specifier = match[3] ?? match[4] ?? '';
      if (specifier.startsWith('.') || specifier === 'jose') continue;
      expect(specifier === '@kraikub/core' && match[2] !== undefined, `${specifier} in ${file}`).toBe(true);
    }
  });

  test.each(files)('%s uses no Node global', (_name, file) => {
    expect(code(file)).not.toMatch(/\b(?:process|Buffer|require|__dirname|global)\b[.(]/);
  });
});
