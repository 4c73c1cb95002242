// A real HTTPS JWKS endpoint on loopback (dev-pki server certificate) that counts its requests and can be switched
// into failure modes, for the remote-JWKS rules.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { DevPki } from '@certbound/dev-pki';

export type JwksMode = 'ok' | 'error' | 'hang' | 'huge' | 'huge-chunked' | 'not-json' | 'no-keys' | 'redirect' | 'not-found';

export interface JwksServer {
  readonly url: string;
  /** Requests received so far. */
  readonly count: () => number;
  setKeys(keys: unknown[]): void;
  setMode(mode: JwksMode): void;
  /** Resolves when the next request arrives. */
  nextRequest(): Promise<void>;
  close(): Promise<void>;
}

export async function startJwksServer(pki: DevPki, keys: unknown[]): Promise<JwksServer> {
  let current = keys;
  let mode: JwksMode = 'ok';
  let requests = 0;
  let waiters: (() => void)[] = [];
  const server: Server = createServer({ cert: pki.server.cert, key: pki.server.key }, (request, response) => {
    requests++;
    const notify = waiters;
    waiters = [];
    notify.forEach((resolve) => resolve());
    request.resume();
    switch (mode) {
      case 'ok':
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current }));
        return;
      case 'error':
        response.writeHead(500).end('upstream down');
        return;
      case 'hang':
        return; // never answers: the verifier's timeout must fire
      case 'huge':
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current, padding: 'x'.repeat(1 << 20) }));
        return;
      case 'huge-chunked': {
        // No Content-Length: the cap must be enforced while streaming.
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write(`{"keys":${JSON.stringify(current)},"padding":"`);
        for (let i = 0; i < 64; i++) response.write('y'.repeat(16_384));
        response.end('"}');
        return;
      }
      case 'not-json':
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return;
      case 'no-keys':
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [] }));
        return;
      case 'not-found':
        response.writeHead(404, { 'content-type': 'text/plain' }).end('no such key set');
        return;
      case 'redirect':
        response.writeHead(302, { location: 'https://attacker.invalid/keys' }).end();
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/discovery/keys`,
    count: () => requests,
    setKeys(keys) {
      current = keys;
    },
    setMode(next) {
      mode = next;
    },
    nextRequest: () => new Promise<void>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Resolves once no JWKS refresh is in flight: a refresh started by a stale key set runs in the background (known
 * keys never wait for it), so a test that checks what the refresh did waits for it here.
 */
export async function refreshSettled(verifier: { state(): { refreshing: boolean } }, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (verifier.state().refreshing) {
    if (Date.now() > deadline) throw new Error(`JWKS refresh still in flight after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
