// RFC 8705 §3.2 / RFC 7662: opaque tokens are decided on the authorization server's introspection answer, on the
// same last stage as a JWT's claims (issuer, audience, times, cnf under the binding policy). Every case runs
// against a real HTTPS introspection endpoint on loopback.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { introspection, type IntrospectionOptions } from '../src/introspection/introspection.js';
import { staticKeys } from '../src/keys/static-keys.js';
import type { Verifier, VerifyResult } from '../src/types.js';
import { createVerifier } from '../src/verify/verifier.js';
import { startIntrospectionServer, type IntrospectionServer } from './helpers/introspection-server.js';
import { AUDIENCE, ISSUER, NOW, bearer, claimsAt, createTestKey, jwksOf, signToken, type TestKey } from './helpers/tokens.js';

let pki: DevPki;
let a: IssuedCertificate;
let b: IssuedCertificate;
let key: TestKey;
let as: IntrospectionServer;
const verifiers: Verifier[] = [];
const SECRET = 'introspection secret: with spaces & symbols';

beforeAll(async () => {
  [pki, key] = await Promise.all([createDevPki(), createTestKey('ES256', 'as')]);
  a = pki.clients['client-a']!;
  b = pki.clients['client-b']!;
  as = await startIntrospectionServer(pki, { method: 'client_secret_basic', clientId: 'orders-api', secret: SECRET });
});
afterAll(() => as.close());
afterEach(async () => {
  as.setMode('ok');
  as.setDelay(0);
  as.setJwtSigner(null);
  await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
});

/** The answer for an active token bound to `a` at NOW; overrides replace members (undefined removes one). */
function active(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return claimsAt({ active: true, scope: 'orders.read', client_id: 'client-1', token_type: 'Bearer', cnf: { 'x5t#S256': a.thumbprint }, ...overrides });
}

let serial = 0;
function opaque(answer: Record<string, unknown> | null, server = as): string {
  const token = `opaque-${++serial}-${'x'.repeat(24)}`;
  if (answer !== null) server.setToken(token, answer);
  return token;
}

type Overrides = { [K in keyof IntrospectionOptions]?: IntrospectionOptions[K] | undefined };

function verifierFor(options: Overrides = {}, extra: { binding?: 'required' | 'if-present'; clock?: () => number; keys?: boolean } = {}, server = as): Verifier {
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256'],
    ...(extra.keys === false ? {} : { keys: staticKeys(jwksOf(key)) }),
    currentTime: extra.clock ?? (() => NOW * 1000),
    ...(extra.binding === undefined ? {} : { binding: extra.binding }),
    introspection: introspection(
      Object.fromEntries(
        Object.entries({ endpoint: server.url, clientId: 'orders-api', clientAuth: 'client_secret_basic', clientSecret: SECRET, tls: { ca: pki.ca.cert }, ...options }).filter(
          ([, value]) => value !== undefined,
        ),
      ) as unknown as IntrospectionOptions,
    ),
  });
  verifiers.push(verifier);
  return verifier;
}

function outcome(result: VerifyResult): string {
  return result.ok ? 'OK' : `${result.status} ${result.code}`;
}

