import { fileURLToPath } from 'node:url';

/**
 * The list of test projects. Vitest 4 no longer reads this file by itself:
 * the root `vitest.config.ts` imports it as `test.projects`.
 *
 * Every project resolves `@kraikub/*` to the package sources, so tests never
 * need a build first and always see the code beside them.
 */
const packages = ['core', 'adapter-memory', 'adapter-redis', 'adapter-http', 'testkit'] as const;

const alias = Object.fromEntries(
  packages.map((name) => [
    `@kraikub/${name}`,
    fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
  ]),
);

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
];

export default projects;
