// Every refusal of the token endpoint is an RFC 6749 §5.2 JSON error with error_codes — never a 500, never a token.
import { Readable } from 'node:stream';
import { connect } from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, APPS, OTHER_TENANT, TENANT, createCertificates, expectOAuthError, getJson, postToken, startFixture, vanilla, type Fixture } from './support.js';

let fixture: Fixture;

beforeAll(async () => {
  fixture = await startFixture(await createCertificates());
});
afterAll(() => fixture.close());

const pop = (clientId: string) => vanilla(clientId, `${API}/.default`, { token_type: 'mtls_pop' });

describe('client authentication refusals (RFC 8705 §2, docs/security.md rule 12)', () => {
  it('refuses an unknown client_id with invalid_client (400, AADSTS700016)', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), pop('00000000-0000-4000-8000-000000000000')), 'invalid_client', 400, 700016);
  });

  it('refuses an app of another tenant at this tenant\'s endpoint', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), pop(APPS.otherTenant.clientId)), 'invalid_client', 400, 700016);
    const own = await postToken(fixture, fixture.agent(fixture.certs.a), pop(APPS.otherTenant.clientId), { tenant: OTHER_TENANT });
    expect(own.status).toBe(200);
  });

  it('refuses an unregistered certificate', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.stranger), pop(APPS.vanilla.clientId)), 'invalid_client', 401, 700027);
    // A certificate registered for a different app does not authenticate this one.
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.b), pop(APPS.vanilla.clientId)), 'invalid_client', 401, 700027);
  });

  it('refuses a request without a client certificate, for Bearer and mtls_pop alike', async () => {
    const refused = await postToken(fixture, fixture.agent(), pop(APPS.vanilla.clientId));
    expectOAuthError(refused, 'invalid_client', 401, 7000218);
    // As Entra: no WWW-Authenticate, since no HTTP authentication scheme authenticates clients here (README, Refusals).
    expect(refused.headers['www-authenticate']).toBeUndefined();
    expectOAuthError(await postToken(fixture, fixture.agent(), vanilla(APPS.vanilla.clientId)), 'invalid_client', 401, 7000218);
  });

  it('refuses tls_client_auth with a certificate of the right subject from the other CA', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.cFromOtherCa), pop(APPS.pki.clientId)), 'invalid_client', 401, 9900004);
  });

  it('refuses tls_client_auth with a trusted certificate of another subject', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.b), pop(APPS.pki.clientId)), 'invalid_client', 401, 700027);
  });

  it('refuses a registered certificate that has expired', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.expired), pop(APPS.expired.clientId)), 'invalid_client', 401, 9900015);
  });

  it('refuses an app without certificates in the vanilla flow', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), pop(APPS.leg2.clientId)), 'invalid_client', 401, 700027);
  });

  it('refuses a client_secret and client_secret_basic (no secrets here, no mixed methods)', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), { ...pop(APPS.vanilla.clientId), client_secret: 's3cr3t-value' }), 'invalid_client', 401, 9900013);
    const basic = await postToken(fixture, fixture.agent(fixture.certs.a), pop(APPS.vanilla.clientId), {
      headers: { authorization: `Basic ${Buffer.from(`${APPS.vanilla.clientId}:s3cr3t-value`).toString('base64')}` },
    });
    expectOAuthError(basic, 'invalid_request', 400, 9900014);
    expect(basic.text).not.toContain('s3cr3t-value');
  });
});

