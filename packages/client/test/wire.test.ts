import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_BEARER, JWT_POP } from '../src/index.js';
import { AUTHORITY, CLIENT_ID, EXCHANGE, GRAPH, TENANT, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
beforeAll(async () => {
  fx = await startWireFixture();
});
afterAll(() => fx.close());

const TOKEN_PATH = `/${TENANT}/oauth2/v2.0/token`;

describe('docs/protocol.md §4 vanilla flow on the wire', () => {
  it('POSTs client_id, grant_type, scope, token_type=mtls_pop over mTLS to mtlsauth — no client_assertion', async () => {
    const before = fx.mtls.requests.length;
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const result = await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true });

    expect(result.tokenEndpoint).toBe(`https://mtlsauth.microsoft.com${TOKEN_PATH}`);
    const recorded = fx.mtls.requests.slice(before);
    expect(recorded).toHaveLength(1);
    const request = recorded[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(TOKEN_PATH);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.formEntries).toEqual([
      ['client_id', CLIENT_ID],
      ['grant_type', 'client_credentials'],
      ['scope', GRAPH],
      ['token_type', 'mtls_pop'],
    ]);
    expect(request.form).not.toHaveProperty('client_assertion');
    expect(request.form).not.toHaveProperty('client_assertion_type');
    expect(request.thumbprint).toBe(fx.pki.clients['client-a']!.thumbprint);

    expect(result.tokenType).toBe('mtls_pop');
    expect(result.source).toBe('network');
    expect(result.bindingCertificate?.thumbprint).toBe(fx.pki.clients['client-a']!.thumbprint);
    expect(result.createAuthorizationHeader()).toBe(`mtls_pop ${result.accessToken}`);
    expect(result.scopes).toEqual([GRAPH]);
  });

  it('with a region the request goes to {region}.mtlsauth.microsoft.com', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), azureRegion: 'westus3' });
    const result = await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true });
    expect(result.tokenEndpoint).toBe(`https://westus3.mtlsauth.microsoft.com${TOKEN_PATH}`);
  });

  it("MSAL's region rules: REGION_NAME only for TryAutoDetect, MSAL_FORCE_REGION when unset, MSAL_DISABLE_REGION over all", async () => {
    const names = ['REGION_NAME', 'MSAL_FORCE_REGION', 'MSAL_DISABLE_REGION'] as const;
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    const endpoint = async (azureRegion: string | undefined) => {
      const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), azureRegion });
      return (await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true, forceRefresh: true })).tokenEndpoint;
    };
    const regional = `https://westus3.mtlsauth.microsoft.com${TOKEN_PATH}`;
    const global = `https://mtlsauth.microsoft.com${TOKEN_PATH}`;
    try {
      for (const name of names) delete process.env[name];
      process.env['REGION_NAME'] = 'West US 3';
      expect(await endpoint(undefined)).toBe(global);
      expect(await endpoint('TryAutoDetect')).toBe(regional);
      process.env['REGION_NAME'] = 'evil.example/x';
      expect(await endpoint('TryAutoDetect')).toBe(global);
      delete process.env['REGION_NAME'];
      expect(await endpoint('TryAutoDetect')).toBe(global);
      process.env['MSAL_FORCE_REGION'] = 'westus3';
      expect(await endpoint(undefined)).toBe(regional);
      expect(await endpoint('DisableMsalForceRegion')).toBe(global);
      process.env['MSAL_DISABLE_REGION'] = '1';
      expect(await endpoint(undefined)).toBe(global);
      expect(await endpoint('westus3')).toBe(global);
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it('claims are sent as the claims parameter', async () => {
    const before = fx.mtls.requests.length;
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const claims = '{"access_token":{"xms_cc":{"values":["cp1"]}}}';
    await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true, claims });
    expect(fx.mtls.requests.slice(before)[0]?.form['claims']).toBe(claims);
  });
});