describe('introspection: the answer meets the same checks as a JWT', () => {
  it('accepts an active token bound to the certificate presented, with the answer as claims', async () => {
    const result = await verifierFor().verifyToken(opaque(active()), a.der);
    expect(outcome(result)).toBe('OK');
    if (!result.ok) return;
    expect(result.claims['scope']).toBe('orders.read');
    expect(result.thumbprint).toBe(a.thumbprint);
    expect(Object.isFrozen(result.claims)).toBe(true);
  });

  const cases: [string, () => Record<string, unknown> | null, string][] = [
    ['inactive', () => ({ active: false }), '401 ERR_TOKEN_INACTIVE'],
    ['unknown to the AS', () => null, '401 ERR_TOKEN_INACTIVE'],
    ['expired', () => active({ exp: NOW - 120 }), '401 ERR_TOKEN_EXPIRED'],
    ['not yet valid', () => active({ nbf: NOW + 600 }), '401 ERR_TOKEN_NOT_YET_VALID'],
    ['for another audience', () => active({ aud: 'api://someone-else' }), '401 ERR_AUDIENCE_MISMATCH'],
    ['from another issuer', () => active({ iss: 'https://other.example/' }), '401 ERR_ISSUER_MISMATCH'],
    ['without exp', () => active({ exp: undefined }), '401 ERR_CLAIM_MISSING'],
    ['unbound under required', () => active({ cnf: undefined }), '401 ERR_TOKEN_NOT_BOUND'],
    ['bound to another certificate', () => active({ cnf: { 'x5t#S256': b.thumbprint } }), '401 ERR_BINDING_MISMATCH'],
    ['bound with a hex thumbprint', () => active({ cnf: { 'x5t#S256': 'ab'.repeat(32) } }), '401 ERR_CNF_INVALID'],
    ['with "active": "true" as a string', () => active({ active: 'true' }), '503 ERR_INTROSPECTION_UNAVAILABLE'],
    // RFC 7662 §2.2: the hint is only a hint; a refresh or ID token the AS found is never an access token here.
    ['that is a refresh token', () => active({ token_type: 'refresh_token' }), '401 ERR_TOKEN_INACTIVE'],
    ['that is an ID token', () => active({ token_type: 'id_token' }), '401 ERR_TOKEN_INACTIVE'],
    ['with a non-string token_type', () => active({ token_type: 7 }), '401 ERR_TOKEN_INACTIVE'],
  ];
  it('accepts the access-token types an AS names (Bearer, mtls_pop, N_A)', async () => {
    for (const token_type of ['Bearer', 'mtls_pop', 'N_A']) {
      expect(outcome(await verifierFor().verifyToken(opaque(active({ token_type })), a.der)), token_type).toBe('OK');
    }
  });
  for (const [name, answer, expected] of cases) {
    it(`refuses a token ${name}: ${expected}`, async () => {
      expect(outcome(await verifierFor().verifyToken(opaque(answer()), a.der))).toBe(expected);
    });
  }

  it('refuses a bound token presented without a certificate, and accepts an unbound one under if-present', async () => {
    expect(outcome(await verifierFor().verifyToken(opaque(active()), null))).toBe('401 ERR_CERTIFICATE_MISSING');
    expect(outcome(await verifierFor({}, { binding: 'if-present' }).verifyToken(opaque(active({ cnf: undefined })), null))).toBe('OK');
  });

  it('decides a request end to end: the challenge of a refusal, 400 for credentials that are not token68', async () => {
    const verifier = verifierFor();
    const refused = await verifier.verifyRequest(bearer(opaque({ active: false })));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.challenge).toContain('error="invalid_token"');
    expect(outcome(await verifier.verifyRequest(bearer('not token68 {}')))).toBe('400 ERR_AUTHORIZATION_MALFORMED');
  });
});

