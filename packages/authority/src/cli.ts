#!/usr/bin/env node
// certbound-authority --config FILE: start the local authorization server from a configuration file.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AuthorityError } from './errors.js';
import { readAuthorityFile } from './lib/config-file.js';
import { startAuthority, type RunningAuthority } from './start-authority.js';

const usage = `usage: certbound-authority --config FILE
Starts the local Entra-shaped authorization server. The configuration file (JSON) holds the TLS certificate and key
paths (relative to the file), the listen address and the registry. The file can also be given as CERTBOUND_AUTHORITY_CONFIG.
Prints one line {"ready":true,"url":"https://HOST:PORT"} on stdout once listening; logs go to stderr.
Rotate the signing key with: curl -X POST -H "Authorization: Bearer ADMIN_TOKEN" URL/admin/rotate-signing-key`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const configPath = values.config ?? process.env['CERTBOUND_AUTHORITY_CONFIG'];
  if (!configPath) {
    process.stderr.write(`--config is required\n${usage}\n`);
    return 2;
  }

  let authority: RunningAuthority;
  try {
    const file = await readAuthorityFile(resolve(process.env['INIT_CWD'] ?? process.cwd(), configPath));
    if (file.server.tls === null) {
      process.stderr.write('tls: the configuration file must name the server certificate and key ({"tls": {"cert": …, "key": …}})\n');
      return 2;
    }
    const configuredToken = file.server.adminToken ?? (process.env['CERTBOUND_AUTHORITY_ADMIN_TOKEN'] || null);
    const adminToken = configuredToken ?? randomBytes(32).toString('base64url');
    authority = await startAuthority({
      tls: file.server.tls,
      trustedClientCas: file.server.trustedClientCas,
      config: file.config,
      host: file.server.host,
      port: file.server.port,
      logger: { level: file.server.logLevel },
      adminToken,
    });
    // A generated admin token is shown once, on stderr, so that stdout keeps its single ready line.
    if (configuredToken === null) process.stderr.write(`admin token for POST ${authority.url}/admin/rotate-signing-key: ${adminToken}\n`);
  } catch (error) {
    const message = error instanceof AuthorityError ? error.message : `cannot start: ${(error as Error).message}`;
    process.stderr.write(`${message}\n`);
    return 1;
  }

  process.stdout.write(`${JSON.stringify({ ready: true, url: authority.url })}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // Closing drops open connections at once; the timer only guards against something unforeseen.
    setTimeout(() => process.exit(0), 1000).unref();
    void authority.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return 0;
}

const code = await main();
if (code !== 0) process.exit(code);
