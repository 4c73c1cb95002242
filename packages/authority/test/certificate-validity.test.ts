// The presented certificate's validity period on every flow (Leg 2 included), and lifetimes capped by what a token
// was obtained with: a Leg 2 token never outlives its Leg 1 token, a bound token never outlives its certificate.
import type { IssuedCertificate } from '@certbound/dev-pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  APPS,
  EXCHANGE_SCOPE,
  JWT_BEARER,
  JWT_POP,
  TENANT,
  createCertificates,
  decodeJwt,
  expectOAuthError,
  postToken,
  registryWith,
  startFixture,
  vanilla,
  type Fixture,
} from './support.js';

const MINUTE = 60_000;
/** An app whose only certificate expires 40 minutes after the test starts, and a Leg 2 app trusting its tokens. */
const SHORT = { clientId: '5b0a7c1e-0000-4000-8000-000000000051', objectId: '5b0a7c1e-1111-4111-8111-000000000051' };
const SHORT_LEG2 = { clientId: '5b0a7c1e-0000-4000-8000-000000000052', objectId: '5b0a7c1e-1111-4111-8111-000000000052' };
const CERTIFICATE_NOT_VALID_NOW = 9900015;

let fixture: Fixture;
let short: IssuedCertificate;
let notAfter: number;

beforeAll(async () => {
  const certs = await createCertificates();
  const start = Date.now();
  short = await certs.pki.ca.issue({ commonName: 'client-short', usage: 'client', notBefore: new Date(start - 60 * MINUTE), notAfter: new Date(start + 40 * MINUTE) });
  notAfter = Date.parse(new Date(start + 40 * MINUTE).toUTCString()); // X.509 times have whole seconds
  fixture = await startFixture(certs, {
    config: registryWith(certs, [
      { ...SHORT, tenant: TENANT, certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: short.thumbprint }] },
      { ...SHORT_LEG2, tenant: TENANT, grants: { [API]: ['Data.Read'] }, federatedCredentials: [{ issuer: 'self', subject: SHORT.objectId }] },
    ]),
  });
});
afterAll(() => fixture.close());

function leg2Request(assertion: string, type = JWT_POP, clientId: string = SHORT_LEG2.clientId): Record<string, string> {
  return { grant_type: 'client_credentials', client_id: clientId, scope: `${API}/.default`, client_assertion_type: type, client_assertion: assertion, token_type: 'mtls_pop' };
}

async function leg1(cert: IssuedCertificate, clientId: string): Promise<{ token: string; expiresIn: number }> {
  const result = await postToken(fixture, fixture.agent(cert), vanilla(clientId, EXCHANGE_SCOPE, { token_type: 'mtls_pop' }));
  expect(result.status).toBe(200);
  return { token: result.json['access_token'] as string, expiresIn: result.json['expires_in'] as number };
}

