// docs/security.md rules 5 and 6 end to end: a real node:https server asking for client certificates
// (requestCert, rejectUnauthorized false: the binding decides, RFC 8705 §6.2) calling verifyRequest.
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier, VerifierEvent } from '../src/types.js';
import { claimsAt, createTestKey, signToken, verifierWith, type TestKey } from './helpers/tokens.js';

let pki: DevPki;
let a: IssuedCertificate;
let b: IssuedCertificate;
let key: TestKey;
let verifier: Verifier;
let server: Server;
let port: number;
let tokenForA: string;
const events: VerifierEvent[] = [];

beforeAll(async () => {
  [pki, key] = await Promise.all([createDevPki(), createTestKey('ES256', 'es')]);
  a = pki.clients['client-a']!;
  b = pki.clients['client-b']!;
  tokenForA = await signToken(key, claimsAt({ cnf: { 'x5t#S256': a.thumbprint } }));
  verifier = verifierWith([key], { onEvent: (event) => events.push(event) });
  server = createServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    void verifier.verifyRequest({ headers: req.headers, rawHeaders: req.rawHeaders, socket: req.socket, url: req.url ?? '/' }).then((result) => {
      if (result.ok) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: result.claims.sub, thumbprint: result.thumbprint }));
      } else {
        res.writeHead(result.status, { 'www-authenticate': result.challenge, 'content-type': 'application/json' }).end(JSON.stringify(result.body));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await verifier.close();
});

interface Answer {
  status: number;
  challenge: string | undefined;
  body: Record<string, unknown>;
}

function call(agent: Agent, token: string, scheme = 'mtls_pop'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/orders', agent, headers: { authorization: `${scheme} ${token}` } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, challenge: response.headers['www-authenticate'], body: JSON.parse(text) as Record<string, unknown> }),
      );
    })
      .on('error', reject)
      .end();
  });
}

function agentFor(certificate: IssuedCertificate | null, extra: ConstructorParameters<typeof Agent>[0] = {}): Agent {
  return new Agent({ keepAlive: true, ca: pki.ca.cert, ...(certificate === null ? {} : { cert: certificate.cert, key: certificate.key }), ...extra });
}

describe('SECURITY 5/6: mTLS over a real node:https server', () => {
  it('SECURITY 5: a token bound to certificate A is accepted on a connection presenting A', async () => {
    const agent = agentFor(a);
    const answer = await call(agent, tokenForA);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sub: 'subject-1', thumbprint: a.thumbprint });
    agent.destroy();
  });

  it('SECURITY 5: the same token on a connection presenting B is refused with 401 invalid_token', async () => {
    const agent = agentFor(b);
    const answer = await call(agent, tokenForA);
    expect(answer.status).toBe(401);
    expect(answer.challenge).toContain('Bearer error="invalid_token"');
    expect(answer.challenge).toContain('mtls_pop error="invalid_token"');
    expect(answer.body).toEqual({ error: 'invalid_token', error_description: 'The access token is bound to another client certificate' });
    agent.destroy();
  });

  it('SECURITY 5: the same token without a client certificate is refused with 401 invalid_token', async () => {
    const agent = agentFor(null);
    const answer = await call(agent, tokenForA);
    expect(answer.status).toBe(401);
    expect(answer.body['error']).toBe('invalid_token');
    expect(events.at(-1)).toMatchObject({ type: 'rejected', code: 'ERR_CERTIFICATE_MISSING', thumbprint: null, subject: 'subject-1', clientId: 'client-1' });
    agent.destroy();
  });

  it('SECURITY 6: every request on a keep-alive connection is judged by that connection certificate (B stays refused)', async () => {
    const agentB = agentFor(b, { maxSockets: 1 });
    const agentA = agentFor(a, { maxSockets: 1 });
    for (let i = 0; i < 5; i++) {
      expect((await call(agentA, tokenForA, 'Bearer')).status).toBe(200);
      expect((await call(agentB, tokenForA, 'Bearer')).status).toBe(401);
    }
    agentA.destroy();
    agentB.destroy();
  });

  it('SECURITY 6: TLS 1.2 connections (which could renegotiate) are read per request and bind the same way', async () => {
    const agentA = agentFor(a, { maxVersion: 'TLSv1.2', maxSockets: 1 });
    const agentB = agentFor(b, { maxVersion: 'TLSv1.2', maxSockets: 1 });
    expect((await call(agentA, tokenForA)).status).toBe(200);
    expect((await call(agentB, tokenForA)).status).toBe(401);
    expect((await call(agentA, tokenForA)).status).toBe(200);
    agentA.destroy();
    agentB.destroy();
  });

  it('SECURITY 5: a certificate from another CA is judged by its thumbprint only (RFC 8705 §6.2), so it does not match A', async () => {
    const stranger = await pki.otherCa.issue({ commonName: 'stranger', usage: 'client' });
    const agent = agentFor(stranger);
    expect((await call(agent, tokenForA)).status).toBe(401);
    const tokenForStranger = await signToken(key, claimsAt({ cnf: { 'x5t#S256': stranger.thumbprint } }));
    expect((await call(agent, tokenForStranger)).status).toBe(200);
    agent.destroy();
  });
});
