import { fileURLToPath } from 'node:url';
import { registerReadmeSnippetTests } from '../../../test/support/readme-snippet-test.js';

// The README's "## Example" is examples/server.ts verbatim, and it serves /orders as documented. tsx reads this
// folder's tsconfig.json, which covers the example and turns on the decorators Nest applications are written with.
registerReadmeSnippetTests({
  packageDir: new URL('..', import.meta.url),
  path: '/orders',
  env: { TSX_TSCONFIG_PATH: fileURLToPath(new URL('tsconfig.json', import.meta.url)) },
});
