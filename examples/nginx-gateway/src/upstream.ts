// The protected application behind nginx: a plain node:http server that trusts the identity headers only when they
// come from nginx, which set them from the gateway's answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_IDENTITY_HEADERS, type IdentityHeaderNames } from '@certbound/gateway';

export interface UpstreamOptions {
  /** Interface to listen on. Default "127.0.0.1". */
  host?: string;
  /** Peer addresses allowed to send identity headers (nginx). Default ["127.0.0.1", "::ffff:127.0.0.1"]. */
  trustedPeers?: string[];
  /** Identity header names, as configured in the gateway. Default `x-certbound-*`. */
  identityHeaders?: IdentityHeaderNames;
}

/** One request as the upstream saw it: the request target exactly as it arrived, and whether an identity came with it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly target: string;
  readonly identified: boolean;
}

export interface Upstream {
  readonly url: string;
  readonly port: number;
  /** The last 1000 requests received, oldest first (the tests check what reached the application). */
  readonly received: readonly ReceivedRequest[];
  close(): Promise<void>;
}

/** What the upstream makes of the identity headers (values decoded; absent = null or []). */
export interface EchoedIdentity {
  sub: string | null;
  client_id: string | null;
  thumbprint: string | null;
  scopes: string[];
  roles: string[];
}

function decode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

function single(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? null : decode(text);
}

function list(req: IncomingMessage, name: string): string[] {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return [];
  // The gateway percent-encodes each item, so a space can only be the separator: split before decoding.
  return value.split(' ').flatMap((item) => {
    const decoded = item === '' ? null : decode(item);
    return decoded === null ? [] : [decoded];
  });
}

/** Remove every identity header (any spelling Node folds to the same name) from a request. */
function stripIdentity(req: IncomingMessage, names: IdentityHeaderNames): void {
  for (const name of Object.values(names)) delete req.headers[name];
}

function identityOf(req: IncomingMessage, names: IdentityHeaderNames): EchoedIdentity {
  return {
    sub: single(req, names.subject),
    client_id: single(req, names.clientId),
    thumbprint: single(req, names.thumbprint),
    scopes: list(req, names.scopes),
    roles: list(req, names.roles),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-store' });
  res.end(payload);
}

/**
 * Start the echo upstream. `GET /healthz` → `{ status: "ok" }`; `GET /whoami` → the identity (the example APIs'
 * shape; other methods 405); any other request → `{ method, path, via, identity }`. Identity headers from a peer other than nginx are
 * dropped before anything reads them, so calling the upstream directly yields no identity.
 */
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const names = options.identityHeaders ?? DEFAULT_IDENTITY_HEADERS;
  const trusted = new Set(options.trustedPeers ?? ['127.0.0.1', '::ffff:127.0.0.1']);
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    const viaProxy = trusted.has(req.socket.remoteAddress ?? '');
    if (!viaProxy) stripIdentity(req, names);
    const identity = identityOf(req, names);
    // Bounded: the example may run for a long time.
    if (received.length >= 1000) received.shift();
    received.push({ method: req.method ?? '', target: req.url ?? '', identified: identity.sub !== null || identity.client_id !== null || identity.thumbprint !== null });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/whoami') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return json(res, 405, { error: 'method_not_allowed' });
      }
      return json(res, 200, identity);
    }
    return json(res, 200, { method: req.method, path, via: viaProxy ? 'proxy' : 'direct', identity });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
