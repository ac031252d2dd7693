import { fileURLToPath } from 'node:url';

/**
 * The list of test projects. Vitest 4 no longer reads this file by itself:
 * the root `vitest.config.ts` imports it as `test.projects`.
 *
 * Every project resolves `@kraikub/*` to the package sources, so tests never
 * need a build first and always see the code beside them.
 */
const packages = [
  'core',
  'adapter-memory',
  'adapter-redis',
  'adapter-postgres',
  'adapter-http',
  'testkit',
  'jose',
] as const;

const source = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/** Exact matches only: `@kraikub/adapter-http` must not swallow `@kraikub/adapter-http/node`. */
const alias = [
  ...packages.map((name) => ({
    find: new RegExp(`^@kraikub/${name}$`),
    replacement: source(`${name}/src/index.ts`),
  })),
  { find: /^@kraikub\/adapter-http\/node$/, replacement: source('adapter-http/src/node.ts') },
];

function project(name: string, root: string) {
  return {
    resolve: { alias },
    test: {
      name,
      root: fileURLToPath(new URL(root, import.meta.url)),
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
    },
  };
}

export const projects = [
  ...packages.map((name) => project(name, `./packages/${name}`)),
  project('example-provider', './examples/provider'),
  project('example-mcp-server', './examples/mcp-server'),
  project('example-runtimes', './examples/runtimes'),
];

export default projects;
