import type { AuthorityConfig } from './config.js';
import { readAuthorityFile } from './lib/config-file.js';

/**
 * Read and validate a JSON configuration file and return its registry (tenants, apps, resources, signing, token
 * lifetimes), normalised. The CLI-only fields (`listen`, `tls`, `trustedClientCas`, `log`, `admin`) are validated
 * too (their files read) but not returned. Throws `AuthorityConfigError` whose `field` names the offending field.
 */
export async function loadAuthorityConfig(path: string): Promise<AuthorityConfig> {
  return (await readAuthorityFile(path)).config;
}
