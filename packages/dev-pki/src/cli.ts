#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DevPkiError, createDevPki, writeDevPki } from './index.js';

const usage = `usage: certbound-pki --out DIR [--algorithm P-256|RSA-2048] [--client NAME ...]
Writes a development CA, a second CA, a localhost server certificate and client certificates as PEM files.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        out: { type: 'string' },
        algorithm: { type: 'string', default: 'P-256' },
        client: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (!values.out) {
    process.stderr.write(`--out is required\n${usage}\n`);
    return 2;
  }
  if (values.algorithm !== 'P-256' && values.algorithm !== 'RSA-2048') {
    process.stderr.write(`--algorithm must be P-256 or RSA-2048, got ${values.algorithm}\n`);
    return 2;
  }
  let files;
  try {
    const pki = await createDevPki({ algorithm: values.algorithm, ...(values.client ? { clients: values.client } : {}) });
    // Relative to where the command was typed: pnpm and npm scripts run elsewhere but set INIT_CWD.
    files = await writeDevPki(pki, resolve(process.env['INIT_CWD'] ?? process.cwd(), values.out));
  } catch (error) {
    // One line, never a stack trace: the library's errors already name the flag and what to change.
    const message = error instanceof DevPkiError ? `${error.field === 'clients' ? '--client' : '--out'}: ${error.message}` : (error as Error).message;
    process.stderr.write(`certbound-pki: ${message}\n`);
    return error instanceof DevPkiError ? 2 : 1;
  }
  process.stdout.write(`wrote development PKI to ${files.dir}\n`);
  for (const [name, client] of Object.entries(files.clients)) process.stdout.write(`  ${name}: x5t#S256 ${client.thumbprint}\n`);
  return 0;
}

process.exitCode = await main();
