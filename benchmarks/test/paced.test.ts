// The paced load behind target 1's CPU rounds, against a real node:https server over mTLS: every request sent is
// answered and counted, non-2xx answers and a server that falls behind are reported, a chunked answer is refused,
// and the connections (with their TLS handshakes) are opened once, not per round.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPacedHealthy, ConnectionDown, PacedLoad } from '../src/lib/paced.js';
import { pacedRate } from '../src/scenarios/http.js';

let pki: DevPki;
let server: Server;
let url: string;
let handshakes = 0;
let mode: 'ok' | 'teapot' | 'chunked' | 'slow' = 'ok';

beforeAll(async () => {
  pki = await createDevPki();
  server = createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    if (mode === 'chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      res.end('b');
      return;
    }
    const answer = () => res.writeHead(mode === 'teapot' ? 418 : 200, { 'content-length': 2 }).end(req.headers['x-probe'] === 'yes' ? 'ok' : 'no');
    if (mode === 'slow') setTimeout(answer, 40);
    else answer();
  });
  server.on('secureConnection', () => handshakes++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function open(connections = 4) {
  const client = pki.clients['client-a']!;
  return PacedLoad.open({ url, path: '/hello', headers: { 'x-probe': 'yes' }, clientCert: { cert: client.cert, key: client.key }, connections });
}

describe('paced load (target 1 CPU rounds)', () => {
  it('answers every request it sends, over connections opened once for all rounds', async () => {
    mode = 'ok';
    const before = handshakes;
    const load = await open(4);
    try {
      const runs = [await load.run(400, 0.25), await load.run(400, 0.25)];
      for (const run of runs) {
        expect(run.sent).toBeGreaterThan(0);
        expect(run.ok).toBe(run.sent);
        expect(run.non2xx).toBe(0);
        expect(run.statusCodes).toEqual({ 200: run.sent });
        expect(() => assertPacedHealthy('ok', run)).not.toThrow();
      }
      expect(handshakes - before).toBe(4);
    } finally {
      load.close();
    }
  });

  it('notices a connection the server closed while idle, says so before sending anything, and reconnects', async () => {
    mode = 'ok';
    const load = await open(3);
    try {
      await load.run(200, 0.1);
      server.closeIdleConnections(); // what a keep-alive timeout does between two rounds
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(load.run(200, 0.1)).rejects.toBeInstanceOf(ConnectionDown);
      const before = handshakes;
      await load.reconnect();
      // The server counts a handshake a moment after the client has finished it (TLS 1.3).
      for (let i = 0; i < 200 && handshakes - before < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(handshakes - before).toBe(3);
      const run = await load.run(200, 0.1);
      expect(run.ok).toBe(run.sent);
    } finally {
      load.close();
    }
  });

  it('reports non-2xx answers, and a round with them does not count', async () => {
    mode = 'teapot';
    const load = await open(2);
    try {
      const run = await load.run(200, 0.2);
      expect(run.non2xx).toBe(run.sent);
      expect(run.statusCodes).toEqual({ 418: run.sent });
      expect(() => assertPacedHealthy('teapot', run)).toThrow(/no 2xx responses/);
      expect(() => assertPacedHealthy('teapot', { ...run, ok: 1 })).toThrow(/were not 2xx/);
    } finally {
      load.close();
    }
  });

  it('says so when the server cannot keep up with the offered rate', async () => {
    mode = 'slow'; // 40 ms per answer on 2 connections: at most 50 req/s
    const load = await open(2);
    try {
      const run = await load.run(1000, 0.3);
      expect(run.late).toBeGreaterThan(run.sent);
      expect(() => assertPacedHealthy('slow', run)).toThrow(/did not keep up/);
    } finally {
      load.close();
    }
  });

  it('refuses a chunked answer instead of miscounting it', async () => {
    mode = 'chunked';
    const load = await open(1);
    try {
      await expect(load.run(100, 0.2)).rejects.toThrow(/content-length responses only/);
    } finally {
      load.close();
    }
  });

  it('offers a quarter of the slower side’s median throughput, in whole hundreds, never under 100', () => {
    const samples = { rate: new Map([['bare', [9000, 10_000, 11_000]], ['warm', [8000, 9500, 12_000]]]), cpu: new Map<string, number[]>() };
    expect(pacedRate(samples, ['bare', 'warm'])).toBe(2300); // min(10000, 9500) × 0.25 = 2375
    expect(pacedRate({ rate: new Map([['bare', [50]], ['warm', [40]]]), cpu: new Map() }, ['bare', 'warm'])).toBe(100);
  });
});
