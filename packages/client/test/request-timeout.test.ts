import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfidentialClient, type ConfidentialClientOptions } from '../src/index.js';
import { AUTHORITY, CLIENT_ID, GRAPH, pem } from './support/fixtures.js';

// An overall deadline per token or discovery request (connect + headers + body): undici's own timeouts bound each
// phase and the gap between body chunks, which a server trickling one byte every 200 ms never exceeds.

const TRICKLE_MS = 200;
const DEADLINE_MS = 1000;
/** Generous: the deadline plus scheduling noise on a shared machine, far below the 20 s the trickle would take. */
const CUT_OFF_WITHIN_MS = 6000;

interface Trickler {
  readonly origin: string;
  /** Requests whose first line arrived. */
  readonly requests: () => number;
  close(): Promise<void>;
}

let pki: DevPki;
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  pki = await createDevPki({ clients: ['client-a'] });
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** A raw TLS server answering every request with a valid token response, one byte every 200 ms. */
async function startTrickler(mode: 'from-status-line' | 'body-only'): Promise<Trickler> {
  const body = JSON.stringify({ access_token: `trickled-${'x'.repeat(60)}`, token_type: 'mtls_pop', expires_in: 3600 });
  const head = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: TlsServer = createTlsServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, rejectUnauthorized: false }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', () => {
      requests++;
      let pending = mode === 'from-status-line' ? head + body : body;
      if (mode === 'body-only') socket.write(head);
      const timer = setInterval(() => {
        if (pending === '' || socket.destroyed) {
          clearInterval(timer);
          return;
        }
        socket.write(pending[0]!);
        pending = pending.slice(1);
      }, TRICKLE_MS);
      socket.once('close', () => clearInterval(timer));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const trickler: Trickler = {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(trickler);
  return trickler;
}

/** A TCP server that accepts connections and never says anything: the TLS handshake never completes. */
async function startSilentServer(): Promise<string> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function clientFor(origin: string, extra: Partial<ConfidentialClientOptions> = {}) {
  return createConfidentialClient({
    clientId: CLIENT_ID,
    authority: AUTHORITY,
    credential: pem(pki.clients['client-a']!),
    azureRegion: false,
    ca: pki.ca.cert,
    hostOverrides: { 'mtlsauth.microsoft.com': origin },
    // Per-phase timeouts far above the deadline: only the overall deadline can end these exchanges.
    http: { requestTimeoutMs: DEADLINE_MS, connectTimeoutMs: 60_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, maxAttempts: 3, retryBaseDelayMs: 1 },
    ...extra,
  });
}

async function timed<T>(work: () => Promise<T>): Promise<{ error: unknown; elapsed: number }> {
  const started = performance.now();
  const error = await work().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error, elapsed: performance.now() - started };
}

describe('http.requestTimeoutMs: one deadline for connect, headers and body', () => {
  it.each(['body-only', 'from-status-line'] as const)('a token response trickled one byte every 200 ms (%s) is cut off at the deadline', async (mode) => {
    const trickler = await startTrickler(mode);
    const client = clientFor(trickler.origin);
    try {
      const { error, elapsed } = await timed(() => client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true }));
      expect(error).toMatchObject({ code: 'ERR_CLIENT_TIMEOUT' });
      expect((error as Error).message).toContain(`${DEADLINE_MS} ms`);
      expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(elapsed).toBeLessThan(CUT_OFF_WITHIN_MS);
      // The deadline covers the retries too: a timed-out exchange is not attempted again.
      expect(trickler.requests()).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('a server that never completes the TLS handshake is cut off at the deadline', async () => {
    const client = clientFor(await startSilentServer());
    try {
      const { error, elapsed } = await timed(() => client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true }));
      expect(error).toMatchObject({ code: 'ERR_CLIENT_TIMEOUT' });
      expect(elapsed).toBeLessThan(CUT_OFF_WITHIN_MS);
    } finally {
      await client.close();
    }
  });

  it('callers sharing one single-flight acquisition all get the same timeout error', async () => {
    const trickler = await startTrickler('body-only');
    const client = clientFor(trickler.origin);
    try {
      const request = { scopes: [GRAPH], mtlsProofOfPossession: true } as const;
      const settled = await Promise.allSettled([client.acquireTokenForClient(request), client.acquireTokenForClient(request), client.acquireTokenForClient(request)]);
      const reasons = settled.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as unknown) : undefined));
      expect(reasons[0]).toMatchObject({ code: 'ERR_CLIENT_TIMEOUT' });
      expect(reasons[1]).toBe(reasons[0]);
      expect(reasons[2]).toBe(reasons[0]);
      expect(trickler.requests()).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('RFC 8414 discovery trickled by the issuer is cut off at the deadline too', async () => {
    const trickler = await startTrickler('body-only');
    const client = createConfidentialClient({
      clientId: 'rfc8705-client',
      authorityType: 'rfc8705',
      authority: `${trickler.origin}/issuer`,
      credential: pem(pki.clients['client-a']!),
      ca: pki.ca.cert,
      http: { requestTimeoutMs: DEADLINE_MS, bodyTimeoutMs: 60_000 },
    });
    try {
      const { error, elapsed } = await timed(() => client.acquireTokenForClient({ scopes: ['api://x/.default'] }));
      expect(error).toMatchObject({ code: 'ERR_CLIENT_TIMEOUT' });
      expect(elapsed).toBeLessThan(CUT_OFF_WITHIN_MS);
    } finally {
      await client.close();
    }
  });

  it('is checked at creation: a deadline below 1 ms is a TypeError', () => {
    expect(() => clientFor('https://127.0.0.1:1', { http: { requestTimeoutMs: 0 } })).toThrow(/requestTimeoutMs/);
  });
});
