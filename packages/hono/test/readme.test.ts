import { registerReadmeSnippetTests } from '../../../test/support/readme-snippet-test.js';

// The README's "## Example" is examples/server.ts verbatim, and it serves /orders as documented.
registerReadmeSnippetTests({ packageDir: new URL('..', import.meta.url), path: '/orders' });
