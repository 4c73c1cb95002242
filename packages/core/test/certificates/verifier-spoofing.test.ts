// SECURITY 7 end to end: a token bound to a forwarded certificate, verified by createVerifier behind a real
// node:http server on 127.0.0.1, sent from the trusted proxy address and from another loopback address.
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/verify/verifier.js';
import type { Jwk, Verifier, VerifierEvent, VerifierOptions } from '../../src/types.js';
import { hexSha256, pemOf, testPki, type TestPki } from './support.js';
import { ConfigurationError, headerSource, staticKeys, type HeaderSourceOptions } from '../../src/index.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api://certbound-test';

async function request(port: number, localAddress: string, headers: http.OutgoingHttpHeaders): Promise<{ status: number; challenge: string | undefined; body: string }> {
  const req = http.request({ host: '127.0.0.1', port, path: '/whoami', localAddress, headers, agent: false });
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'], body: Buffer.concat(chunks).toString('utf8') };
}

describe('SECURITY 7: createVerifier with a header certificate source over real sockets', () => {
  let pki: TestPki;
  let server: http.Server;
  let port = 0;
  let verifier: Verifier;
  let tokenForA = '';
  let baseOptions: VerifierOptions;
  const events: VerifierEvent[] = [];

  beforeAll(async () => {
    pki = await testPki();
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk: Jwk = { ...(await exportJWK(publicKey)), kty: 'EC', kid: 'k1', alg: 'ES256', use: 'sig' };
    baseOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: staticKeys({ keys: [jwk] }) };
    tokenForA = await new SignJWT({ cnf: { 'x5t#S256': pki.a.thumbprint }, client_id: 'client-a' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('client-a')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    verifier = createVerifier({
      ...baseOptions,
      certificateSource: headerSource({ format: 'nginx', trustedProxies: ['127.0.0.1/32'] }),
      onEvent: (event) => events.push(event),
    });
    server = http.createServer((req, res) => {
      void verifier.verifyRequest({ headers: req.headers, rawHeaders: req.rawHeaders, socket: req.socket }).then((result) => {
        res.setHeader('connection', 'close');
        if (result.ok) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: result.claims.sub, thumbprint: result.thumbprint }));
        } else {
          res.writeHead(result.status, { 'content-type': 'application/json', 'www-authenticate': result.challenge }).end(JSON.stringify(result.body));
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.close();
    server.closeAllConnections();
    await once(server, 'close');
    await verifier.close();
  });

  it('accepts the bound token with the forwarded certificate from 127.0.0.1 and refuses it (401) from 127.0.0.2', async () => {
    const headers = { authorization: `Bearer ${tokenForA}`, 'x-ssl-client-cert': encodeURIComponent(pemOf(pki.a.der)) };
    events.length = 0;
    const trusted = await request(port, '127.0.0.1', headers);
    expect(trusted.status).toBe(200);
    expect(JSON.parse(trusted.body)).toEqual({ sub: 'client-a', thumbprint: pki.a.thumbprint });
    expect(events.some((e) => e.type === 'untrusted-proxy-header')).toBe(false);

    const untrusted = await request(port, '127.0.0.2', headers);
    expect(untrusted.status).toBe(401);
    expect(untrusted.challenge).toMatch(/^Bearer /);
    const ignored = events.find((e) => e.type === 'untrusted-proxy-header');
    expect(ignored).toMatchObject({ type: 'untrusted-proxy-header', remoteAddress: '127.0.0.2', thumbprint: null });
    expect(events.find((e) => e.type === 'rejected')).toMatchObject({ code: 'ERR_CERTIFICATE_MISSING' });
  });

  it('refuses a forwarded certificate that does not match the token, and malformed or duplicated headers, with RFC 6750 errors', async () => {
    const wrong = await request(port, '127.0.0.1', { authorization: `Bearer ${tokenForA}`, 'x-ssl-client-cert': encodeURIComponent(pemOf(pki.b.der)) });
    expect(wrong.status).toBe(401);
    expect(wrong.challenge).toMatch(/error="invalid_token"/);

    const malformed = await request(port, '127.0.0.1', { authorization: `Bearer ${tokenForA}`, 'x-ssl-client-cert': '%ZZ' });
    expect(malformed.status).toBe(400);
    expect(malformed.challenge).toMatch(/error="invalid_request"/);
    expect(malformed.body).not.toContain('%ZZ');

    const value = encodeURIComponent(pemOf(pki.a.der));
    const duplicated = await request(port, '127.0.0.1', { authorization: `Bearer ${tokenForA}`, 'x-ssl-client-cert': [value, value] });
    expect(duplicated.status).toBe(400);
    expect(duplicated.challenge).toMatch(/error="invalid_request"/);
  });

  it('a hash that disagrees with the forwarded certificate is refused even though the certificate matches the token', async () => {
    const withHash = createVerifier({
      ...baseOptions,
      certificateSource: headerSource({ format: 'nginx', trustedProxies: ['127.0.0.1/32'], hashHeader: 'x-ssl-client-sha256' }),
    });
    try {
      const value = encodeURIComponent(pemOf(pki.a.der));
      const lie = await withHash.verifyRequest({
        headers: { authorization: `Bearer ${tokenForA}`, 'x-ssl-client-cert': value, 'x-ssl-client-sha256': hexSha256(pki.b.der) },
        remoteAddress: '127.0.0.1',
      });
      expect(lie).toMatchObject({ ok: false, code: 'ERR_CERTIFICATE_HASH_MISMATCH', status: 400 });
      const agree = await withHash.verifyRequest({
        headers: { authorization: `Bearer ${tokenForA}`, 'x-ssl-client-cert': value, 'x-ssl-client-sha256': hexSha256(pki.a.der) },
        remoteAddress: '127.0.0.1',
      });
      expect(agree).toMatchObject({ ok: true, thumbprint: pki.a.thumbprint });
    } finally {
      await withHash.close();
    }
  });

  it('createVerifier refuses a header source without trustedProxies at startup', () => {
    const options = () => ({ ...baseOptions, certificateSource: headerSource({ format: 'nginx' } as unknown as HeaderSourceOptions) });
    expect(() => createVerifier(options())).toThrow(ConfigurationError);
    expect(() => createVerifier(options())).toThrow(/certificateSource\.trustedProxies/);
    const empty = () => ({ ...baseOptions, certificateSource: headerSource({ format: 'xfcc', trustedProxies: [] }) });
    expect(() => createVerifier(empty())).toThrow(ConfigurationError);
  });
});
