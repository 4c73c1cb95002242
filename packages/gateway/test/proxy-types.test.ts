// One gateway, several proxy types: the certificate format belongs to the proxy type, so a gateway answers only the
// endpoints of proxies that produce (and strip) its configured header. A proxy that does not manage another proxy's
// header would pass a client-sent copy straight through (Traefik copies every client header into the auth request).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, type Gateway } from '../src/index.js';
import { CLIENT_ID } from './helpers/tokens.js';
import { createTestSetup, gatewayDocument, nginxEscapedPem, send, startTestGateway, type TestSetup } from './helpers/gateway.js';

let setup: TestSetup;
const gateways: Gateway[] = [];

beforeAll(async () => {
  setup = await createTestSetup();
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

async function start(source: Record<string, unknown>, gateway?: Record<string, unknown>): Promise<Gateway> {
  const started = await startTestGateway(gatewayDocument(setup, source, gateway === undefined ? {} : { gateway }));
  gateways.push(started);
  return started;
}

const ENDPOINTS = { nginx: '/auth/nginx', envoy: '/auth/envoy/orders', traefik: '/auth/traefik', caddy: '/auth/caddy', haproxy: '/auth/haproxy' } as const;

async function servedEndpoints(gateway: Gateway): Promise<string[]> {
  const served: string[] = [];
  for (const [name, path] of Object.entries(ENDPOINTS)) {
    // No credentials: a served endpoint refuses with 401, an endpoint not served is 404.
    const reply = await send(`${gateway.url}${path}`);
    if (reply.status !== 404) served.push(name);
    else expect(JSON.parse(reply.body)).toEqual({ error: 'not_found' });
  }
  return served;
}

describe('endpoints per certificate format', () => {
  it.each([
    [{ format: 'nginx' }, ['nginx']],
    [{ format: 'xfcc' }, ['envoy']],
    [{ format: 'traefik' }, ['traefik']],
    [{ format: 'base64-der' }, ['caddy', 'haproxy']],
    [{ format: 'rfc9440' }, ['caddy', 'haproxy']],
  ])('%j is served only on the endpoints of the proxies that produce it: %j', async (source, expected) => {
    expect(await servedEndpoints(await start(source))).toEqual(expected);
  });

  it('gateway.proxy narrows a format two proxy types produce to one', async () => {
    expect(await servedEndpoints(await start({ format: 'rfc9440' }, { proxy: 'haproxy' }))).toEqual(['haproxy']);
  });

  it('a client-sent XFCC relayed by Traefik never reaches an Envoy-format decision: /auth/traefik is closed', async () => {
    const envoyGateway = await start({ format: 'xfcc' });
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(`${envoyGateway.url}/auth/traefik`, {
      headers: [['Authorization', `Bearer ${setup.tokens.mint(clientA.thumbprint)}`], ['X-Forwarded-Client-Cert', `Hash=${'0'.repeat(64)}`], ['X-Forwarded-Uri', '/orders']],
    });
    expect(reply.status).toBe(404);
  });

  it.each(['caddy', 'haproxy'])('/auth/%s answers as /auth/traefik, counted under its own protocol label', async (name) => {
    const gateway = await start({ format: 'base64-der', header: 'x-ssl-client-der' });
    const clientA = setup.pki.clients['client-a']!;
    const token = setup.tokens.mint(clientA.thumbprint, { roles: undefined });
    const url = `${gateway.url}/auth/${name}`;
    const headers = (der: Buffer): [string, string][] => [['Authorization', `Bearer ${token}`], ['X-SSL-Client-DER', der.toString('base64')], ['X-Forwarded-Method', 'GET'], ['X-Forwarded-Uri', '/orders']];
    const reply = await send(url, { headers: headers(clientA.der) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-certbound-subject')).toBe(CLIENT_ID);
    expect(reply.header('x-certbound-roles')).toBe('');
    const refused = await send(url, { headers: headers(setup.pki.clients['client-b']!.der) });
    expect(refused.status).toBe(401);
    expect(refused.header('www-authenticate')).toContain('error="invalid_token"');
    const metrics = await send(`${gateway.url}/metrics`);
    expect(metrics.body).toMatch(new RegExp(`certbound_verifications_total\\{protocol="${name}",outcome="accepted"\\} 1`));
  });
});

describe('startup refusals', () => {
  it.each([
    ['Traefik format in a header Traefik does not manage', { format: 'traefik', header: 'x-client-cert' }, {}, 'certificateSource.format'],
    ['XFCC in a header Envoy does not manage', { format: 'xfcc', header: 'x-client-xfcc' }, {}, 'certificateSource.format'],
    ['a format no gateway endpoint reads (ALB, App Service)', { format: 'aws-alb' }, {}, 'certificateSource.format'],
    ['gateway.proxy that cannot produce the format', { format: 'nginx' }, { proxy: 'envoy' }, 'gateway.proxy'],
    ['gateway.proxy naming no proxy type', { format: 'nginx' }, { proxy: 'apache' }, 'gateway.proxy'],
    ['an Envoy header prefix that is no header-name prefix', { format: 'xfcc' }, { envoyHeaderPrefix: 'x-envoy-' }, 'gateway.envoyHeaderPrefix'],
  ])('%s is a ConfigurationError naming %s', async (_what, source, gateway, field) => {
    const error: unknown = await start(source, gateway).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe(field);
  });

  it('the nginx format keeps working with a renamed header (nginx sets whichever header its config names)', async () => {
    const gateway = await start({ format: 'nginx', header: 'x-client-pem' });
    const clientA = setup.pki.clients['client-a']!;
    const reply = await send(`${gateway.url}/auth/nginx`, { headers: [['authorization', `Bearer ${setup.tokens.mint(clientA.thumbprint)}`], ['x-client-pem', nginxEscapedPem(clientA.cert)]] });
    expect(reply.status).toBe(200);
  });
});

describe('identity header spellings', () => {
  it('finds `_` for `-` in any letter case, and `-` for `_` when a configured name has underscores', async () => {
    const { identitySpellingCheck } = await import('../src/proxies.js');
    const defaults = identitySpellingCheck(['x-certbound-subject', 'x-certbound-roles']);
    expect(defaults(['Host', 'a', 'X-Certbound-Subject', 'admin', 'X_CERTBOUND_ROLES', 'admin'])).toBe('X_CERTBOUND_ROLES');
    expect(defaults(['X-Certbound-Subject', 'admin', 'x_other', 'v'])).toBeNull();
    const underscored = identitySpellingCheck(['x_user']);
    expect(underscored(['x_user', 'admin'])).toBeNull();
    expect(underscored(['X-User', 'admin'])).toBe('X-User');
  });
});
