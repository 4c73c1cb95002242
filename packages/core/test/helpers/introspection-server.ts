// A real HTTPS RFC 7662 introspection endpoint on loopback (dev-pki server certificate). It authenticates its
// caller the way it is told (client_secret_basic, private_key_jwt, tls_client_auth), answers from a token table,
// counts its requests and can be switched into failure modes, for the introspection rules.
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { DevPki } from '@certbound/dev-pki';
import { jwtVerify } from 'jose';

export type IntrospectionMode = 'ok' | 'error' | 'hang' | 'huge' | 'not-json' | 'no-active' | 'wrong-type';

export type CallerCheck =
  | { method: 'client_secret_basic'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId: string; publicKey: KeyObject }
  | { method: 'tls_client_auth'; clientId: string; thumbprint: string };

export interface IntrospectionServer {
  readonly url: string;
  readonly count: () => number;
  /** Answer for a token (the RFC 7662 members); unknown tokens are `{ active: false }`. */
  setToken(token: string, answer: Record<string, unknown>): void;
  setMode(mode: IntrospectionMode): void;
  /** Milliseconds to wait before answering. */
  setDelay(ms: number): void;
  /** Sign answers as RFC 9701 JWTs with this function instead of JSON. */
  setJwtSigner(sign: ((claims: Record<string, unknown>) => Promise<string>) | null): void;
  close(): Promise<void>;
}

async function authenticated(check: CallerCheck, url: string, authorization: string | undefined, form: URLSearchParams, socket: TLSSocket): Promise<boolean> {
  if (check.method === 'client_secret_basic') {
    // RFC 6749 §2.3.1: both halves are form-urlencoded before the Basic encoding.
    const decoded = Buffer.from((authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
    const [id, secret] = decoded.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
    return id === check.clientId && secret === check.secret;
  }
  if (check.method === 'tls_client_auth') {
    const raw = socket.getPeerCertificate().raw;
    if (raw === undefined || form.get('client_id') !== check.clientId) return false;
    return createHash('sha256').update(new X509Certificate(raw).raw).digest('base64url') === check.thumbprint;
  }
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return false;
  try {
    const { payload } = await jwtVerify(form.get('client_assertion') ?? '', check.publicKey, { audience: url, issuer: check.clientId, subject: check.clientId });
    return typeof payload.jti === 'string';
  } catch {
    return false;
  }
}

export async function startIntrospectionServer(pki: DevPki, check: CallerCheck): Promise<IntrospectionServer> {
  const answers = new Map<string, Record<string, unknown>>();
  let mode: IntrospectionMode = 'ok';
  let delay = 0;
  let requests = 0;
  let signer: ((claims: Record<string, unknown>) => Promise<string>) | null = null;
  let url = '';
  const server: Server = createServer({ cert: pki.server.cert, key: pki.server.key, requestCert: true, rejectUnauthorized: false }, (request, response) => {
    requests++;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const answer = async (): Promise<void> => {
        if (mode === 'hang') return;
        if (mode === 'error') return void response.writeHead(500).end('down');
        if (!(await authenticated(check, url, request.headers.authorization, form, request.socket as TLSSocket))) {
          return void response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        }
        if (mode === 'not-json') return void response.writeHead(200, { 'content-type': 'application/json' }).end('<html>maintenance</html>');
        if (mode === 'wrong-type') return void response.writeHead(200, { 'content-type': 'text/plain' }).end('{"active":true}');
        if (mode === 'huge') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ active: false, padding: 'x'.repeat(1 << 20) }));
        const body = mode === 'no-active' ? { scope: 'read' } : (answers.get(form.get('token') ?? '') ?? { active: false });
        if (signer !== null) {
          const jwt = await signer({ iss: body['iss'], aud: check.clientId, iat: Math.floor(Date.now() / 1000), token_introspection: body });
          return void response.writeHead(200, { 'content-type': 'application/token-introspection+jwt' }).end(jwt);
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      setTimeout(() => void answer().catch(() => response.writeHead(500).end()), delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/introspect`;
  return {
    url,
    count: () => requests,
    setToken: (token, answer) => void answers.set(token, answer),
    setMode: (next) => void (mode = next),
    setDelay: (ms) => void (delay = ms),
    setJwtSigner: (sign) => void (signer = sign),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