describe('docs/protocol.md §5 FIC two-leg flow on the wire', () => {
  it('Leg 1 is the vanilla flow for api://AzureADTokenExchange/.default; Leg 2 sends the Leg 1 token as a jwt-pop assertion over mTLS', async () => {
    const before = fx.mtls.requests.length;
    const leg1Client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const leg1 = await leg1Client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });

    const leg2Client = fx.client({
      clientId: 'leg2-app',
      credential: { clientAssertion: () => ({ assertion: leg1.accessToken, tokenBindingCertificate: leg1.bindingCertificate! }) },
    });
    const leg2 = await leg2Client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true });

    const [leg1Request, leg2Request] = fx.mtls.requests.slice(before);
    expect(leg1Request?.url).toBe(TOKEN_PATH);
    expect(leg1Request?.formEntries).toEqual([
      ['client_id', CLIENT_ID],
      ['grant_type', 'client_credentials'],
      ['scope', EXCHANGE],
      ['token_type', 'mtls_pop'],
    ]);
    expect(leg2Request?.url).toBe(TOKEN_PATH);
    expect(leg2Request?.formEntries).toEqual([
      ['client_id', 'leg2-app'],
      ['grant_type', 'client_credentials'],
      ['scope', GRAPH],
      ['token_type', 'mtls_pop'],
      ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-pop'],
      ['client_assertion', leg1.accessToken],
    ]);
    expect(JWT_POP).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-pop');
    // Both legs present the same certificate: the Leg 2 assertion is bound to it.
    expect(leg2Request?.thumbprint).toBe(fx.pki.clients['client-a']!.thumbprint);
    expect(leg2.tokenEndpoint).toBe(`https://mtlsauth.microsoft.com${TOKEN_PATH}`);
    expect(leg2.tokenType).toBe('mtls_pop');
    expect(leg2.bindingCertificate).toBe(leg1.bindingCertificate);
  });

  it('docs/protocol.md §5 matrix: certificate without PoP → jwt-pop over mTLS, no token_type, Bearer result', async () => {
    const before = fx.mtls.requests.length;
    const client = fx.client({
      credential: { clientAssertion: () => ({ assertion: 'leg-1-token', tokenBindingCertificate: pem(fx.pki.clients['client-b']!) }) },
    });
    const result = await client.acquireTokenForClient({ scopes: [GRAPH] });
    const request = fx.mtls.requests.slice(before)[0]!;
    expect(request.formEntries).toEqual([
      ['client_id', CLIENT_ID],
      ['grant_type', 'client_credentials'],
      ['scope', GRAPH],
      ['client_assertion_type', JWT_POP],
      ['client_assertion', 'leg-1-token'],
    ]);
    expect(request.thumbprint).toBe(fx.pki.clients['client-b']!.thumbprint);
    expect(result.tokenType).toBe('Bearer');
    expect(result.bindingCertificate).toBeNull();
    expect(result.createAuthorizationHeader()).toBe(`Bearer ${result.accessToken}`);
  });

  it('docs/protocol.md §5 matrix: no PoP and no certificate → jwt-bearer to the normal login host without a client certificate', async () => {
    const before = fx.plain.requests.length;
    const mtlsBefore = fx.mtls.requests.length;
    const client = fx.client({ credential: { clientAssertion: async () => 'signed.assertion.jwt' } });
    const result = await client.acquireTokenForClient({ scopes: [GRAPH] });
    expect(result.tokenEndpoint).toBe(`https://login.microsoftonline.com${TOKEN_PATH}`);
    const request = fx.plain.requests.slice(before)[0]!;
    expect(request.url).toBe(TOKEN_PATH);
    expect(request.formEntries).toEqual([
      ['client_id', CLIENT_ID],
      ['grant_type', 'client_credentials'],
      ['scope', GRAPH],
      ['client_assertion_type', JWT_BEARER],
      ['client_assertion', 'signed.assertion.jwt'],
    ]);
    expect(request.thumbprint).toBeNull();
    expect(fx.mtls.requests.length).toBe(mtlsBefore);
    expect(result.tokenType).toBe('Bearer');
    expect(result.bindingCertificate).toBeNull();
  });

  it('jwt-bearer with a region goes to {region}.login.microsoft.com', async () => {
    const client = fx.client({ credential: { clientAssertion: 'signed.assertion.jwt' }, azureRegion: 'westus3' });
    const result = await client.acquireTokenForClient({ scopes: [GRAPH] });
    expect(result.tokenEndpoint).toBe(`https://westus3.login.microsoft.com${TOKEN_PATH}`);
  });
});

describe('certificate credential without PoP (MSAL WithCertificate): a signed client assertion', () => {
  it('sends a private_key_jwt jwt-bearer assertion signed by the certificate key, aud = the authority token endpoint', async () => {
    const before = fx.plain.requests.length;
    const issued = fx.pki.clients['client-a']!;
    const client = fx.client({ credential: pem(issued), sendX5C: true });
    const result = await client.acquireTokenForClient({ scopes: [GRAPH] });
    const request = fx.plain.requests.slice(before)[0]!;
    expect(Object.keys(request.form)).toEqual(['client_id', 'grant_type', 'scope', 'client_assertion_type', 'client_assertion']);
    expect(request.form['client_assertion_type']).toBe(JWT_BEARER);
    expect(request.thumbprint).toBeNull();
    const assertion = request.form['client_assertion']!;
    const { payload } = await jwtVerify(assertion, createPublicKey(issued.cert), {
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      // The fixture overrides login.microsoftonline.com: the override stands in for the authority host.
      audience: `${fx.plain.origin}/${TENANT}/oauth2/v2.0/token`,
    });
    expect(typeof payload.jti).toBe('string');
    const header = decodeProtectedHeader(assertion);
    expect(header['x5t#S256']).toBe(issued.thumbprint);
    expect(header.x5c?.[0]).toBe(issued.der.toString('base64'));
    expect(result.tokenType).toBe('Bearer');
    expect(result.bindingCertificate).toBeNull();
  });

  it('with a region the assertion audience is still the authority token endpoint, not the regional host', async () => {
    const before = fx.plain.requests.length;
    const issued = fx.pki.clients['client-b']!;
    const client = fx.client({ credential: pem(issued), azureRegion: 'westus3', hostOverrides: { 'westus3.login.microsoft.com': fx.plain.origin } });
    const result = await client.acquireTokenForClient({ scopes: [GRAPH] });
    expect(result.tokenEndpoint).toBe(`https://westus3.login.microsoft.com${TOKEN_PATH}`);
    const assertion = fx.plain.requests.slice(before)[0]!.form['client_assertion']!;
    await jwtVerify(assertion, createPublicKey(issued.cert), { audience: `${AUTHORITY}/oauth2/v2.0/token` });
  });

  it('a client secret is sent as client_secret to the login host', async () => {
    const before = fx.plain.requests.length;
    const client = fx.client({ credential: { clientSecret: 'very-secret-value' } });
    await client.acquireTokenForClient({ scopes: [GRAPH] });
    expect(fx.plain.requests.slice(before)[0]?.formEntries).toEqual([
      ['client_id', CLIENT_ID],
      ['grant_type', 'client_credentials'],
      ['scope', GRAPH],
      ['client_secret', 'very-secret-value'],
    ]);
  });
});
