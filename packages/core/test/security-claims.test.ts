// docs/security.md rule 4: claims. Exact iss (string, list, Entra templates), aud contains ours, exp required, nbf/iat
// not in the future beyond the leeway, numeric dates finite numbers, an explicit typ set, required claims.
import { beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../src/types.js';
import { NOW, claimsAt, createTestKey, headerFor, signCompact, signToken, verifierWith, type TestKey } from './helpers/tokens.js';

let key: TestKey;

beforeAll(async () => {
  key = await createTestKey('ES256', 'es');
});

function code(result: VerifyResult): string {
  return result.ok ? 'OK' : result.code;
}

async function check(claims: Record<string, unknown>, options: Parameters<typeof verifierWith>[1] = {}): Promise<string> {
  const verifier = verifierWith([key], { binding: 'if-present', ...options });
  return code(await verifier.verifyToken(await signToken(key, claims), null));
}

/** Claims as raw JSON text, for values SignJWT refuses to produce (1e999, duplicate members). */
async function checkRaw(json: string): Promise<string> {
  const verifier = verifierWith([key], { binding: 'if-present' });
  return code(await verifier.verifyToken(signCompact(key, headerFor(key), json), null));
}

describe('SECURITY 4: exp', () => {
  it.each([
    ['missing', undefined, 'ERR_CLAIM_MISSING'],
    ['a string', String(NOW + 600), 'ERR_CLAIM_INVALID'],
    ['null', null, 'ERR_CLAIM_INVALID'],
    ['a boolean', true, 'ERR_CLAIM_INVALID'],
    ['an array', [NOW + 600], 'ERR_CLAIM_INVALID'],
    ['an object', { value: NOW + 600 }, 'ERR_CLAIM_INVALID'],
    ['negative', -1, 'ERR_TOKEN_EXPIRED'],
    ['zero', 0, 'ERR_TOKEN_EXPIRED'],
    ['past beyond the leeway', NOW - 31, 'ERR_TOKEN_EXPIRED'],
    ['exactly now minus the leeway', NOW - 30, 'ERR_TOKEN_EXPIRED'],
    ['past within the leeway', NOW - 29, 'OK'],
    ['fractional and valid', NOW + 0.5, 'OK'],
    ['huge but finite', 1e15, 'OK'],
  ])('SECURITY 4: exp %s → %s', async (_name, exp, expected) => {
    expect(await check(claimsAt({ exp }))).toBe(expected);
  });

  it('SECURITY 4: refuses exp of 1e999 (Infinity after JSON parsing) — stricter than jose, which accepts it', async () => {
    expect(await checkRaw(`{"iss":"${claimsAt().iss}","aud":"${claimsAt().aud}","exp":1e999}`)).toBe('ERR_CLAIM_INVALID');
  });

  it('SECURITY 4: refuses exp written as a NaN-like string', async () => {
    expect(await checkRaw(`{"iss":"${claimsAt().iss}","aud":"${claimsAt().aud}","exp":"NaN"}`)).toBe('ERR_CLAIM_INVALID');
  });

  it('SECURITY 4: uses the last of duplicate exp members, as JSON.parse and jose do', async () => {
    expect(await checkRaw(`{"iss":"${claimsAt().iss}","aud":"${claimsAt().aud}","exp":${NOW + 600},"exp":${NOW - 600}}`)).toBe('ERR_TOKEN_EXPIRED');
  });
});

describe('SECURITY 4: nbf and iat', () => {
  it.each([
    ['nbf beyond the leeway', { nbf: NOW + 31 }, 'ERR_TOKEN_NOT_YET_VALID'],
    ['nbf within the leeway', { nbf: NOW + 30 }, 'OK'],
    ['nbf a string', { nbf: String(NOW) }, 'ERR_CLAIM_INVALID'],
    ['nbf null', { nbf: null }, 'ERR_CLAIM_INVALID'],
    ['iat beyond the leeway (stricter than jose without maxTokenAge)', { iat: NOW + 31 }, 'ERR_TOKEN_ISSUED_IN_FUTURE'],
    ['iat within the leeway', { iat: NOW + 30 }, 'OK'],
    ['iat a string', { iat: 'yesterday' }, 'ERR_CLAIM_INVALID'],
    ['nbf and iat absent', { nbf: undefined, iat: undefined }, 'OK'],
  ])('SECURITY 4: %s → %s', async (_name, overrides, expected) => {
    expect(await check(claimsAt(overrides))).toBe(expected);
  });

  it('SECURITY 4: refuses nbf of -1e999 and iat of 1e999 (non-finite numeric dates)', async () => {
    const base = `"iss":"${claimsAt().iss}","aud":"${claimsAt().aud}","exp":${NOW + 600}`;
    expect(await checkRaw(`{${base},"nbf":-1e999}`)).toBe('ERR_CLAIM_INVALID');
    expect(await checkRaw(`{${base},"iat":1e999}`)).toBe('ERR_CLAIM_INVALID');
  });

  it('SECURITY 4: honours clockToleranceSeconds', async () => {
    expect(await check(claimsAt({ exp: NOW - 5 }), { clockToleranceSeconds: 0 })).toBe('ERR_TOKEN_EXPIRED');
    expect(await check(claimsAt({ exp: NOW - 100 }), { clockToleranceSeconds: 120 })).toBe('OK');
  });

  it('SECURITY 4: a frozen clock decides (currentTime)', async () => {
    const token = await signToken(key, claimsAt({ exp: NOW + 60 }));
    let now = NOW * 1000;
    const verifier = verifierWith([key], { binding: 'if-present', currentTime: () => now, cache: false });
    expect(code(await verifier.verifyToken(token, null))).toBe('OK');
    now = (NOW + 91) * 1000;
    expect(code(await verifier.verifyToken(token, null))).toBe('ERR_TOKEN_EXPIRED');
  });
});

describe('SECURITY 4: aud', () => {
  it.each([
    ['wrong', { aud: 'api://other' }, 'ERR_AUDIENCE_MISMATCH'],
    ['missing', { aud: undefined }, 'ERR_CLAIM_MISSING'],
    ['an empty array', { aud: [] }, 'ERR_AUDIENCE_MISMATCH'],
    ['an array without ours', { aud: ['api://a', 'api://b'] }, 'ERR_AUDIENCE_MISMATCH'],
    ['an array containing ours', { aud: ['api://a', claimsAt().aud] }, 'OK'],
    ['an array of ours nested in an array', { aud: [[claimsAt().aud]] }, 'ERR_AUDIENCE_MISMATCH'],
    ['a number', { aud: 1 }, 'ERR_AUDIENCE_MISMATCH'],
    ['an object', { aud: { [String(claimsAt().aud)]: true } }, 'ERR_AUDIENCE_MISMATCH'],
    ['ours with a trailing slash', { aud: `${String(claimsAt().aud)}/` }, 'ERR_AUDIENCE_MISMATCH'],
    ['ours in another case', { aud: String(claimsAt().aud).toUpperCase() }, 'ERR_AUDIENCE_MISMATCH'],
  ])('SECURITY 4: aud %s → %s', async (_name, overrides, expected) => {
    expect(await check(claimsAt(overrides))).toBe(expected);
  });

  it('SECURITY 4: accepts any of several configured audiences', async () => {
    expect(await check(claimsAt({ aud: 'api://second' }), { audience: [String(claimsAt().aud), 'api://second'] })).toBe('OK');
  });
});

describe('SECURITY 4: iss', () => {
  const iss = String(claimsAt().iss);
  it.each([
    ['with a trailing slash', { iss: `${iss}/` }, 'ERR_ISSUER_MISMATCH'],
    ['in another case', { iss: iss.toUpperCase() }, 'ERR_ISSUER_MISMATCH'],
    ['with a prefix of ours', { iss: iss.slice(0, -1) }, 'ERR_ISSUER_MISMATCH'],
    ['missing', { iss: undefined }, 'ERR_CLAIM_MISSING'],
    ['an array holding ours', { iss: [iss] }, 'ERR_ISSUER_MISMATCH'],
    ['a number', { iss: 1 }, 'ERR_ISSUER_MISMATCH'],
  ])('SECURITY 4: iss %s → %s', async (_name, overrides, expected) => {
    expect(await check(claimsAt(overrides))).toBe(expected);
  });

  it('SECURITY 4: accepts any issuer of a list, exactly', async () => {
    expect(await check(claimsAt({ iss: 'https://b.example' }), { issuer: ['https://a.example', 'https://b.example'] })).toBe('OK');
    expect(await check(claimsAt({ iss: 'https://c.example' }), { issuer: ['https://a.example', 'https://b.example'] })).toBe('ERR_ISSUER_MISMATCH');
  });

  describe('Entra {tenantid} templates', () => {
    const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const v2 = 'https://login.microsoftonline.com/{tenantid}/v2.0';
    const v1 = 'https://sts.windows.net/{tenantid}/';
    it.each([
      ['v2 issuer with its tid', v2, { iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid }, 'OK'],
      ['v1 issuer with its tid', v1, { iss: `https://sts.windows.net/${tid}/`, tid }, 'OK'],
      ['v2 issuer with another tenant in tid', v2, { iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid: '00000000-0000-0000-0000-000000000000' }, 'ERR_ISSUER_MISMATCH'],
      ['tid missing', v2, { iss: `https://login.microsoftonline.com/${tid}/v2.0` }, 'ERR_ISSUER_MISMATCH'],
      ['tid a number', v2, { iss: 'https://login.microsoftonline.com/42/v2.0', tid: 42 }, 'ERR_ISSUER_MISMATCH'],
      ['tid containing a path', v2, { iss: 'https://login.microsoftonline.com/evil/x/v2.0', tid: 'evil/x' }, 'ERR_ISSUER_MISMATCH'],
      ['tid that rewrites the host', v2, { iss: 'https://login.microsoftonline.com/@evil.example/v2.0', tid: '@evil.example' }, 'ERR_ISSUER_MISMATCH'],
      ['v1 issuer without its trailing slash', v1, { iss: `https://sts.windows.net/${tid}`, tid }, 'ERR_ISSUER_MISMATCH'],
      ['the literal template as iss', v2, { iss: v2, tid: '{tenantid}' }, 'ERR_ISSUER_MISMATCH'],
    ])('SECURITY 4: %s → %s', async (_name, issuer, overrides, expected) => {
      expect(await check(claimsAt(overrides), { issuer: [issuer] })).toBe(expected);
    });

    it('SECURITY 4: v1 and v2 templates side by side', async () => {
      const issuer = [v2, v1];
      expect(await check(claimsAt({ iss: `https://sts.windows.net/${tid}/`, tid }), { issuer })).toBe('OK');
      expect(await check(claimsAt({ iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid }), { issuer })).toBe('OK');
    });
  });
});

describe('SECURITY 4: typ is an explicit set', () => {
  async function typed(typ: unknown, tokenTypes?: string[]): Promise<string> {
    const header = typ === undefined ? { alg: key.alg, kid: key.kid } : headerFor(key, { typ });
    const verifier = verifierWith([key], { binding: 'if-present', ...(tokenTypes === undefined ? {} : { tokenTypes }) });
    return code(await verifier.verifyToken(signCompact(key, header, claimsAt()), null));
  }

  it.each([
    ['at+jwt', 'OK'],
    ['AT+JWT', 'OK'],
    ['application/at+jwt', 'OK'],
    ['Application/AT+JWT', 'OK'],
    ['JWT', 'ERR_TYP_NOT_ALLOWED'],
    ['jwt', 'ERR_TYP_NOT_ALLOWED'],
    ['at+jwt ', 'ERR_TYP_NOT_ALLOWED'],
    ['text/at+jwt', 'ERR_TYP_NOT_ALLOWED'],
    ['', 'ERR_TYP_NOT_ALLOWED'],
  ])('SECURITY 4: default set with typ %j → %s', async (typ, expected) => {
    expect(await typed(typ)).toBe(expected);
  });

  it('SECURITY 4: refuses a missing or non-string typ', async () => {
    expect(await typed(undefined)).toBe('ERR_TYP_NOT_ALLOWED');
    expect(await typed(1)).toBe('ERR_TYP_NOT_ALLOWED');
    expect(await typed(['at+jwt'])).toBe('ERR_TYP_NOT_ALLOWED');
  });

  it('SECURITY 4: Entra v2 tokens (typ JWT) are accepted only when JWT is configured', async () => {
    expect(await typed('JWT', ['at+jwt', 'JWT'])).toBe('OK');
    expect(await typed('at+jwt', ['JWT'])).toBe('ERR_TYP_NOT_ALLOWED');
  });
});

describe('SECURITY 4: required claims', () => {
  it('SECURITY 4: refuses a token without a configured required claim', async () => {
    expect(await check(claimsAt({ tid: undefined }), { requiredClaims: ['tid', 'sub'] })).toBe('ERR_CLAIM_MISSING');
    expect(await check(claimsAt({ tid: 't' }), { requiredClaims: ['tid', 'sub'] })).toBe('OK');
  });

  it('SECURITY 4: refuses claims that are not a JSON object', async () => {
    const verifier = verifierWith([key], { binding: 'if-present' });
    for (const payload of ['[1,2]', '"claims"', 'null', '42', '{"iss":', '\u00ff']) {
      expect(code(await verifier.verifyToken(signCompact(key, headerFor(key), payload), null)), payload).toBe('ERR_JWT_MALFORMED');
    }
  });

  it('SECURITY 4: refuses claims that are not valid UTF-8', async () => {
    const verifier = verifierWith([key], { binding: 'if-present' });
    const bytes = Buffer.concat([Buffer.from(`{"iss":"${String(claimsAt().iss)}","x":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(code(await verifier.verifyToken(signCompact(key, headerFor(key), bytes), null))).toBe('ERR_JWT_MALFORMED');
  });
});
