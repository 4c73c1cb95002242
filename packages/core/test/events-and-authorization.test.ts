// Events (one per decision, never from unverified data, onEvent exceptions swallowed), the forwarded-header
// certificate source wired through the verifier (SECURITY 7 as seen from core), and requireScopes / requireRoles.
import { ConfigurationError } from '../src/errors.js';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordAcceptance, roleGuard, scopeGuard } from '../src/adapter.js';
import { CertboundError } from '../src/errors.js';
import type { Verifier, VerifierEvent, VerifySuccess } from '../src/types.js';
import { headerSource } from '../src/index.js';
import { NOW, bearer, claimsAt, createTestKey, requestWith, signToken, verifierWith, type TestKey } from './helpers/tokens.js';

let key: TestKey;
let pki: DevPki;
let a: IssuedCertificate;

beforeAll(async () => {
  [key, pki] = await Promise.all([createTestKey('ES256', 'es'), createDevPki()]);
  a = pki.clients['client-a']!;
});

describe('events', () => {
  it('emits exactly one event per decision with thumbprint, subject, client id, scheme and peer address', async () => {
    const events: VerifierEvent[] = [];
    const verifier = verifierWith([key], { binding: 'if-present', onEvent: (event) => events.push(event) });
    const token = await signToken(key, claimsAt({ azp: undefined, appid: 'entra-v1-app' }));
    await verifier.verifyRequest({ ...bearer(token, 'mtls_pop'), remoteAddress: '10.0.0.7' });
    await verifier.verifyRequest({ ...bearer('garbage'), remoteAddress: '10.0.0.8' });
    await verifier.verifyRequest(requestWith([]));
    expect(events).toEqual([
      { type: 'accepted', thumbprint: null, subject: 'subject-1', clientId: 'entra-v1-app', scheme: 'mtls_pop', remoteAddress: '10.0.0.7', time: NOW * 1000 },
      { type: 'rejected', code: 'ERR_JWT_MALFORMED', thumbprint: null, scheme: 'Bearer', remoteAddress: '10.0.0.8', time: NOW * 1000 },
      { type: 'rejected', code: 'ERR_NO_CREDENTIALS', thumbprint: null, time: NOW * 1000 },
    ]);
  });

  it('takes the client id from client_id, then azp, then appid (identityOf), strings only', async () => {
    const events: VerifierEvent[] = [];
    const verifier = verifierWith([key], { binding: 'if-present', onEvent: (event) => events.push(event) });
    await verifier.verifyToken(await signToken(key, claimsAt({ azp: 'a1', appid: 'a2', client_id: 'a3' })), null);
    await verifier.verifyToken(await signToken(key, claimsAt({ azp: 'a1', appid: 'a2' })), null);
    await verifier.verifyToken(await signToken(key, claimsAt({ azp: 42, appid: 'a2' })), null);
    await verifier.verifyToken(await signToken(key, claimsAt({ azp: 42 })), null);
    expect(events.map((event) => event.clientId)).toEqual(['a3', 'a1', 'a2', undefined]);
  });

  it('never puts unverified token content in an event (forged signature)', async () => {
    const events: VerifierEvent[] = [];
    const verifier = verifierWith([key], { binding: 'if-present', onEvent: (event) => events.push(event) });
    const token = await signToken(key, claimsAt());
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify(claimsAt({ sub: 'forged-admin' }))).toString('base64url')}.${s}`;
    await verifier.verifyToken(forged, null);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'rejected', code: 'ERR_SIGNATURE_INVALID' });
    expect(events[0]!.subject).toBeUndefined();
    expect(JSON.stringify(events)).not.toContain('forged-admin');
  });

  it('reports subject and client id for refusals after the signature was verified (expired)', async () => {
    const events: VerifierEvent[] = [];
    const verifier = verifierWith([key], { binding: 'if-present', onEvent: (event) => events.push(event) });
    await verifier.verifyToken(await signToken(key, claimsAt({ exp: NOW - 100 })), null);
    expect(events).toEqual([expect.objectContaining({ type: 'rejected', code: 'ERR_TOKEN_EXPIRED', subject: 'subject-1', clientId: 'client-1' })]);
  });

  it('swallows exceptions thrown by onEvent: the decision stands', async () => {
    const verifier = verifierWith([key], {
      binding: 'if-present',
      onEvent: () => {
        throw new Error('logger down');
      },
    });
    expect((await verifier.verifyToken(await signToken(key), null)).ok).toBe(true);
    expect((await verifier.verifyRequest(requestWith([]))).ok).toBe(false);
  });
});

describe('SECURITY 7 (as wired by the verifier): forwarded certificate headers', () => {
  const proxied = headerSource({ format: 'rfc9440', trustedProxies: ['127.0.0.1/32'] });

  function clientCert(certificate: IssuedCertificate): [string, string] {
    return ['Client-Cert', `:${certificate.der.toString('base64')}:`];
  }

  it('SECURITY 7: honours the header from a trusted proxy', async () => {
    const verifier = verifierWith([key], { certificateSource: proxied });
    const token = await signToken(key, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const result = await verifier.verifyRequest(requestWith([['Authorization', `Bearer ${token}`], clientCert(a)], { remoteAddress: '127.0.0.1' }));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.thumbprint).toBe(a.thumbprint);
  });

  it('SECURITY 7: ignores the header from an untrusted peer, refuses the bound token and emits untrusted-proxy-header', async () => {
    const events: VerifierEvent[] = [];
    const verifier = verifierWith([key], { certificateSource: proxied, onEvent: (event) => events.push(event) });
    const token = await signToken(key, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const result = await verifier.verifyRequest(requestWith([['Authorization', `Bearer ${token}`], clientCert(a)], { remoteAddress: '192.0.2.10' }));
    expect(result).toMatchObject({ ok: false, status: 401, code: 'ERR_CERTIFICATE_MISSING' });
    expect(events.map((event) => [event.type, event.code])).toEqual([
      ['untrusted-proxy-header', undefined],
      ['rejected', 'ERR_CERTIFICATE_MISSING'],
    ]);
    expect(events[0]!.remoteAddress).toBe('192.0.2.10');
  });

  it('SECURITY 7: duplicate and malformed certificate headers from a trusted proxy are 400 invalid_request', async () => {
    const verifier = verifierWith([key], { certificateSource: proxied });
    const token = await signToken(key, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
    const duplicate = await verifier.verifyRequest(
      requestWith([['Authorization', `Bearer ${token}`], clientCert(a), clientCert(a)], { remoteAddress: '127.0.0.1' }),
    );
    expect(duplicate).toMatchObject({ status: 400, error: 'invalid_request', code: 'ERR_CERTIFICATE_HEADER_DUPLICATE' });
    const malformed = await verifier.verifyRequest(requestWith([['Authorization', `Bearer ${token}`], ['Client-Cert', ':bm90IGEgY2VydA==:']], { remoteAddress: '127.0.0.1' }));
    expect(malformed).toMatchObject({ status: 400, error: 'invalid_request', code: 'ERR_CERTIFICATE_HEADER_INVALID' });
  });
});

// The guards as the gateway uses them: with the verifier at hand.
const requireScopes = (verifier: Verifier, success: VerifySuccess, scopes: string[]) => scopeGuard(scopes, { verifier }).check(success);
const requireRoles = (verifier: Verifier, success: VerifySuccess, roles: string[]) => roleGuard(roles, { verifier }).check(success);

describe('scope and role guards', () => {
  async function verified(claims: Record<string, unknown>, events?: VerifierEvent[]) {
    const verifier = verifierWith([key], { binding: 'if-present', realm: 'orders', ...(events ? { onEvent: (event: VerifierEvent) => events.push(event) } : {}) });
    const result = await verifier.verifyToken(await signToken(key, claimsAt(claims)), null);
    expect(result.ok).toBe(true);
    return { verifier, success: result as VerifySuccess };
  }

  it('grants scopes from scp (space-separated), scp (array) and scope', async () => {
    for (const claims of [{ scp: 'orders.read orders.write' }, { scp: ['orders.read', 'orders.write'] }, { scope: 'orders.write orders.read' }]) {
      const { verifier, success } = await verified(claims);
      expect(requireScopes(verifier, success, ['orders.read', 'orders.write'])).toBeNull();
    }
  });

  it('refuses a missing scope with 403 insufficient_scope naming the required scopes, and emits a rejected event', async () => {
    const events: VerifierEvent[] = [];
    const { verifier, success } = await verified({ scp: 'orders.read' }, events);
    const refused = requireScopes(verifier, success, ['orders.read', 'orders.write']);
    expect(refused).toMatchObject({ ok: false, status: 403, error: 'insufficient_scope', code: 'ERR_INSUFFICIENT_SCOPE', scope: 'orders.read orders.write' });
    expect(refused!.challenge).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="The access token lacks a required scope", scope="orders.read orders.write", ' +
        'mtls_pop realm="orders", error="insufficient_scope", error_description="The access token lacks a required scope", scope="orders.read orders.write"',
    );
    expect(events.map((event) => [event.type, event.code])).toEqual([
      ['accepted', undefined],
      ['rejected', 'ERR_INSUFFICIENT_SCOPE'],
    ]);
  });

  it('does not take a scope prefix or a differently cased scope as granted', async () => {
    const { verifier, success } = await verified({ scp: 'orders.read.all Orders.Write' });
    expect(requireScopes(verifier, success, ['orders.read'])).not.toBeNull();
    expect(requireScopes(verifier, success, ['orders.write'])).not.toBeNull();
  });

  it('checks Entra app-only roles from the roles array', async () => {
    const { verifier, success } = await verified({ roles: ['Orders.Read.All', 'Orders.Write.All'] });
    expect(requireRoles(verifier, success, ['Orders.Read.All'])).toBeNull();
    const refused = requireRoles(verifier, success, ['Admin']);
    expect(refused).toMatchObject({ status: 403, error: 'insufficient_scope', code: 'ERR_INSUFFICIENT_ROLE', scope: 'Admin' });
  });

  it('does not take scopes as roles or a roles string with spaces as several roles', async () => {
    const { verifier, success } = await verified({ scp: 'Admin', roles: 'Reader Admin' });
    expect(requireRoles(verifier, success, ['Admin'])).not.toBeNull();
  });

  it('refuses invalid required lists when the guard is built (a programming error, not client input)', () => {
    expect(() => scopeGuard(['a"b'])).toThrow(ConfigurationError);
    expect(() => scopeGuard(['a"b'])).toThrow(expect.objectContaining({ field: 'requireScopes[0]' }));
    expect(() => scopeGuard([])).toThrow(ConfigurationError);
    expect(() => roleGuard('Admin' as never)).toThrow(ConfigurationError);
  });

  it('finds the verifier that accepted a success (its own, or one recorded for a copy), and refuses to run on an unverified request', async () => {
    const { verifier, success } = await verified({ scp: 'orders.read' });
    const guard = scopeGuard(['orders.write'], { wiring: 'certbound()' });
    // A verifier's own success carries the link: the refusal is formatted like that verifier's (realm "orders").
    expect(guard.check(success)).toMatchObject({ status: 403, code: 'ERR_INSUFFICIENT_SCOPE', scope: 'orders.write', challenge: expect.stringContaining('realm="orders"') });
    expect(scopeGuard(['orders.read']).check(success)).toBeNull();
    // A copy (or an object shaped like a success) is not one until an adapter records it.
    const copy = { ...success };
    expect(() => guard.check(copy)).toThrow(CertboundError);
    expect(() => guard.check(undefined)).toThrow(expect.objectContaining({ code: 'ERR_GUARD_WITHOUT_AUTH', message: 'requireScopes() must run after certbound()' }));
    recordAcceptance(copy, verifier);
    expect(guard.check(copy)).toMatchObject({ status: 403, code: 'ERR_INSUFFICIENT_SCOPE', scope: 'orders.write' });
  });
});
