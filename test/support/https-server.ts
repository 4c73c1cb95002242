/** A real HTTPS server on loopback that asks every client for a certificate, for adapter tests. */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

export interface TestHttpsServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export async function startHttpsServer(tls: { cert: string; key: string }, handler: RequestListener): Promise<TestHttpsServer> {
  // requestCert without chain verification: RFC 8705 §6.2, the token binding decides.
  const server = createServer({ cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: false }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
