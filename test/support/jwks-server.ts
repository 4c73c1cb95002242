/**
 * A JWKS served over real HTTPS (dev-pki server certificate) with the controls tests need: count fetches,
 * swap the key set, and simulate an outage.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Jwk } from '@certbound/core';

export interface JwksServer {
  /** https URL of the key set. */
  readonly url: string;
  /** Number of JWKS requests served so far (outage answers included). */
  fetches(): number;
  /** Replace the published keys. */
  setKeys(keys: Jwk[]): void;
  /** While true, every request gets a 503. */
  setOutage(outage: boolean): void;
  /** While true, every request is accepted and never answered (a hanging issuer); close() cuts them. */
  setHang(hang: boolean): void;
  close(): Promise<void>;
}

export async function startJwksServer(options: { cert: string; key: string; keys: Jwk[]; path?: string }): Promise<JwksServer> {
  const path = options.path ?? '/discovery/v2.0/keys';
  let keys = options.keys;
  let outage = false;
  let hang = false;
  let fetches = 0;
  const server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    if (req.url !== path) {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    if (hang) return;
    if (outage) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}${path}`,
    fetches: () => fetches,
    setKeys(next) {
      keys = next;
    },
    setOutage(next) {
      outage = next;
    },
    setHang(next) {
      hang = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
