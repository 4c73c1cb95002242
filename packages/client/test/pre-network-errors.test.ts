import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfidentialClient, isCertboundClientError, MSAL_ERROR_NAMES, type ConfidentialClient, type MsalErrorName } from '../src/index.js';
import { GRAPH, TENANT, pem, startWireFixture, type WireFixture } from './support/fixtures.js';
import { entraLike } from './support/recording-server.js';

let fx: WireFixture;
let dir: string;
beforeAll(async () => {
  fx = await startWireFixture();
  dir = await mkdtemp(join(tmpdir(), 'certbound-client-'));
});
afterAll(async () => {
  await fx.close();
  await rm(dir, { recursive: true, force: true });
});

/** Run an acquisition that must fail before any request reaches either recording server. */
async function failsBeforeNetwork(client: ConfidentialClient, request: Parameters<ConfidentialClient['acquireTokenForClient']>[0], msalError: MsalErrorName) {
  const before = fx.mtls.requests.length + fx.plain.requests.length;
  const error = await client.acquireTokenForClient(request).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isCertboundClientError(error)).toBe(true);
  expect(error).toMatchObject({ msalError });
  // The stable code is the ERR_CLIENT_* name paired with that MSAL name.
  expect(MSAL_ERROR_NAMES[(error as { code: keyof typeof MSAL_ERROR_NAMES }).code]).toBe(msalError);
  expect(fx.mtls.requests.length + fx.plain.requests.length).toBe(before);
  return error as Error;
}

describe('docs/protocol.md §4 pre-network errors (MSAL code names)', () => {
  it('mtls_certificate_not_provided: PoP with a client secret', async () => {
    await failsBeforeNetwork(fx.client({ credential: { clientSecret: 'a-secret-value-123' } }), { scopes: [GRAPH], mtlsProofOfPossession: true }, 'mtls_certificate_not_provided');
  });

  it('mtls_certificate_not_provided: PoP with a plain assertion (no tokenBindingCertificate)', async () => {
    await failsBeforeNetwork(fx.client({ credential: { clientAssertion: 'plain.assertion.jwt' } }), { scopes: [GRAPH], mtlsProofOfPossession: true }, 'mtls_certificate_not_provided');
    await failsBeforeNetwork(
      fx.client({ credential: { clientAssertion: () => ({ assertion: 'plain.assertion.jwt' }) } }),
      { scopes: [GRAPH], mtlsProofOfPossession: true },
      'mtls_certificate_not_provided',
    );
  });

  it('mtls_certificate_not_provided: a certificate provider that returns nothing', async () => {
    const provider = (() => undefined) as unknown as () => { certificate: string };
    await failsBeforeNetwork(fx.client({ credential: provider }), { scopes: [GRAPH], mtlsProofOfPossession: true }, 'mtls_certificate_not_provided');
  });

  it('cert_without_private_key: PEM certificate without key', async () => {
    const error = await failsBeforeNetwork(
      fx.client({ credential: { certificate: fx.pki.clients['client-a']!.cert } }),
      { scopes: [GRAPH], mtlsProofOfPossession: true },
      'cert_without_private_key',
    );
    expect(error.message).toContain(fx.pki.clients['client-a']!.thumbprint);
  });

  it('cert_without_private_key: a certificate file without key, read from a path', async () => {
    const path = join(dir, 'only-cert.pem');
    await writeFile(path, fx.pki.clients['client-a']!.cert);
    await failsBeforeNetwork(fx.client({ credential: { certificate: path } }), { scopes: [GRAPH], mtlsProofOfPossession: true }, 'cert_without_private_key');
  });

  it('cert_without_private_key: a Leg 2 tokenBindingCertificate given as a certificate without key', async () => {
    await failsBeforeNetwork(
      fx.client({ credential: { clientAssertion: () => ({ assertion: 'leg-1', tokenBindingCertificate: { certificate: fx.pki.clients['client-a']!.cert } }) } }),
      { scopes: [GRAPH], mtlsProofOfPossession: true },
      'cert_without_private_key',
    );
  });

  it.each(['common', 'organizations'])('missing_tenanted_authority: /%s', async (tenant) => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), authority: `https://login.microsoftonline.com/${tenant}` });
    await failsBeforeNetwork(client, { scopes: [GRAPH], mtlsProofOfPossession: true }, 'missing_tenanted_authority');
    // MSAL checks the tenant for PoP only: a bearer request goes to the server, which answers for itself.
    const before = fx.plain.requests.length;
    fx.plain.respond(() => ({ status: 400, body: { error: 'invalid_request', error_codes: [90002] } }));
    try {
      await expect(client.acquireTokenForClient({ scopes: [GRAPH] })).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR', error_codes: [90002] });
    } finally {
      fx.plain.respond(entraLike);
    }
    expect(fx.plain.requests.length - before).toBe(1);
    expect(fx.plain.requests.at(-1)?.url).toBe(`/${tenant}/oauth2/v2.0/token`);
  });

  it('MSAL precedence: PoP without a certificate on a /common authority is mtls_certificate_not_provided', async () => {
    const client = fx.client({ credential: { clientSecret: 'not-a-certificate' }, authority: 'https://login.microsoftonline.com/common' });
    await failsBeforeNetwork(client, { scopes: [GRAPH], mtlsProofOfPossession: true }, 'mtls_certificate_not_provided');
    // ...and before the cloud check; with a certificate, the tenant comes before the cloud.
    const usGov = fx.client({ credential: { clientSecret: 'not-a-certificate' }, authority: 'https://login.usgovcloudapi.net/common' });
    await failsBeforeNetwork(usGov, { scopes: [GRAPH], mtlsProofOfPossession: true }, 'mtls_certificate_not_provided');
    const usGovCertificate = fx.client({ credential: pem(fx.pki.clients['client-a']!), authority: 'https://login.usgovcloudapi.net/common' });
    await failsBeforeNetwork(usGovCertificate, { scopes: [GRAPH], mtlsProofOfPossession: true }, 'missing_tenanted_authority');
  });

  it.each(['login.usgovcloudapi.net', 'login.chinacloudapi.cn', 'sts.windows.net', 'example.com'])(
    'mtls_pop_not_supported_for_environment: %s',
    async (host) => {
      const client = fx.client({ credential: pem(fx.pki.clients['client-a']!), authority: `https://${host}/${TENANT}` });
      await failsBeforeNetwork(client, { scopes: [GRAPH], mtlsProofOfPossession: true }, 'mtls_pop_not_supported_for_environment');
      // Leg 2 with a certificate also goes over mTLS, PoP or not.
      const leg2 = fx.client({
        authority: `https://${host}/${TENANT}`,
        credential: { clientAssertion: () => ({ assertion: 'leg-1', tokenBindingCertificate: pem(fx.pki.clients['client-a']!) }) },
      });
      await failsBeforeNetwork(leg2, { scopes: [GRAPH] }, 'mtls_pop_not_supported_for_environment');
    },
  );

  it.each([
    ['an empty string', ''],
    ['whitespace', '   '],
    ['an empty assertion field', { assertion: '' }],
    ['a non-string assertion', { assertion: 42 }],
    ['nothing', undefined],
  ])('invalid_client_assertion: the callback returns %s', async (_label, answer) => {
    const client = fx.client({ credential: { clientAssertion: (() => answer) as unknown as () => string } });
    await failsBeforeNetwork(client, { scopes: [GRAPH], mtlsProofOfPossession: true }, 'invalid_client_assertion');
    await failsBeforeNetwork(client, { scopes: [GRAPH] }, 'invalid_client_assertion');
  });

  it('client_closed after close()', async () => {
    const client = createConfidentialClient({ clientId: 'x', authority: `https://login.microsoftonline.com/${TENANT}`, credential: pem(fx.pki.clients['client-a']!) });
    await client.close();
    await failsBeforeNetwork(client, { scopes: [GRAPH], mtlsProofOfPossession: true }, 'client_closed');
  });
});

