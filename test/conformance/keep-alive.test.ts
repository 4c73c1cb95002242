/**
 * docs/security.md rule 10 over real keep-alive mTLS connections: each example API (in-process, one configuration
 * file) answers a run of requests on ONE connection, where the verifier remembers the connection's accepted token.
 * Repeats are accepted; expiry, another token, a replayed token of another certificate and a query token are each
 * decided on their own, on the same connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { loadConfig, type CertboundConfig } from '@certbound/core';
import { startServer as startExpress } from '../../examples/express-api/src/server.js';
import { startServer as startFastify } from '../../examples/fastify-api/src/server.js';
import { startServer as startKoa } from '../../examples/koa-api/src/server.js';
import { REQUIRED_ROLE, REQUIRED_SCOPE, createAuthFixture, type AuthFixture } from '../support/index.js';

const EXAMPLES = [
  { name: 'koa-api', startServer: startKoa },
  { name: 'express-api', startServer: startExpress },
  { name: 'fastify-api', startServer: startFastify },
] as const;

let fixture: AuthFixture;
let config: CertboundConfig;

beforeAll(async () => {
  fixture = await createAuthFixture();
  config = await loadConfig(await fixture.writeConfig('keep-alive.json'));
});

afterAll(async () => {
  await fixture?.close();
});

for (const { name, startServer } of EXAMPLES) {
  describe(`docs/security.md rule 10: examples/${name}, one keep-alive mTLS connection`, () => {
    it('repeats are accepted; expiry, another token, another certificate’s token and a query token are decided afresh', async () => {
      let offsetMs = 0; // the server's clock runs ahead of the issuer's by this much
      const server = await startServer(config, { verifierOptions: { currentTime: () => Date.now() + offsetMs } });
      const tls = fixture.tls('client-a');
      // One connection at a time; every new one is counted.
      const agent = new Agent({ connections: 1, pipelining: 1, keepAliveTimeout: 60_000, connect: { ca: tls.ca, cert: tls.cert!, key: tls.key! } });
      let connections = 0;
      agent.on('connect', () => connections++);
      const claims = { scp: REQUIRED_SCOPE, roles: [REQUIRED_ROLE] };
      const mint = (subject: string, thumbprintOf: 'client-a' | 'client-b' = 'client-a') =>
        fixture.issuer.mint({ thumbprint: fixture.thumbprint(thumbprintOf), lifetimeSeconds: 120, claims: { ...claims, sub: subject } });
      const call = async (token: string, path = '/whoami') => {
        const response = await request(`${server.url}${path}`, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
        const body = await response.body.text();
        return { status: response.statusCode, challenge: response.headers['www-authenticate'], subject: response.statusCode === 200 ? (JSON.parse(body) as { sub: string }).sub : undefined };
      };
      try {
        const first = mint('subject-one');
        for (let i = 0; i < 3; i++) expect(await call(first)).toMatchObject({ status: 200, subject: 'subject-one' });
        offsetMs = 121_000 + 30_000; // past exp and the default 30 s leeway
        expect(await call(first)).toMatchObject({ status: 401, challenge: expect.stringContaining('error="invalid_token"') });
        offsetMs = 0;
        expect(await call(first)).toMatchObject({ status: 200, subject: 'subject-one' });
        expect(await call(mint('subject-two'))).toMatchObject({ status: 200, subject: 'subject-two' });
        expect(await call(mint('subject-three', 'client-b'))).toMatchObject({ status: 401, challenge: expect.stringContaining('error="invalid_token"') });
        expect(await call(first, '/whoami?access_token=x')).toMatchObject({ status: 400, challenge: expect.stringContaining('error="invalid_request"') });
        expect(await call(first)).toMatchObject({ status: 200, subject: 'subject-one' });
        expect(connections).toBe(1);
      } finally {
        await agent.close();
        await server.close();
      }
    });
  });
}
