// docs/security.md rule 8: HTTP framing. Exactly one Authorization header (rawHeaders reveal the duplicates Node drops),
// one transmission method, no query-string tokens, case-insensitive schemes, a capped token length.
import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier, VerifyResult } from '../src/types.js';
import { bearer, claimsAt, createTestKey, requestWith, signToken, verifierWith, type TestKey } from './helpers/tokens.js';

let key: TestKey;
let token: string;
let verifier: Verifier;

beforeAll(async () => {
  key = await createTestKey('ES256', 'es');
  token = await signToken(key, claimsAt());
  verifier = verifierWith([key], { binding: 'if-present' });
});

function code(result: VerifyResult): string {
  return result.ok ? 'OK' : result.code;
}

describe('SECURITY 8: the Authorization header', () => {
  it('SECURITY 8: no credentials → 401 with a challenge per scheme and no error code', async () => {
    const result = await verifier.verifyRequest(requestWith([['Host', 'api']]));
    expect(result).toMatchObject({ ok: false, status: 401, error: undefined, code: 'ERR_NO_CREDENTIALS', challenge: 'Bearer, mtls_pop' });
    if (!result.ok) expect(result.body).toEqual({ error: 'unauthorized', error_description: 'Authentication required' });
  });

  it('SECURITY 8: another scheme (Basic) is treated like no credentials: 401 without an error code', async () => {
    const result = await verifier.verifyRequest(requestWith([['Authorization', 'Basic dXNlcjpwYXNz']]));
    expect(result).toMatchObject({ status: 401, error: undefined, code: 'ERR_UNSUPPORTED_SCHEME' });
    if (!result.ok) expect(result.challenge).not.toContain('error=');
  });

  it.each([
    ['Bearer', 'Bearer'],
    ['bearer', 'Bearer'],
    ['BEARER', 'Bearer'],
    ['mtls_pop', 'mtls_pop'],
    ['MTLS_POP', 'mtls_pop'],
    ['Mtls_Pop', 'mtls_pop'],
  ])('SECURITY 8: scheme %s is accepted case-insensitively and reported as %s', async (scheme, normalised) => {
    const result = await verifier.verifyRequest(bearer(token, scheme));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.scheme).toBe(normalised);
  });

  it('SECURITY 8: several spaces between scheme and token are allowed (1*SP)', async () => {
    expect(code(await verifier.verifyRequest(requestWith([['Authorization', `Bearer   ${token}`]])))).toBe('OK');
  });

  it('SECURITY 8: only the configured schemes are accepted', async () => {
    const popOnly = verifierWith([key], { binding: 'if-present', schemes: ['mtls_pop'] });
    expect(code(await popOnly.verifyRequest(bearer(token, 'Bearer')))).toBe('ERR_UNSUPPORTED_SCHEME');
    expect(code(await popOnly.verifyRequest(bearer(token, 'mtls_pop')))).toBe('OK');
  });

  it.each([
    ['two identical Authorization headers', () => [['Authorization', `Bearer ${token}`], ['Authorization', `Bearer ${token}`]]],
    ['Authorization in two spellings', () => [['authorization', `Bearer ${token}`], ['AUTHORIZATION', 'Bearer other']]],
    ['a valid header and an empty one', () => [['Authorization', `Bearer ${token}`], ['Authorization', '']]],
    ['a Basic header followed by a Bearer header', () => [['Authorization', 'Basic dXNlcjpwYXNz'], ['Authorization', `Bearer ${token}`]]],
  ])('SECURITY 8: refuses %s with 400 invalid_request', async (_name, headers) => {
    const result = await verifier.verifyRequest(requestWith(headers() as [string, string][]));
    expect(result).toMatchObject({ ok: false, status: 400, error: 'invalid_request', code: 'ERR_AUTHORIZATION_DUPLICATE' });
  });

  it('SECURITY 8: refuses an Authorization array handed over by an adapter', async () => {
    const result = await verifier.verifyRequest({ headers: { authorization: [`Bearer ${token}`, 'Bearer x'] as never } });
    expect(code(result)).toBe('ERR_AUTHORIZATION_DUPLICATE');
  });

  it.each([
    ['an empty value', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['a tab instead of a space', `Bearer\t${token}`],
    ['two tokens', `Bearer ${token} ${token}`],
    ['a quoted token', `Bearer "${token}"`],
    ['a comma-joined list', `Bearer ${token}, Bearer ${token}`],
    ['padding in the middle', 'Bearer abc=def'],
    ['a control character', `Bearer ${token}\u0000`],
    ['a non-ASCII character', `Bearer ${token}é`],
    ['auth-params instead of token68', 'Bearer token="abc"'],
    ['a scheme that is not a token', `Be@rer ${token}`],
  ])('SECURITY 8: refuses %s with 400 invalid_request', async (_name, value) => {
    const result = await verifier.verifyRequest(requestWith([['Authorization', value]]));
    expect(result).toMatchObject({ ok: false, status: 400, error: 'invalid_request', code: 'ERR_AUTHORIZATION_MALFORMED' });
  });

  it('SECURITY 8: caps the token length (400 before any parsing)', async () => {
    const short = verifierWith([key], { binding: 'if-present', maxTokenLength: 64 });
    expect(code(await short.verifyRequest(bearer(token)))).toBe('ERR_TOKEN_TOO_LONG');
    const huge = `${'a'.repeat(200_000)}.${'b'.repeat(10)}.c`;
    const result = await verifier.verifyRequest(bearer(huge));
    expect(result).toMatchObject({ status: 400, error: 'invalid_request', code: 'ERR_TOKEN_TOO_LONG' });
  });

  it('SECURITY 8: never reads a token from a cookie', async () => {
    expect(code(await verifier.verifyRequest(requestWith([['Cookie', `access_token=${token}`]])))).toBe('ERR_NO_CREDENTIALS');
  });
});

