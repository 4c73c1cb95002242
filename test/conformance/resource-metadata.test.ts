/**
 * RFC 9728 on every protected server certbound ships: the example APIs and the gateway, started from one
 * configuration file with `resourceMetadata`, serve the metadata document at the well-known path (and the §3.1
 * path-suffixed form), and their 401 challenges point at it with `resource_metadata`.
 */
import { fileURLToPath } from 'node:url';
import { readResourceMetadata, resourceMetadataUrlOf } from '@certbound/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER, createAuthFixture, exampleEnv, mtlsRequest, startChild, stopAllChildren, tsxArgs, type AuthFixture } from '../support/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RESOURCE = 'https://orders.certbound.test/v1';
const METADATA_URL = 'https://orders.certbound.test/.well-known/oauth-protected-resource/v1';
const SERVERS = [
  ['koa-api', 'examples/koa-api/src/main.ts', '/whoami'],
  ['express-api', 'examples/express-api/src/main.ts', '/whoami'],
  ['fastify-api', 'examples/fastify-api/src/main.ts', '/whoami'],
  ['hono-api', 'examples/hono-api/src/main.ts', '/whoami'],
  ['nestjs-api', 'examples/nestjs-api/src/main.ts', '/whoami'],
  ['gateway', 'packages/gateway/src/cli.ts', '/auth/traefik'],
] as const;

let fixture: AuthFixture;
let configFile: string;
let gatewayConfigFile: string;

beforeAll(async () => {
  fixture = await createAuthFixture();
  const resourceMetadata = { resource: RESOURCE, authorizationServers: [ISSUER], scopesSupported: ['orders.read'], resourceName: 'Orders' };
  configFile = await fixture.writeConfig('metadata.json', { resourceMetadata });
  // The gateway reads certificates forwarded by its proxy only.
  gatewayConfigFile = await fixture.writeConfig('metadata-gateway.json', {
    resourceMetadata,
    certificateSource: { type: 'header', format: 'traefik', trustedProxies: ['127.0.0.1/32'] },
  });
});

afterAll(async () => {
  await stopAllChildren();
  await fixture?.close();
});

for (const [name, main, protectedPath] of SERVERS) {
  describe(`RFC 9728: ${name}`, () => {
    let url: string;
    beforeAll(async () => {
      const child = await startChild({
        args: tsxArgs(main),
        cwd: root,
        env: {
          CERTBOUND_CONFIG: name === 'gateway' ? gatewayConfigFile : configFile,
          ...exampleEnv(name),
        },
      });
      url = child.url;
    });

    it('serves the document at both well-known paths, without credentials', async () => {
      for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/v1']) {
        const response = await mtlsRequest(`${url}${path}`, fixture.tls('none'));
        expect(response.status, path).toBe(200);
        expect(String(response.headers['content-type'])).toMatch(/^application\/json/);
        expect(response.json()).toEqual({
          resource: RESOURCE,
          authorization_servers: [ISSUER],
          bearer_methods_supported: ['header'],
          tls_client_certificate_bound_access_tokens: true,
          scopes_supported: ['orders.read'],
          resource_name: 'Orders',
        });
      }
    });

    it('points 401 challenges at it (RFC 9728 §5.1)', async () => {
      const response = await mtlsRequest(`${url}${protectedPath}`, fixture.tls('client-a'));
      expect(response.status).toBe(401);
      expect(resourceMetadataUrlOf(String(response.headers['www-authenticate']))).toBe(METADATA_URL);
    });

    it('the client reads it, and refuses a document for another resource (RFC 9728 §3.3)', async () => {
      const metadataUrl = `${url}/.well-known/oauth-protected-resource/v1`;
      const info = await readResourceMetadata(RESOURCE, { metadataUrl, ca: fixture.pki.ca.cert });
      expect(info).toMatchObject({ resource: RESOURCE, authorizationServers: [ISSUER], certificateBoundTokens: true });
      await expect(readResourceMetadata('https://orders.certbound.test/v2', { metadataUrl, ca: fixture.pki.ca.cert })).rejects.toMatchObject({
        code: 'ERR_CLIENT_METADATA_INVALID',
      });
    });
  });
}
