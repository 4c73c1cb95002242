// Identity headers: what the upstream receives must be unambiguous and unable to break out of its header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JwtClaims } from '@certbound/core';
import type { Gateway } from '../src/index.js';
import { DEFAULT_IDENTITY_HEADERS, sanitiseIdentityValue } from '../src/index.js';
import { encodeIdentity, identityFromClaims, MAX_IDENTITY_VALUE_LENGTH, resolveIdentityHeaderNames } from '../src/identity.js';
import { createTestSetup, gatewayDocument, nginxEscapedPem, send, startTestGateway, type TestSetup } from './helpers/gateway.js';

describe('identity values', () => {
  it('SECURITY 9: CR, LF, quotes, backslashes and non-ASCII are percent-encoded, never passed raw', () => {
    expect(sanitiseIdentityValue('alice\r\nx-certbound-roles: admin')).toBe('alice%0D%0Ax-certbound-roles:%20admin');
    expect(sanitiseIdentityValue('"quoted"\\')).toBe('%22quoted%22%5C');
    expect(sanitiseIdentityValue('Zoë 🔑')).toBe('Zo%C3%AB%20%F0%9F%94%91');
    expect(sanitiseIdentityValue('100%')).toBe('100%25');
  });

  it('keeps identifiers that are already safe unchanged', () => {
    for (const value of ['6f1c1d52-0000-4000-8000-00000000c11e', 'api://orders/Orders.Read', 'user@example.com', 'Y3ZkLXRodW1icHJpbnQ_-x']) {
      expect(sanitiseIdentityValue(value)).toBe(value);
    }
  });

  it('reads client_id, else azp, else appid; scp or scope; roles; string values only', () => {
    expect(identityFromClaims({ sub: 's', azp: 'azp-id', appid: 'app-id', scp: 'a b', roles: ['R1', 7, 'R2'] }, 'tp')).toEqual({
      subject: 's',
      clientId: 'azp-id',
      thumbprint: 'tp',
      scopes: ['a', 'b'],
      roles: ['R1', 'R2'],
    });
    // A verified token whose sub is not a string: it is left out, not stringified.
    const odd: Record<string, unknown> = { sub: 42, appid: 'v1-app', scope: 'x' };
    expect(identityFromClaims(odd as JwtClaims, null)).toEqual({ subject: undefined, clientId: 'v1-app', thumbprint: null, scopes: ['x'], roles: [] });
  });

  it('a space inside one scope or role is encoded, so the separator stays unambiguous', () => {
    const headers = encodeIdentity({ subject: 's', clientId: undefined, thumbprint: null, scopes: ['a b'], roles: ['c', 'd'] }, DEFAULT_IDENTITY_HEADERS);
    expect(headers).toEqual({
      'x-certbound-subject': 's',
      'x-certbound-client-id': '',
      'x-certbound-thumbprint': '',
      'x-certbound-scopes': 'a%20b',
      'x-certbound-roles': 'c d',
    });
  });

  it('a value too long to forward yields null (refuse, never truncate)', () => {
    const long = 'x'.repeat(MAX_IDENTITY_VALUE_LENGTH + 1);
    expect(encodeIdentity({ subject: long, clientId: undefined, thumbprint: null, scopes: [], roles: [] }, DEFAULT_IDENTITY_HEADERS)).toBeNull();
  });

  it('header names are validated at startup: TypeError naming the field', () => {
    expect(() => resolveIdentityHeaderNames({ subject: 'x bad' })).toThrow(/identityHeaders\.subject/);
    expect(() => resolveIdentityHeaderNames({ subject: 'x-a', clientId: 'X-A' })).toThrow(/own name/);
    expect(() => resolveIdentityHeaderNames({ tenant: 'x-tenant' } as never)).toThrow(/identityHeaders\.tenant/);
    expect(resolveIdentityHeaderNames({ subject: 'X-User' }).subject).toBe('x-user');
  });
});

describe('identity headers over HTTP', () => {
  let setup: TestSetup;
  let gateway: Gateway;
  beforeAll(async () => {
    setup = await createTestSetup();
    gateway = await startTestGateway(gatewayDocument(setup, { format: 'nginx' }, { gateway: { identityHeaders: { subject: 'x-user', roles: 'x-app-roles' } } }));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  function headersFor(token: string): [string, string][] {
    return [
      ['X-SSL-Client-Cert', nginxEscapedPem(setup.pki.clients['client-a']!.cert)],
      ['Authorization', `Bearer ${token}`],
    ];
  }

  it('names from the config file\'s "gateway.identityHeaders" are used; the rest keep their defaults', async () => {
    const thumbprint = setup.pki.clients['client-a']!.thumbprint;
    const reply = await send(`${gateway.url}/auth/nginx`, { headers: headersFor(setup.tokens.mint(thumbprint)) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-user')).toBeDefined();
    expect(reply.header('x-app-roles')).toBe('Orders.Reader');
    expect(reply.header('x-certbound-thumbprint')).toBe(thumbprint);
    expect(reply.header('x-certbound-subject')).toBeUndefined();
  });

  it('SECURITY 9: a subject with CR/LF and quotes arrives percent-encoded in one header', async () => {
    const thumbprint = setup.pki.clients['client-a']!.thumbprint;
    const token = setup.tokens.mint(thumbprint, { sub: 'eve\r\nx-app-roles: Admin "x"' });
    const reply = await send(`${gateway.url}/auth/nginx`, { headers: headersFor(token) });
    expect(reply.status).toBe(200);
    expect(reply.header('x-user')).toBe('eve%0D%0Ax-app-roles:%20Admin%20%22x%22');
    expect(reply.header('x-app-roles')).toBe('Orders.Reader');
  });

  it('a claim too large for a header → 401 invalid_token instead of a truncated identity', async () => {
    const thumbprint = setup.pki.clients['client-a']!.thumbprint;
    const token = setup.tokens.mint(thumbprint, { roles: Array.from({ length: 180 }, (_, i) => `Role.Number.${i}`) });
    const reply = await send(`${gateway.url}/auth/nginx`, { headers: headersFor(token) });
    expect(reply.status).toBe(401);
    expect(reply.header('www-authenticate')).toContain('error="invalid_token"');
    expect(reply.header('x-app-roles')).toBeUndefined();
  });
});