describe('SECURITY 8: query-string tokens', () => {
  it.each([
    ['/api?access_token={token}'],
    ['/api?x=1&access_token={token}'],
    ['/api?ACCESS_TOKEN={token}'],
    ['/api?access%5Ftoken={token}'],
    ['/api?access%5ftoken={token}&y=2'],
    ['/api?access_token'],
  ])('SECURITY 8: refuses %s with 400 invalid_request', async (url) => {
    const result = await verifier.verifyRequest({ ...requestWith([]), url: url.replace('{token}', token) });
    expect(result).toMatchObject({ status: 400, error: 'invalid_request', code: 'ERR_QUERY_TOKEN' });
  });

  it('SECURITY 8: refuses a request carrying the token both in the header and in the query (one method only)', async () => {
    const result = await verifier.verifyRequest({ ...bearer(token), url: `/api?access_token=${token}` });
    expect(result).toMatchObject({ status: 400, error: 'invalid_request', code: 'ERR_MULTIPLE_METHODS' });
  });

  it('SECURITY 8: other query parameters are not tokens', async () => {
    expect(code(await verifier.verifyRequest({ ...bearer(token), url: '/api?access_tokens=1&token=x&q=access_token' }))).toBe('OK');
    expect(code(await verifier.verifyRequest({ ...bearer(token), url: '/api?x=%zz#access_token=1' }))).toBe('OK');
  });
});

describe('SECURITY 8: duplicate headers on a real node:http server', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      void verifier.verifyRequest({ headers: request.headers, rawHeaders: request.rawHeaders, socket: request.socket, url: request.url ?? '/' }).then((result) => {
        if (result.ok) {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: result.claims.sub }));
        } else {
          response.writeHead(result.status, { 'www-authenticate': result.challenge, 'content-type': 'application/json' }).end(JSON.stringify(result.body));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function rawExchange(head: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(head));
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  }

  it('SECURITY 8: one Authorization header → 200', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: '/', headers: { authorization: `Bearer ${token}` } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
  });

  it('SECURITY 8: two Authorization headers on the wire → 400 invalid_request although Node keeps only the first', async () => {
    const answer = await rawExchange(`GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer forged\r\nConnection: close\r\n\r\n`);
    expect(answer.startsWith('HTTP/1.1 400')).toBe(true);
    expect(answer).toMatch(/www-authenticate: Bearer error="invalid_request"/i);
  });
});
