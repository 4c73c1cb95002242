import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertboundClientError, type CredentialContext } from '../src/index.js';
import { entraLike } from './support/recording-server.js';
import { AUTHORITY, EXCHANGE, GRAPH, TENANT, pem, startWireFixture, type WireFixture } from './support/fixtures.js';

let fx: WireFixture;
beforeAll(async () => {
  fx = await startWireFixture();
});
afterAll(() => fx.close());

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("correlation and MSAL's identification headers on the wire", () => {
  it('sends client-request-id, return-client-request-id, x-client-SKU/Ver/OS and x-ms-lib-capability', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const correlationId = '0b3e5a31-9d52-4c36-8c67-5e0f8f0a2a11';
    const result = await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true, correlationId });
    const headers = fx.mtls.requests.at(-1)!.headers;
    expect(headers['client-request-id']).toBe(correlationId);
    expect(headers['return-client-request-id']).toBe('true');
    expect(headers['x-client-sku']).toBe('certbound.node');
    expect(headers['x-client-ver']).toBe(VERSION);
    expect(headers['x-client-os']).toMatch(/^\S+ \S+/);
    expect(headers['x-ms-lib-capability']).toBe('retry-after, h429');
    expect(result.correlationId).toBe(correlationId);
    // A cache hit reports the caller's id.
    expect((await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true, correlationId: 'second-call' })).correlationId).toBe('second-call');
  });

  it('generates a UUID per call when none is given, and it is the one sent', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-b']!) });
    const first = await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true, forceRefresh: true });
    expect(first.correlationId).toMatch(UUID);
    expect(fx.mtls.requests.at(-1)!.headers['client-request-id']).toBe(first.correlationId);
    const second = await client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true, forceRefresh: true });
    expect(second.correlationId).toMatch(UUID);
    expect(second.correlationId).not.toBe(first.correlationId);
  });

  it('the correlation id is on errors, from the server and before the network', async () => {
    fx.mtls.respond(() => ({ status: 400, body: { error: 'invalid_scope' } }));
    try {
      const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
      const error = await client.acquireTokenForClient({ scopes: ['api://bad/.default'], mtlsProofOfPossession: true, correlationId: 'err-1' }).catch((e: unknown) => e);
      expect(isCertboundClientError(error) && error.correlationId).toBe('err-1');
      expect(fx.mtls.requests.at(-1)!.headers['client-request-id']).toBe('err-1');
    } finally {
      fx.mtls.respond(entraLike);
    }
    const secretClient = fx.client({ credential: { clientSecret: 's3cret-value-123' } });
    const early = await secretClient.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true }).catch((e: unknown) => e);
    expect(early).toMatchObject({ code: 'ERR_CLIENT_CERTIFICATE_REQUIRED' });
    expect((early as { correlationId: string }).correlationId).toMatch(UUID);
  });

  it('callers sharing one request get its error with the correlation id that was sent', async () => {
    fx.mtls.respond(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { status: 400, body: { error: 'invalid_scope' } };
    });
    try {
      const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
      const request = (correlationId: string) => client.acquireTokenForClient({ scopes: ['api://shared-error/.default'], mtlsProofOfPossession: true, correlationId }).catch((e: unknown) => e);
      const [leader, joiner] = await Promise.all([request('leader-id'), request('joiner-id')]);
      expect(fx.mtls.requests.at(-1)!.headers['client-request-id']).toBe('leader-id');
      expect(leader).toBe(joiner);
      expect(leader).toMatchObject({ correlationId: 'leader-id' });
    } finally {
      fx.mtls.respond(entraLike);
    }
  });

  it('refuses a correlation id that is not a header-safe token', async () => {
    const client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    for (const correlationId of ['', 'a\r\nx-injected: 1', 'with space', 'x'.repeat(129), 42]) {
      await expect(client.acquireTokenForClient({ scopes: [GRAPH], correlationId: correlationId as string })).rejects.toThrow(TypeError);
    }
  });

  it('Leg 1 and Leg 2 share one correlation id; the assertion callback gets it and the token endpoint', async () => {
    const before = fx.mtls.requests.length;
    const leg1Client = fx.client({ credential: pem(fx.pki.clients['client-a']!) });
    const contexts: CredentialContext[] = [];
    const leg2Client = fx.client({
      clientId: 'leg2-app',
      credential: {
        clientAssertion: async (context) => {
          contexts.push(context);
          const leg1 = await leg1Client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true, correlationId: context.correlationId });
          return { assertion: leg1.accessToken, tokenBindingCertificate: leg1.bindingCertificate! };
        },
      },
    });
    const correlationId = 'f0c1d2e3-0000-4000-8000-00000000abcd';
    const leg2 = await leg2Client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true, correlationId });
    expect(contexts[0]).toMatchObject({ correlationId, tokenEndpoint: `${AUTHORITY}/oauth2/v2.0/token`, clientId: 'leg2-app' });
    expect(contexts[0]?.tokenEndpoint).toContain(TENANT);
    const [leg1Request, leg2Request] = fx.mtls.requests.slice(before);
    expect(leg1Request?.form['scope']).toBe(EXCHANGE);
    expect(leg2Request?.form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-pop');
    expect(leg1Request?.headers['client-request-id']).toBe(correlationId);
    expect(leg2Request?.headers['client-request-id']).toBe(correlationId);
    expect(leg2.correlationId).toBe(correlationId);
  });
});