describe('introspection: an unusable authorization server is 503, never acceptance', () => {
  const modes = [
    ['answering 500', 'error'],
    ['answering HTML as JSON', 'not-json'],
    ['answering without "active"', 'no-active'],
    ['answering text/plain', 'wrong-type'],
    ['answering 1 MiB', 'huge'],
  ] as const;
  for (const [name, mode] of modes) {
    it(`AS ${name}`, async () => {
      as.setMode(mode);
      const result = await verifierFor().verifyToken(opaque(active()), a.der);
      expect(outcome(result)).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
      if (!result.ok) expect(result.error).toBe('temporarily_unavailable');
    });
  }

  it('AS too slow: the timeout answers 503', async () => {
    as.setMode('hang');
    const started = Date.now();
    expect(outcome(await verifierFor({ timeoutMs: 200 }).verifyToken(opaque(active()), a.der))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('AS down (nothing listens) and AS refusing our credentials', async () => {
    const gone = await startIntrospectionServer(pki, { method: 'client_secret_basic', clientId: 'orders-api', secret: SECRET });
    await gone.close();
    expect(outcome(await verifierFor({}, {}, gone).verifyToken('opaque-token-gone', a.der))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    expect(outcome(await verifierFor({ clientSecret: 'wrong' }).verifyToken(opaque(active()), a.der))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
  });

  it('an unusable answer is not cached: the next request asks again and succeeds', async () => {
    const verifier = verifierFor();
    const token = opaque(active());
    as.setMode('error');
    expect(outcome(await verifier.verifyToken(token, a.der))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    as.setMode('ok');
    expect(outcome(await verifier.verifyToken(token, a.der))).toBe('OK');
  });
});

describe('introspection: cache and in-flight requests', () => {
  it('asks once for concurrent requests and reuses the answer, binding decided per request', async () => {
    const verifier = verifierFor();
    const token = opaque(active());
    const before = as.count();
    const results = await Promise.all(Array.from({ length: 8 }, () => verifier.verifyToken(token, a.der)));
    expect(results.map(outcome)).toEqual(Array(8).fill('OK'));
    expect(outcome(await verifier.verifyToken(token, b.der))).toBe('401 ERR_BINDING_MISMATCH');
    expect(as.count() - before).toBe(1);
  });

  it('keys the cache by the whole token: a token sharing a long prefix is asked about separately', async () => {
    const verifier = verifierFor();
    const token = opaque(active());
    expect(outcome(await verifier.verifyToken(token, a.der))).toBe('OK');
    expect(outcome(await verifier.verifyToken(`${token}y`, a.der))).toBe('401 ERR_TOKEN_INACTIVE');
  });

  it('bounds an active answer by cacheMaxSeconds and by exp, an inactive one by inactiveCacheSeconds', async () => {
    let now = NOW * 1000;
    const verifier = verifierFor({ cacheMaxSeconds: 60, inactiveCacheSeconds: 2 }, { clock: () => now });
    const token = opaque(active({ exp: NOW + 3600 }));
    const before = as.count();
    await verifier.verifyToken(token, a.der);
    now += 59_000;
    await verifier.verifyToken(token, a.der);
    expect(as.count() - before).toBe(1);
    as.setToken(token, { active: false }); // revoked at the AS
    now += 2000;
    expect(outcome(await verifier.verifyToken(token, a.der))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(as.count() - before).toBe(2);
    now += 1000;
    expect(outcome(await verifier.verifyToken(token, a.der))).toBe('401 ERR_TOKEN_INACTIVE');
    now += 2000;
    await verifier.verifyToken(token, a.der);
    expect(as.count() - before).toBe(3);

    const shortLived = opaque(active({ exp: NOW + 10 }));
    now = NOW * 1000;
    const fresh = verifierFor({ cacheMaxSeconds: 600 }, { clock: () => now });
    expect(outcome(await fresh.verifyToken(shortLived, a.der))).toBe('OK');
    now += 45_000; // past exp and the leeway: the cached answer is gone, the AS's answer is expired
    expect(outcome(await fresh.verifyToken(shortLived, a.der))).toBe('401 ERR_TOKEN_EXPIRED');
  });

  it('with cacheMaxSeconds 0 asks every time, so a revocation takes effect at once', async () => {
    const verifier = verifierFor({ cacheMaxSeconds: 0 });
    const token = opaque(active());
    expect(outcome(await verifier.verifyToken(token, a.der))).toBe('OK');
    as.setToken(token, { active: false });
    expect(outcome(await verifier.verifyToken(token, a.der))).toBe('401 ERR_TOKEN_INACTIVE');
  });
});

describe('introspection: which tokens, and RFC 9701 JWT answers', () => {
  it('verifies JWTs locally with tokens "opaque", and introspects them too with tokens "all" (keys optional)', async () => {
    const jwt = await signToken(key, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const before = as.count();
    expect(outcome(await verifierFor().verifyToken(jwt, a.der))).toBe('OK');
    expect(as.count()).toBe(before);
    expect(outcome(await verifierFor({ tokens: 'all' }, { keys: false }).verifyToken(jwt, a.der))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(as.count()).toBe(before + 1);
  });

  it('accepts a signed application/token-introspection+jwt answer and refuses one signed by another key', async () => {
    const signWith = (signing: TestKey) => (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: 'token-introspection+jwt' }).sign(signing.privateKey);
    as.setJwtSigner(signWith(key));
    expect(outcome(await verifierFor({ responseFormat: 'jwt' }).verifyToken(opaque(active()), a.der))).toBe('OK');
    const stranger = await createTestKey('ES256', 'as');
    as.setJwtSigner(signWith(stranger));
    expect(outcome(await verifierFor({ responseFormat: 'jwt' }).verifyToken(opaque(active()), a.der))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
  });
});

describe('introspection: client authentication', () => {
  it('private_key_jwt: a fresh signed assertion per request', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const server = await startIntrospectionServer(pki, { method: 'private_key_jwt', clientId: 'orders-api', publicKey });
    try {
      const verifier = verifierFor({ clientAuth: 'private_key_jwt', clientSecret: undefined, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cacheMaxSeconds: 0 }, {}, server);
      const token = opaque(active(), server);
      expect(outcome(await verifier.verifyToken(token, a.der))).toBe('OK');
      expect(outcome(await verifier.verifyToken(token, a.der))).toBe('OK');
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const wrong = verifierFor({ clientAuth: 'private_key_jwt', clientSecret: undefined, privateKey: other }, {}, server);
      expect(outcome(await wrong.verifyToken(token, a.der))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
      expect(createPublicKey(privateKey).asymmetricKeyType).toBe('ec');
    } finally {
      await server.close();
    }
  });

  it('tls_client_auth: the resource\'s own certificate on the connection to the AS', async () => {
    const resource = pki.clients['client-b']!;
    const server = await startIntrospectionServer(pki, { method: 'tls_client_auth', clientId: 'orders-api', thumbprint: resource.thumbprint });
    try {
      const token = opaque(active(), server);
      const good = verifierFor({ clientAuth: 'tls_client_auth', clientSecret: undefined, tls: { cert: resource.cert, key: resource.key, ca: pki.ca.cert } }, {}, server);
      expect(outcome(await good.verifyToken(token, a.der))).toBe('OK');
      const other = verifierFor({ clientAuth: 'tls_client_auth', clientSecret: undefined, tls: { cert: a.cert, key: a.key, ca: pki.ca.cert } }, {}, server);
      expect(outcome(await other.verifyToken(token, a.der))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    } finally {
      await server.close();
    }
  });

  it('checks its options at creation, naming the field', () => {
    const base = { endpoint: as.url, clientId: 'orders-api', clientAuth: 'client_secret_basic' as const, clientSecret: SECRET };
    expect(() => introspection({ ...base, endpoint: 'http://127.0.0.1/introspect' })).toThrow(/introspection\.endpoint/);
    expect(() => introspection({ endpoint: as.url, clientId: 'orders-api', clientAuth: 'client_secret_basic' })).toThrow(/introspection\.clientSecret/);
    expect(() => introspection({ ...base, clientAuth: 'tls_client_auth' })).toThrow(/introspection\.tls/);
    expect(() => introspection({ ...base, clientAuth: 'private_key_jwt', privateKey: 'not a key' })).toThrow(/introspection\.privateKey/);
    expect(() => introspection({ ...base, tokens: 'some' as 'all' })).toThrow(/introspection\.tokens/);
    expect(() => introspection({ ...base, cacheMaxSeconds: -1 })).toThrow(/introspection\.cacheMaxSeconds/);
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], introspection: introspection(base) })).toThrow(/keys/);
  });
});
