/**
 * Everything a suite needs to stand up protected servers for real: a dev PKI on disk, a token issuer, its JWKS
 * served over HTTPS with the dev CA, and docs/configuration.md files pointing at all of it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPki, writeDevPki, type DevPki, type DevPkiFiles, type IssuedCertificate } from '@certbound/dev-pki';
import { startJwksServer, type JwksServer } from './jwks-server.js';
import type { ClientTls } from './mtls.js';
import { createTestIssuer, type TestIssuer } from './tokens.js';

/** Who is on the client side of a connection: two dev-CA clients, a client of an unrelated CA, or nobody. */
export type ClientName = 'client-a' | 'client-b' | 'other-ca' | 'none';

/** The tenant of every token (Entra `tid`); the configured issuer is a `{tenantid}` template. */
export const TENANT_ID = '3c5b8e1a-7d2f-4e9b-a1c6-0f4d2b8e9a71';
export const ISSUER_TEMPLATE = 'https://login.certbound.test/{tenantid}/v2.0';
export const ISSUER = ISSUER_TEMPLATE.replace('{tenantid}', TENANT_ID);
export const AUDIENCE = 'api://certbound-conformance';
export const CLIENT_ID = '6f1c1d52-0000-4000-8000-00000000c11e';
/** What the protected route of every conformance target requires. */
export const REQUIRED_SCOPE = 'api.read';
export const REQUIRED_ROLE = 'Api.Caller';

export interface AuthFixture {
  /** Temporary folder holding the PKI and the config files (removed by `close`). */
  readonly dir: string;
  readonly pki: DevPki;
  readonly files: DevPkiFiles;
  /** A client certificate from `pki.otherCa`: not chained to the dev CA (RFC 8705 §6.2 self-signed-style). */
  readonly otherCaClient: IssuedCertificate;
  readonly issuer: TestIssuer;
  readonly jwks: JwksServer;
  /** TLS options to connect as `client` and trust the dev CA. */
  tls(client: ClientName): ClientTls;
  /** `x5t#S256` of a client's certificate. */
  thumbprint(client: Exclude<ClientName, 'none'>): string;
  /** The docs/configuration.md document every conformance target uses (relative paths, remote JWKS over HTTPS). */
  baseConfig(): Record<string, unknown>;
  /** Write a docs/configuration.md file into `dir` (base config with top-level changes; `undefined` removes a field). */
  writeConfig(name: string, changes?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function createAuthFixture(): Promise<AuthFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'certbound-fixture-'));
  try {
    const pki = await createDevPki({ clients: ['client-a', 'client-b'] });
    const files = await writeDevPki(pki, join(dir, 'pki'));
    const otherCaClient = await pki.otherCa.issue({ commonName: 'client-other-ca', usage: 'client' });
    const issuer = createTestIssuer({
      issuer: ISSUER,
      audience: AUDIENCE,
      clientId: CLIENT_ID,
      scope: REQUIRED_SCOPE,
      roles: [REQUIRED_ROLE],
      extraClaims: { tid: TENANT_ID, azp: CLIENT_ID, ver: '2.0' },
    });
    const jwks = await startJwksServer({ cert: pki.server.cert, key: pki.server.key, keys: issuer.jwks.keys });

    const certificate = (client: Exclude<ClientName, 'none'>): IssuedCertificate =>
      client === 'other-ca' ? otherCaClient : pki.clients[client]!;

    const baseConfig = (): Record<string, unknown> => ({
      listen: { host: '127.0.0.1', port: 0 },
      tls: { cert: 'pki/server.crt', key: 'pki/server.key', verifyClientCertificate: false },
      issuer: ISSUER_TEMPLATE,
      audience: AUDIENCE,
      jwksUri: jwks.url,
      jwksCa: 'pki/ca.crt',
      algorithms: ['ES256', 'RS256'],
      tokenTypes: ['at+jwt', 'application/at+jwt', 'JWT'],
      clockToleranceSeconds: 30,
      binding: 'required',
      schemes: ['Bearer', 'mtls_pop'],
      certificateSource: { type: 'tls' },
      requiredScopes: [REQUIRED_SCOPE],
      requiredRoles: [REQUIRED_ROLE],
    });

    return {
      dir,
      pki,
      files,
      otherCaClient,
      issuer,
      jwks,
      tls(client) {
        if (client === 'none') return { ca: pki.ca.cert };
        const { cert, key } = certificate(client);
        return { ca: pki.ca.cert, cert, key };
      },
      thumbprint: (client) => certificate(client).thumbprint,
      baseConfig,
      async writeConfig(name, changes = {}) {
        const document: Record<string, unknown> = baseConfig();
        for (const [field, value] of Object.entries(changes)) {
          if (value === undefined) delete document[field];
          else document[field] = value;
        }
        const path = join(dir, name);
        await writeFile(path, JSON.stringify(document, null, 2) + '\n');
        return path;
      },
      async close() {
        await jwks.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