describe('grant, scope and request refusals (RFC 6749 §5.2)', () => {
  it('refuses unsupported grant types', async () => {
    for (const grant of ['authorization_code', 'password', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'refresh_token']) {
      expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), { ...pop(APPS.vanilla.clientId), grant_type: grant }), 'unsupported_grant_type', 400, 70003);
    }
  });

  it('refuses unknown resources and malformed scopes with invalid_scope', async () => {
    const agent = fixture.agent(fixture.certs.a);
    expectOAuthError(await postToken(fixture, agent, vanilla(APPS.vanilla.clientId, 'api://unknown/.default')), 'invalid_scope', 400, 500011);
    for (const scope of [API, `${API}/Data.Read`, `${API}/.default openid`, `${API}/.default ${API}/.default`, '/.default']) {
      const result = await postToken(fixture, agent, vanilla(APPS.vanilla.clientId, scope));
      expect(result.json['error'], scope).toBe('invalid_scope');
      expect(result.status).toBe(400);
    }
  });

  it('refuses missing parameters with invalid_request naming the parameter', async () => {
    const agent = fixture.agent(fixture.certs.a);
    for (const name of ['grant_type', 'client_id', 'scope'] as const) {
      const params = pop(APPS.vanilla.clientId);
      delete params[name];
      const result = await postToken(fixture, agent, params);
      expectOAuthError(result, 'invalid_request', 400, 900144);
      expect(result.json['error_description']).toContain(`'${name}'`);
    }
  });

  it('refuses repeated parameters (RFC 6749 §3.2)', async () => {
    const body = `${new URLSearchParams(pop(APPS.vanilla.clientId)).toString()}&client_id=${APPS.pem.clientId}`;
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), body);
    expectOAuthError(result, 'invalid_request', 400, 9002313);
    expect(result.json['error_description']).toContain("'client_id'");
    const unknownRepeated = await postToken(fixture, fixture.agent(fixture.certs.a), `${new URLSearchParams(pop(APPS.vanilla.clientId)).toString()}&x<script>=1&x<script>=2`);
    expectOAuthError(unknownRepeated, 'invalid_request', 400, 9002313);
    expect(unknownRepeated.text).not.toContain('<script>');
  });

  it('refuses an invalid token_type and an invalid claims parameter', async () => {
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { token_type: 'pop' })), 'invalid_request', 400, 9900016);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, `${API}/.default`, { claims: '[1' })), 'invalid_request', 400, 9900023);
  });

  it('refuses bodies that are not UTF-8 form encoding', async () => {
    const agent = fixture.agent(fixture.certs.a);
    const json = await postToken(fixture, agent, JSON.stringify(pop(APPS.vanilla.clientId)), { headers: { 'content-type': 'application/json' } });
    expectOAuthError(json, 'invalid_request', 400, 9900011);
    const latin1 = await postToken(fixture, agent, new URLSearchParams(pop(APPS.vanilla.clientId)).toString(), {
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
    });
    expectOAuthError(latin1, 'invalid_request', 400, 9900011);
    const gzip = await postToken(fixture, agent, new URLSearchParams(pop(APPS.vanilla.clientId)).toString(), { headers: { 'content-encoding': 'gzip' } });
    expectOAuthError(gzip, 'invalid_request', 400, 9900012);
    const response = await request(fixture.authority.tokenEndpoint(TENANT), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x3d, 0xff, 0xfe]),
      dispatcher: agent,
    });
    expect(response.statusCode).toBe(400);
    expect(((await response.body.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses oversized bodies with 413 and closes the connection', async () => {
    const big = `${new URLSearchParams(pop(APPS.vanilla.clientId)).toString()}&padding=${'a'.repeat(40_000)}`;
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), big);
    expectOAuthError(result, 'invalid_request', 413, 9900010);
  });

  it('refuses an oversized body sent without Content-Length (chunked)', async () => {
    const chunks = (async function* () {
      yield Buffer.from(new URLSearchParams(pop(APPS.vanilla.clientId)).toString());
      for (let i = 0; i < 10; i += 1) yield Buffer.from(`&p${i}=${'b'.repeat(8_000)}`);
    })();
    const response = await request(fixture.authority.tokenEndpoint(TENANT), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Readable.from(chunks),
      dispatcher: fixture.agent(fixture.certs.a),
    });
    expect(response.statusCode).toBe(413);
    expect(((await response.body.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses OAuth parameters in the query string', async () => {
    const url = `${fixture.authority.tokenEndpoint(TENANT)}?client_assertion=abc`;
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.a), pop(APPS.vanilla.clientId), { url }), 'invalid_request', 400, 9002313);
    // Telemetry-style query parameters (as MSAL sends) are ignored.
    const telemetry = `${fixture.authority.tokenEndpoint(TENANT)}?x-client-SKU=test`;
    expect((await postToken(fixture, fixture.agent(fixture.certs.a), pop(APPS.vanilla.clientId), { url: telemetry })).status).toBe(200);
  });

  it('refuses unknown tenants on every endpoint', async () => {
    const agent = fixture.agent(fixture.certs.a);
    const unknown = '99999999-9999-4999-8999-999999999999';
    expectOAuthError(await postToken(fixture, agent, pop(APPS.vanilla.clientId), { tenant: unknown }), 'invalid_request', 400, 90002);
    expectOAuthError(await postToken(fixture, agent, pop(APPS.vanilla.clientId), { tenant: 'common' }), 'invalid_request', 400, 90002);
    expectOAuthError(await getJson(agent, `${fixture.authority.url}/${unknown}/v2.0/.well-known/openid-configuration`), 'invalid_request', 400, 90002);
    expectOAuthError(await getJson(agent, `${fixture.authority.url}/${unknown}/discovery/v2.0/keys`), 'invalid_request', 400, 90002);
  });

  it('answers wrong methods with 405 and unknown paths with 404, as JSON', async () => {
    const agent = fixture.agent();
    const get = await getJson(agent, fixture.authority.tokenEndpoint(TENANT));
    expectOAuthError(get, 'invalid_request', 405);
    expect(get.headers['allow']).toBe('POST');
    expectOAuthError(await getJson(agent, `${fixture.authority.url}/nope`), 'not_found', 404);
    expectOAuthError(await getJson(agent, `${fixture.authority.url}/admin/rotate-signing-key`), 'not_found', 404);
  });

  it('answers hostile paths and headers without a 500', async () => {
    const agent = fixture.agent(fixture.certs.a);
    for (const path of ['/%00/oauth2/v2.0/token', '/%E0%A4%A/discovery/v2.0/keys', `/${'a'.repeat(4000)}/v2.0/.well-known/openid-configuration`, '//oauth2/v2.0/token']) {
      const response = await request(`${fixture.authority.url}${path}`, { method: 'POST', dispatcher: agent, body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(response.statusCode, path).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, path).toBeLessThan(500);
      await response.body.text();
    }
    const noType = await request(fixture.authority.tokenEndpoint(TENANT), { method: 'POST', dispatcher: agent, body: 'grant_type=client_credentials' });
    expect(noType.statusCode).toBe(400);
    await noType.body.text();
  });

  it('never echoes the client assertion or other input in error responses', async () => {
    const secretish = 'eyJhbGciOiJSUzI1NiJ9.eyJzZWNyZXQiOiJ2YWx1ZSJ9.c2lnbmF0dXJlLXZhbHVl';
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), {
      grant_type: 'client_credentials',
      client_id: APPS.leg2.clientId,
      scope: `${API}/.default`,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-pop',
      client_assertion: secretish,
    });
    expect(result.status).toBe(401);
    expect(result.text).not.toContain(secretish);
    expect(result.text).not.toContain('c2lnbmF0dXJlLXZhbHVl');
    const client = await postToken(fixture, fixture.agent(fixture.certs.a), pop('evil"\r\n<img>'));
    expect(client.text).not.toContain('<img>');
  });
});

