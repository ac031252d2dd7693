import { defineConfig, type Options } from 'tsup';

/**
 * The one build every `@kraikub/*` package shares: ESM and CJS, declarations
 * for both, no bundled dependencies (tsup leaves `dependencies` external).
 */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    treeshake: true,
    // Keep `node:` on Node built-ins: without the prefix a bundler for Workers or browsers cannot tell
    // `fs/promises` from a package and fails, even when the import is never reached.
    removeNodeProtocol: false,
    external: [/^node:/],
    ...overrides,
  });
}
