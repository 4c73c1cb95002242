import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';

/** A certificate the proxy may present upstream on behalf of a client that presented it downstream. */
export interface ProxyIdentity {
  cert: string;
  key: string;
  thumbprint: string;
}

export interface CountingProxy {
  readonly origin: string;
  /** Requests forwarded to the upstream, per `METHOD path`. */
  readonly counts: Map<string, number>;
  count(method: string, path: string): number;
  close(): Promise<void>;
}

/**
 * An mTLS pass-through that counts what reaches the upstream: it requires a client certificate issued by `clientCa`,
 * then forwards the request over its own mTLS connection presenting the very same certificate (it holds the test
 * PKI's keys), so the upstream binds tokens exactly as if the client had connected directly. A request is counted
 * when it is forwarded. Test infrastructure only.
 */
export async function startCountingProxy(options: {
  upstream: string;
  tls: { cert: string; key: string };
  clientCa: string;
  identities: ProxyIdentity[];
}): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const agents = new Map<string, Agent>();
  for (const identity of options.identities) {
    agents.set(identity.thumbprint, new Agent({ connect: { cert: identity.cert, key: identity.key, ca: [options.clientCa] } }));
  }
  const server: Server = createServer({ cert: options.tls.cert, key: options.tls.key, requestCert: true, ca: [options.clientCa] }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = (req.socket as TLSSocket).getPeerCertificate().raw;
      const agent = raw === undefined ? undefined : agents.get(createHash('sha256').update(raw).digest('base64url'));
      if (agent === undefined) return void res.writeHead(495).end();
      const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'accept']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
      const body = req.method === 'GET' || req.method === 'HEAD' ? {} : { body: Buffer.concat(chunks) };
      request(`${options.upstream}${req.url ?? '/'}`, { method: req.method as 'GET' | 'POST', headers, ...body, dispatcher: agent })
        .then(async (upstream) => {
          const body = Buffer.from(await upstream.body.arrayBuffer());
          const contentType = upstream.headers['content-type'];
          res.writeHead(upstream.statusCode, typeof contentType === 'string' ? { 'content-type': contentType } : {}).end(body);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    count: (method, path) => counts.get(`${method} ${path}`) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([...agents.values()].map((agent) => agent.close()));
    },
  };
}
