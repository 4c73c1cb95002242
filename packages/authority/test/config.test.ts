// Configuration: validation errors name the field; the README sample is valid; startup refuses unsafe setups.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPki, writeDevPki } from '@certbound/dev-pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorityConfigError, AuthorityOptionsError, loadAuthorityConfig, startAuthority, validateAuthorityConfig, type AuthorityConfig } from '../src/index.js';
import { createCertificates, registry, TENANT, type Certificates } from './support.js';

let certs: Certificates;
let dir: string;

beforeAll(async () => {
  certs = await createCertificates();
  dir = await mkdtemp(join(tmpdir(), 'certbound-authority-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const APP = { clientId: 'app-1', tenant: TENANT, objectId: '33333333-4444-4555-8666-777777777777' };

function fieldOf(config: unknown): string {
  try {
    validateAuthorityConfig(config);
  } catch (error) {
    if (error instanceof AuthorityConfigError) return error.field;
    throw error;
  }
  throw new Error('expected a configuration error');
}

function withApp(app: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return { tenants: [{ id: TENANT }], resources: [{ identifier: 'api://x', appRoles: ['R'] }], apps: [{ ...APP, ...app }], ...extra };
}

describe('validateAuthorityConfig', () => {
  it('fills defaults and normalises ids and hex thumbprints', () => {
    const hex = Buffer.from(certs.a.thumbprint, 'base64url').toString('hex').toUpperCase();
    const config = validateAuthorityConfig({
      tenants: [{ id: TENANT.toUpperCase() }],
      apps: [{ ...APP, objectId: APP.objectId.toUpperCase(), certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: hex }] }],
    });
    expect(config.tenants[0]?.id).toBe(TENANT);
    expect(config.apps?.[0]?.objectId).toBe(APP.objectId);
    expect(config.apps?.[0]?.certificates?.[0]?.thumbprint).toBe(certs.a.thumbprint);
    expect(config.apps?.[0]?.boundTokens).toBe('on-request');
    expect(config.signing).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(config.tokenLifetimeSeconds).toBe(3600);
    expect(config.refreshInSeconds).toBe(1800);
  });

  it('names the offending field', () => {
    expect(fieldOf({})).toBe('tenants');
    expect(fieldOf({ tenants: [] })).toBe('tenants');
    expect(fieldOf({ tenants: [{ id: 'contoso' }] })).toBe('tenants[0].id');
    expect(fieldOf({ tenants: [{ id: TENANT }], surprise: 1 })).toBe('surprise');
    expect(fieldOf(withApp({ tenant: '99999999-9999-4999-8999-999999999999' }))).toBe('apps[0].tenant');
    expect(fieldOf(withApp({ objectId: 'x' }))).toBe('apps[0].objectId');
    expect(fieldOf(withApp({ clientId: 'has space' }))).toBe('apps[0].clientId');
    expect(fieldOf(withApp({ extra: true }))).toBe('apps[0].extra');
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'client_secret' }] }))).toBe('apps[0].certificates[0].authMethod');
    // SHA-1 hex (what Entra's portal shows) is not an x5t#S256.
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: 'a'.repeat(40) }] }))).toBe('apps[0].certificates[0].thumbprint');
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: certs.a.thumbprint, pem: certs.a.cert }] }))).toBe('apps[0].certificates[0]');
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'self_signed_tls_client_auth', pem: 'not a pem' }] }))).toBe('apps[0].certificates[0].pem');
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'self_signed_tls_client_auth', pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }] }))).toBe(
      'apps[0].certificates[0].pem',
    );
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'tls_client_auth', thumbprint: certs.a.thumbprint }] }))).toBe('apps[0].certificates[0].thumbprint');
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'tls_client_auth' }] }))).toBe('apps[0].certificates[0]');
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'tls_client_auth', subject: 'CN=a+O=b' }] }))).toBe('apps[0].certificates[0].subject');
    expect(fieldOf(withApp({ certificates: [{ authMethod: 'tls_client_auth', subject: 'CN=client-b', pem: certs.a.cert }] }))).toBe('apps[0].certificates[0].subject');
    expect(fieldOf(withApp({ grants: { 'api://nope': ['R'] } }))).toBe('apps[0].grants["api://nope"]');
    expect(fieldOf(withApp({ grants: { 'api://x': ['W'] } }))).toBe('apps[0].grants["api://x"][0]');
    expect(fieldOf(withApp({ federatedCredentials: [{ issuer: 'http://insecure', subject: 's' }] }))).toBe('apps[0].federatedCredentials[0].issuer');
    expect(fieldOf(withApp({ federatedCredentials: [{ issuer: 'self', subject: 's', audience: 'api://x' }] }))).toBe('apps[0].federatedCredentials[0].audience');
    expect(fieldOf(withApp({ boundTokens: 'sometimes' }))).toBe('apps[0].boundTokens');
    expect(fieldOf(withApp({}, { signing: { alg: 'HS256' } }))).toBe('signing.alg');
    expect(fieldOf(withApp({}, { signing: { typ: 'jwt' } }))).toBe('signing.typ');
    expect(fieldOf(withApp({}, { tokenLifetimeSeconds: 10 }))).toBe('tokenLifetimeSeconds');
    expect(fieldOf(withApp({}, { refreshInSeconds: 3600 }))).toBe('refreshInSeconds');
    expect(fieldOf(withApp({}, { resources: [{ identifier: 'api://AzureADTokenExchange' }] }))).toBe('resources[0].identifier');
    expect(fieldOf({ tenants: [{ id: TENANT }], apps: [APP, { ...APP, objectId: '44444444-4444-4444-8444-444444444444' }] })).toBe('apps[1].clientId');
  });

  it('accepts a tls_client_auth registration whose subject is taken from its PEM', () => {
    const config = validateAuthorityConfig(withApp({ certificates: [{ authMethod: 'tls_client_auth', pem: certs.c.cert }] }));
    expect(config.apps?.[0]?.certificates?.[0]?.authMethod).toBe('tls_client_auth');
  });
});