describe('an expiring client certificate', () => {
  it('Leg 1 thirty minutes before expiry: bound to the certificate, so capped at its notAfter', async () => {
    fixture.clock.now = notAfter - 30 * MINUTE;
    const { token, expiresIn } = await leg1(short, SHORT.clientId);
    expect(expiresIn).toBe(30 * 60);
    expect(decodeJwt(token).exp).toBe(notAfter / 1000);
  });

  it('Leg 2 ten minutes before expiry: issued, expiring with the certificate and Leg 1, refresh_in below expires_in', async () => {
    fixture.clock.now = notAfter - 30 * MINUTE;
    const { token: assertion } = await leg1(short, SHORT.clientId);
    fixture.clock.now = notAfter - 10 * MINUTE;
    const result = await postToken(fixture, fixture.agent(short), leg2Request(assertion));
    expect(result.status).toBe(200);
    expect(result.json['expires_in']).toBe(10 * 60);
    expect(result.json['refresh_in']).toBeLessThan(result.json['expires_in'] as number);
    expect(decodeJwt(result.json['access_token'] as string).exp).toBe(notAfter / 1000);
  });

  it('ten minutes after expiry: the vanilla flow and Leg 2 (jwt-pop) are both refused for the certificate', async () => {
    fixture.clock.now = notAfter - 30 * MINUTE;
    const { token: assertion } = await leg1(short, SHORT.clientId);
    fixture.clock.now = notAfter + 10 * MINUTE;
    expectOAuthError(await postToken(fixture, fixture.agent(short), vanilla(SHORT.clientId, EXCHANGE_SCOPE, { token_type: 'mtls_pop' })), 'invalid_client', 401, CERTIFICATE_NOT_VALID_NOW);
    // The certificate is checked before the assertion: the refusal names the certificate, not Leg 1's expiry.
    expectOAuthError(await postToken(fixture, fixture.agent(short), leg2Request(assertion)), 'invalid_client', 401, CERTIFICATE_NOT_VALID_NOW);
  });

  it('every flow: an expired certificate riding along with an unbound jwt-bearer exchange is refused too', async () => {
    fixture.clock.now = Date.now();
    const unbound = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, EXCHANGE_SCOPE));
    expect(unbound.status).toBe(200);
    const request = { ...leg2Request(unbound.json['access_token'] as string, JWT_BEARER, APPS.leg2.clientId) };
    delete request['token_type'];
    expect((await postToken(fixture, fixture.agent(), request)).status).toBe(200);
    expectOAuthError(await postToken(fixture, fixture.agent(fixture.certs.expired), request), 'invalid_client', 401, CERTIFICATE_NOT_VALID_NOW);
  });

  it('a certificate not yet valid is refused on Leg 2 as well', async () => {
    fixture.clock.now = Date.now();
    const { token: assertion } = await leg1(fixture.certs.a, APPS.vanilla.clientId);
    const future = await fixture.certs.pki.ca.issue({ commonName: 'client-a-future', usage: 'client', notBefore: new Date(Date.now() + 60 * MINUTE) });
    expectOAuthError(await postToken(fixture, fixture.agent(future), leg2Request(assertion, JWT_POP, APPS.leg2.clientId)), 'invalid_client', 401, CERTIFICATE_NOT_VALID_NOW);
  });
});

describe('a Leg 2 token never outlives its Leg 1 token', () => {
  it('Leg 2 fifty minutes into a one-hour Leg 1 token gets the ten minutes left, ending exactly with Leg 1', async () => {
    fixture.clock.now = Date.now();
    const { token: assertion, expiresIn } = await leg1(fixture.certs.a, APPS.vanilla.clientId);
    expect(expiresIn).toBe(3600);
    fixture.clock.advance(50 * MINUTE);
    const result = await postToken(fixture, fixture.agent(fixture.certs.a), leg2Request(assertion, JWT_POP, APPS.leg2.clientId));
    expect(result.status).toBe(200);
    expect(result.json['expires_in']).toBe(600);
    expect(result.json['refresh_in']).toBe(300);
    expect(decodeJwt(result.json['access_token'] as string).exp).toBe(decodeJwt(assertion).exp);
  });

  it('an unbound jwt-bearer Leg 2 is capped the same way', async () => {
    fixture.clock.now = Date.now();
    const unbound = await postToken(fixture, fixture.agent(fixture.certs.a), vanilla(APPS.vanilla.clientId, EXCHANGE_SCOPE));
    const assertion = unbound.json['access_token'] as string;
    fixture.clock.advance(59 * MINUTE);
    const request = { ...leg2Request(assertion, JWT_BEARER, APPS.leg2.clientId) };
    delete request['token_type'];
    const result = await postToken(fixture, fixture.agent(), request);
    expect(result.status).toBe(200);
    expect(result.json['expires_in']).toBe(60);
    expect(decodeJwt(result.json['access_token'] as string).exp).toBe(decodeJwt(assertion).exp);
  });
});
