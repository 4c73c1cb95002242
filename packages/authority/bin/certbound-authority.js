#!/usr/bin/env node
// The certbound-authority command. A fixed file rather than dist/cli.js itself, so that package managers can link the command
// in a fresh checkout before anything is built; installed packages always ship dist/.
await import('../dist/cli.js');