describe('loadAuthorityConfig', () => {
  it('reads the file, resolves paths relative to it, and returns the registry', async () => {
    const pki = await createDevPki({ clients: ['client-a'] });
    const files = await writeDevPki(pki, join(dir, 'pki'));
    const path = join(dir, 'authority.json');
    await writeFile(
      path,
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 0 },
        tls: { cert: 'pki/server.crt', key: 'pki/server.key' },
        trustedClientCas: ['pki/ca.crt'],
        log: { level: 'warn' },
        tenants: [{ id: TENANT }],
        resources: [{ identifier: 'api://x', appRoles: ['R'] }],
        apps: [{ ...APP, certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: files.clients['client-a']?.thumbprint }], grants: { 'api://x': ['R'] } }],
      }),
    );
    const config = await loadAuthorityConfig(path);
    expect(config.apps?.[0]?.grants).toEqual({ 'api://x': ['R'] });
    expect(config).not.toHaveProperty('tls');
  });

  it('names the field of a missing certificate file or a bad listen port', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, JSON.stringify({ tls: { cert: 'missing.crt', key: 'missing.key' }, tenants: [{ id: TENANT }] }));
    await expect(loadAuthorityConfig(path)).rejects.toMatchObject({ field: 'tls.cert' });
    await writeFile(path, JSON.stringify({ listen: { port: 70000 }, tenants: [{ id: TENANT }] }));
    await expect(loadAuthorityConfig(path)).rejects.toMatchObject({ field: 'listen.port' });
    await writeFile(path, '{ not json');
    await expect(loadAuthorityConfig(path)).rejects.toBeInstanceOf(AuthorityConfigError);
  });

  it('validates the sample configuration in the README', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const sample = /<!-- sample-config -->\s*```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(sample, 'README has a sample config block').toBeDefined();
    const config = validateAuthorityConfig(JSON.parse(sample as string));
    expect(config.apps?.length).toBeGreaterThanOrEqual(2);
  });
});

describe('startAuthority options', () => {
  const base = (): { tls: { cert: string; key: string }; config: AuthorityConfig } => ({ tls: { cert: certs.pki.server.cert, key: certs.pki.server.key }, config: registry(certs) });

  it('refuses tls_client_auth registrations without trustedClientCas (no chain could ever verify)', async () => {
    await expect(startAuthority(base())).rejects.toMatchObject({ code: 'ERR_AUTHORITY_CONFIG', field: 'apps[2].certificates[0]' });
  });

  it('refuses bad options before listening', async () => {
    await expect(startAuthority({ ...base(), tls: { cert: 'x', key: 'y' } })).rejects.toBeInstanceOf(AuthorityOptionsError);
    await expect(startAuthority({ ...base(), trustedClientCas: ['nope'] })).rejects.toBeInstanceOf(AuthorityOptionsError);
    await expect(startAuthority({ ...base(), trustedClientCas: [certs.pki.ca.cert], port: -1 })).rejects.toBeInstanceOf(AuthorityOptionsError);
    await expect(startAuthority({ ...base(), trustedClientCas: [certs.pki.ca.cert], adminToken: 'short' })).rejects.toBeInstanceOf(AuthorityOptionsError);
    await expect(startAuthority({ ...base(), trustedClientCas: [certs.pki.ca.cert], config: { tenants: [] } })).rejects.toBeInstanceOf(AuthorityConfigError);
  });
});
