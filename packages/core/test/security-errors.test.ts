// docs/security.md rule 9: errors follow RFC 6750 §3. One table maps every code to status + error; descriptions are
// fixed texts in the allowed charset; challenges never reflect request data.
import { ConfigurationError } from '../src/errors.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TABLE, failure } from '../src/http/failure.js';
import type { ErrorCode, VerifyFailure } from '../src/types.js';
import { b64url, bearer, claimsAt, createTestKey, requestWith, signToken, verifierWith, type TestKey } from './helpers/tokens.js';

let key: TestKey;

beforeAll(async () => {
  key = await createTestKey('ES256', 'es');
});

const RFC6750_DESCRIPTION = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Split a WWW-Authenticate value into challenges: scheme followed by its auth-params (values never contain quotes). */
function parseChallenges(value: string): { scheme: string; params: Record<string, string> }[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  const pattern = /\s*(?:([A-Za-z0-9_!#$%&'*+.^`|~-]+)(?=\s|,|$)(?!\s*=))|\s*([a-z_]+)="([^"]*)"\s*,?/gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(value)) !== null) {
    if (match[1] !== undefined) challenges.push({ scheme: match[1], params: {} });
    else challenges.at(-1)!.params[match[2]!] = match[3]!;
    if (value[pattern.lastIndex] === ',') pattern.lastIndex++;
  }
  return challenges;
}

describe('SECURITY 9: the error table', () => {
  const expected: Record<ErrorCode, [number, string | undefined]> = {
    ERR_NO_CREDENTIALS: [401, undefined],
    ERR_UNSUPPORTED_SCHEME: [401, undefined],
    ERR_AUTHORIZATION_DUPLICATE: [400, 'invalid_request'],
    ERR_AUTHORIZATION_MALFORMED: [400, 'invalid_request'],
    ERR_MULTIPLE_METHODS: [400, 'invalid_request'],
    ERR_QUERY_TOKEN: [400, 'invalid_request'],
    ERR_TOKEN_TOO_LONG: [400, 'invalid_request'],
    ERR_JWT_MALFORMED: [401, 'invalid_token'],
    ERR_JWE_UNSUPPORTED: [401, 'invalid_token'],
    ERR_JOSE_HEADER_INVALID: [401, 'invalid_token'],
    ERR_CRIT_UNSUPPORTED: [401, 'invalid_token'],
    ERR_ALG_NOT_ALLOWED: [401, 'invalid_token'],
    ERR_TYP_NOT_ALLOWED: [401, 'invalid_token'],
    ERR_KEY_NOT_FOUND: [401, 'invalid_token'],
    ERR_KEY_ALG_MISMATCH: [401, 'invalid_token'],
    ERR_SIGNATURE_INVALID: [401, 'invalid_token'],
    ERR_JWKS_UNAVAILABLE: [503, 'temporarily_unavailable'],
    ERR_CLAIM_INVALID: [401, 'invalid_token'],
    ERR_CLAIM_MISSING: [401, 'invalid_token'],
    ERR_ISSUER_MISMATCH: [401, 'invalid_token'],
    ERR_AUDIENCE_MISMATCH: [401, 'invalid_token'],
    ERR_TOKEN_EXPIRED: [401, 'invalid_token'],
    ERR_TOKEN_NOT_YET_VALID: [401, 'invalid_token'],
    ERR_TOKEN_ISSUED_IN_FUTURE: [401, 'invalid_token'],
    ERR_CNF_INVALID: [401, 'invalid_token'],
    ERR_TOKEN_NOT_BOUND: [401, 'invalid_token'],
    ERR_CERTIFICATE_MISSING: [401, 'invalid_token'],
    ERR_BINDING_MISMATCH: [401, 'invalid_token'],
    ERR_CERTIFICATE_HEADER_INVALID: [400, 'invalid_request'],
    ERR_CERTIFICATE_HEADER_DUPLICATE: [400, 'invalid_request'],
    ERR_CERTIFICATE_HASH_MISMATCH: [400, 'invalid_request'],
    ERR_CERTIFICATE_INVALID: [400, 'invalid_request'],
    ERR_TOKEN_INACTIVE: [401, 'invalid_token'],
    ERR_INTROSPECTION_UNAVAILABLE: [503, 'temporarily_unavailable'],
    ERR_INSUFFICIENT_SCOPE: [403, 'insufficient_scope'],
    ERR_INSUFFICIENT_ROLE: [403, 'insufficient_scope'],
    ERR_VERIFICATION_FAILED: [401, 'invalid_token'],
  };

  it('SECURITY 9: maps every error code as docs/protocol.md §3 says', () => {
    expect(Object.keys(ERROR_TABLE).sort()).toEqual(Object.keys(expected).sort());
    for (const [code, [status, error]] of Object.entries(expected)) {
      expect([ERROR_TABLE[code as ErrorCode].status, ERROR_TABLE[code as ErrorCode].error], code).toEqual([status, error]);
    }
  });

  it.each(Object.keys(expected) as ErrorCode[])('SECURITY 9: %s renders a well-formed RFC 6750 failure', (code) => {
    const result = failure(code, { schemes: ['Bearer', 'mtls_pop'], realm: 'orders' });
    expect(result.description).toMatch(RFC6750_DESCRIPTION);
    expect(result.challenge).not.toMatch(/[\r\n\\]/);
    const challenges = parseChallenges(result.challenge);
    expect(challenges.map((c) => c.scheme)).toEqual(['Bearer', 'mtls_pop']);
    for (const { params } of challenges) {
      expect(params['realm']).toBe('orders');
      if (result.error === undefined) {
        expect(params).toEqual({ realm: 'orders' });
      } else {
        expect(params['error']).toBe(result.error);
        expect(params['error_description']).toBe(result.description);
      }
    }
    expect(result.body).toEqual({ error: result.error ?? 'unauthorized', error_description: result.description });
  });

  it('SECURITY 9: insufficient_scope carries the scope parameter', () => {
    const result = failure('ERR_INSUFFICIENT_SCOPE', { scope: 'orders.read orders.write' });
    expect(result.challenge).toBe(
      'Bearer error="insufficient_scope", error_description="The access token lacks a required scope", scope="orders.read orders.write", ' +
        'mtls_pop error="insufficient_scope", error_description="The access token lacks a required scope", scope="orders.read orders.write"',
    );
    expect(result.scope).toBe('orders.read orders.write');
  });

  it('SECURITY 9: the table is deep-frozen: assigning to a row throws and changes nothing', () => {
    expect(Object.isFrozen(ERROR_TABLE)).toBe(true);
    expect(() => {
      (ERROR_TABLE.ERR_TOKEN_EXPIRED as { status: number }).status = 200;
    }).toThrow(TypeError);
    expect(() => {
      (ERROR_TABLE as Record<string, unknown>)['ERR_TOKEN_EXPIRED'] = { status: 200, error: undefined, description: 'ok' };
    }).toThrow(TypeError);
    expect(ERROR_TABLE.ERR_TOKEN_EXPIRED.status).toBe(401);
    expect(failure('ERR_TOKEN_EXPIRED').status).toBe(401);
  });

  it('SECURITY 9: failure() refuses unsafe inputs from the caller with a ConfigurationError', () => {
    expect(() => failure('ERR_NOPE' as ErrorCode)).toThrow(ConfigurationError);
    expect(() => failure('ERR_TOKEN_EXPIRED', { realm: 'a"\r\nx' })).toThrow(ConfigurationError);
    expect(() => failure('ERR_INSUFFICIENT_SCOPE', { scope: 'a"b' })).toThrow(ConfigurationError);
    expect(() => failure('ERR_TOKEN_EXPIRED', { schemes: ['Bearer x'] })).toThrow(ConfigurationError);
  });
});

describe('SECURITY 9: no reflection of request data', () => {
  const hostile = [
    `"\r\nSet-Cookie: pwned=1`,
    '\\"injected\\"',
    '<script>alert(1)</script>',
    `${b64url({ alg: 'RS256', typ: 'at+jwt', kid: '"\r\nX: 1' })}.${b64url({ sub: '"\r\n' })}.AAAA`,
  ];

  it.each(hostile)('SECURITY 9: a hostile Authorization value never appears in the answer (%#)', async (value) => {
    const verifier = verifierWith([key], { realm: 'api' });
    for (const request of [bearer(value), requestWith([['Authorization', value]]), bearer(Buffer.from(value).toString('base64url'))]) {
      const result = (await verifier.verifyRequest(request)) as VerifyFailure;
      expect(result.ok).toBe(false);
      const rendered = JSON.stringify(result);
      expect(rendered).not.toContain(value);
      expect(result.challenge).not.toMatch(/[\r\n]/);
      expect(result.description).toMatch(RFC6750_DESCRIPTION);
    }
  });

  it('SECURITY 9: a token whose claims carry CR/LF and quotes gets a fixed description', async () => {
    const token = await signToken(key, claimsAt({ aud: '"\r\nX-Evil: 1', sub: '\\"' }));
    const result = (await verifierWith([key]).verifyToken(token, null)) as VerifyFailure;
    expect(result.code).toBe('ERR_AUDIENCE_MISMATCH');
    expect(JSON.stringify(result)).not.toContain('X-Evil');
  });

  it('SECURITY 9: failures are shared frozen objects that callers cannot alter', async () => {
    const verifier = verifierWith([key]);
    const first = (await verifier.verifyRequest(requestWith([]))) as VerifyFailure;
    const second = (await verifier.verifyRequest(requestWith([]))) as VerifyFailure;
    expect(first).toBe(second);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { challenge: string }).challenge = 'Basic';
    }).toThrow(TypeError);
  });

  it('SECURITY 9: a throwing input object fails closed as 401, never a rejection', async () => {
    const verifier = verifierWith([key]);
    const input = {
      get headers(): never {
        throw new Error('boom');
      },
    };
    const result = await verifier.verifyRequest(input as never);
    expect(result).toMatchObject({ ok: false, status: 401, code: 'ERR_VERIFICATION_FAILED' });
    expect(JSON.stringify(result)).not.toContain('boom');
  });
});
