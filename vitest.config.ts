import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.ts';

export default defineConfig({
  test: {
    projects,
    passWithNoTests: false,
    // Under CI, also a JSON report: .ci/run reads its counts for the closing summary line.
    reporters:
      process.env.CI === 'true'
        ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
        : ['default'],
  },
});
