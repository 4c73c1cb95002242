/**
 * Slow and oversized clients against the example APIs over real TLS sockets: a client that trickles its
 * header section is cut off by the header timeout (408, then the connection closes), and the header size limit sits
 * above the verifier's caps, so a long token gets the verifier's 400 and only a header section over the limit a 431.
 */
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@certbound/core';
import { SERVER_LIMITS } from '../../examples/shared/src/listen.js';
import { startServer as startExpress } from '../../examples/express-api/src/server.js';
import { startServer as startFastify } from '../../examples/fastify-api/src/server.js';
import { startServer as startHono } from '../../examples/hono-api/src/server.js';
import { startServer as startKoa } from '../../examples/koa-api/src/server.js';
import { startServer as startNest } from '../../examples/nestjs-api/src/server.js';
import { createAuthFixture, rawHttpsRequest, type AuthFixture } from '../support/index.js';

const EXAMPLES = [
  ['koa-api', startKoa],
  ['express-api', startExpress],
  ['fastify-api', startFastify],
  ['hono-api', startHono],
  ['nestjs-api', startNest],
] as const;

let fixture: AuthFixture;
let configFile: string;

beforeAll(async () => {
  fixture = await createAuthFixture();
  configFile = await fixture.writeConfig('slow-clients.json');
});

afterAll(async () => {
  await fixture?.close();
});

/** Open a TLS connection, send a request line, then one header line every 100 ms, never ending the section. */
function trickle(url: string): Promise<{ closedAfterMs: number; received: string }> {
  const { hostname, port } = new URL(url);
  const tls = fixture.tls('client-a');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let received = '';
    const socket = connect({ host: hostname, port: Number(port), ca: tls.ca, cert: tls.cert, key: tls.key, servername: 'localhost' }, () => {
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\n`);
    });
    let sent = 0;
    // Bounded: at most 80 lines (8 s); the server must have cut the connection long before.
    const timer = setInterval(() => {
      if (++sent > 80) {
        clearInterval(timer);
        socket.destroy();
        reject(new Error('the server kept a slow-header connection open for 8 s'));
        return;
      }
      if (socket.writable) socket.write(`X-Slow-${sent}: a\r\n`);
    }, 100);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => {
      // A reset after the answer counts as closing; the assertions look at what arrived.
    });
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ closedAfterMs: performance.now() - started, received });
    });
  });
}

describe('example APIs: slow and oversized clients', () => {
  it('documents the same limits as the gateway: 10 s for headers, 15 s per request, 64 KiB of headers', () => {
    expect(SERVER_LIMITS).toMatchObject({ headersTimeout: 10_000, requestTimeout: 15_000, maxHeaderSize: 65_536 });
  });

  it.each(EXAMPLES)('%s: a client trickling its headers is answered 408 and cut off by the header timeout', async (name, startServer) => {
    const server = await startServer(await loadConfig(configFile), { limits: { headersTimeout: 500, requestTimeout: 1000 } });
    try {
      const { closedAfterMs, received } = await trickle(server.url);
      expect(received, name).toMatch(/^HTTP\/1\.1 408 /);
      // The timeout is 500 ms, checked every second: well before the 8 s the client would go on for.
      expect(closedAfterMs, name).toBeGreaterThan(400);
      expect(closedAfterMs, name).toBeLessThan(4000);
    } finally {
      await server.close();
    }
  });

  it.each(EXAMPLES)('%s: a 20,000-character token gets the verifier\'s 400; a 66,000-byte header section a 431', async (name, startServer) => {
    const server = await startServer(await loadConfig(configFile));
    try {
      const long = await rawHttpsRequest(server.url, fixture.tls('client-a'), { path: '/whoami', headers: [['Authorization', `Bearer ${'A'.repeat(20_000)}`]] });
      expect(long.status, name).toBe(400);
      expect(long.headers.find(([header]) => header === 'www-authenticate')?.[1], name).toContain('error_description="The access token is too long"');
      const huge = await rawHttpsRequest(server.url, fixture.tls('client-a'), { path: '/whoami', headers: [['Authorization', `Bearer ${'A'.repeat(66_000)}`]] });
      expect(huge.status, name).toBe(431);
    } finally {
      await server.close();
    }
  });
});