/** One raw HTTP/1.1 request over a TLS connection; returns the status, whether the session was resumed, and the session. */
async function rawTokenRequest(options: { cert?: { cert: string; key: string }; session?: Buffer }, body: string): Promise<{ status: number; reused: boolean; session: Buffer | undefined }> {
  const url = new URL(fixture.authority.url);
  const socket = connect({
    host: url.hostname,
    port: Number(url.port),
    ca: fixture.certs.pki.ca.cert,
    servername: 'localhost',
    ...(options.cert ?? {}),
    ...(options.session ? { session: options.session } : {}),
  });
  let session: Buffer | undefined;
  socket.on('session', (ticket: Buffer) => (session = ticket));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const reused = socket.isSessionReused();
  const path = new URL(fixture.authority.tokenEndpoint(TENANT)).pathname;
  socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  let response = '';
  for await (const chunk of socket) response += (chunk as Buffer).toString();
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]), reused, session };
}

describe('TLS layer', () => {
  it('docs/security.md rule 6: a resumed TLS session keeps the certificate it was established with, and only that one', async () => {
    const body = new URLSearchParams(pop(APPS.vanilla.clientId)).toString();
    const first = await rawTokenRequest({ cert: fixture.certs.a }, body);
    expect(first.status).toBe(200);
    expect(first.session).toBeDefined();
    const resumed = await rawTokenRequest({ cert: fixture.certs.a, ...(first.session ? { session: first.session } : {}) }, body);
    expect(resumed.reused).toBe(true);
    expect(resumed.status).toBe(200);
    // Resuming client-a's session does not let the request pass as client-b's app.
    const other = await rawTokenRequest({ cert: fixture.certs.b, ...(first.session ? { session: first.session } : {}) }, new URLSearchParams(pop(APPS.pem.clientId)).toString());
    expect(other.status).toBe(401);
  });

  it('completes the handshake without a client certificate (the endpoint decides, with an OAuth error)', async () => {
    const url = new URL(fixture.authority.url);
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: fixture.certs.pki.ca.cert, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    expect(socket.authorized).toBe(true);
    socket.destroy();
  });
});
