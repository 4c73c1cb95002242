import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One project per package (unit tests beside the code) plus the cross-package suites under test/.
const packages = readdirSync('packages').filter((name) => existsSync(`packages/${name}/test`));
const crossPackage = readdirSync('test', { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'support')
  .map((entry) => entry.name);

// Inside the workspace the packages resolve to their TypeScript sources through the `certbound-source` export
// condition, so tests need no build; published tarballs declare only the compiled `dist/` entries.
const conditions = ['certbound-source', 'module', 'node', 'development|production'];
// Vitest hands the SSR conditions to Node (--conditions) for externalised packages too, and Node has no use for
// bundlers' "module" builds: OpenTelemetry's, for one, use extensionless imports that Node cannot load.
const nodeConditions = conditions.filter((condition) => condition !== 'module');

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: ['certbound-source'] } },
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      ...packages.map((name) => ({ extends: true as const, test: { name, root: `packages/${name}`, include: ['test/**/*.test.ts'] } })),
      { extends: true as const, test: { name: 'benchmarks', root: 'benchmarks', include: ['test/**/*.test.ts'] } },
      ...crossPackage.map((name) => ({ extends: true as const, test: { name: `test/${name}`, root: `test/${name}`, include: ['**/*.test.ts'], fileParallelism: false } })),
    ],
  },
});