describe('option and request validation (TypeError at creation or call)', () => {
  const credential = () => pem(fx.pki.clients['client-a']!);
  it.each([
    ['no clientId', { clientId: '', authority: `https://login.microsoftonline.com/${TENANT}` }],
    ['http authority', { clientId: 'x', authority: `http://login.microsoftonline.com/${TENANT}` }],
    ['hostOverrides with http', { clientId: 'x', authority: `https://login.microsoftonline.com/${TENANT}`, hostOverrides: { 'mtlsauth.microsoft.com': 'http://127.0.0.1:1' } }],
    ['hostOverrides with a path', { clientId: 'x', authority: `https://login.microsoftonline.com/${TENANT}`, hostOverrides: { 'mtlsauth.microsoft.com': 'https://127.0.0.1:1/x' } }],
    ['ca without certificate', { clientId: 'x', authority: `https://login.microsoftonline.com/${TENANT}`, ca: '-----BEGIN NOTHING-----' }],
    ['unknown http option', { clientId: 'x', authority: `https://login.microsoftonline.com/${TENANT}`, http: { skipTlsVerify: true } }],
    ['rfc8705 with a secret', { clientId: 'x', authority: 'https://as.example', authorityType: 'rfc8705', credential: { clientSecret: 's' } }],
  ])('%s', (_label, options) => {
    expect(() => createConfidentialClient({ credential: credential(), ...(options as object) } as never)).toThrow(TypeError);
  });

  it('scopes must be a non-empty list of scope tokens', async () => {
    const client = fx.client({ credential: credential() });
    for (const scopes of [[], ['has space'], [''], ['quote"'], 'not-an-array']) {
      await expect(client.acquireTokenForClient({ scopes: scopes as string[] })).rejects.toThrow(TypeError);
    }
    await expect(client.acquireTokenForClient({ scopes: [GRAPH], claims: '{not json' })).rejects.toThrow(TypeError);
  });
});
