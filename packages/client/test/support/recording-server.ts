import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Raw body text. */
  rawBody: string;
  /** Form fields (application/x-www-form-urlencoded), last value wins; `formEntries` keeps duplicates. */
  form: Record<string, string>;
  formEntries: [string, string][];
  /** x5t#S256 of the TLS client certificate, or null when none was presented. */
  thumbprint: string | null;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON. */
  body?: unknown;
  /** Drop the connection instead of answering (a connection reset for the client). */
  destroy?: boolean;
}

export type Responder = (request: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface RecordingServer {
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** TLS connections accepted so far (keep-alive reuses one). */
  readonly connections: () => number;
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/** An Entra-like token answer: `mtls_pop` when the body asked for it, Bearer otherwise. */
export const entraLike: Responder = (request, index) => ({
  body: {
    access_token: `token-${index}-${request.form['token_type'] ?? 'bearer'}`,
    token_type: request.form['token_type'] === 'mtls_pop' ? 'mtls_pop' : 'Bearer',
    expires_in: 3600,
    ext_expires_in: 3600,
  },
});

/**
 * A real HTTPS server on 127.0.0.1 that records each request (method, URL, headers, form body and the TLS client
 * certificate's thumbprint) and answers with the configured responder. With `clientCas` it requires a client
 * certificate issued by one of them (the handshake fails otherwise); without, it asks for none.
 */
export async function startRecordingServer(options: { cert: string; key: string; clientCas?: string[] }): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let responder: Responder = entraLike;
  const server: Server = createServer(
    options.clientCas === undefined
      ? { cert: options.cert, key: options.key }
      : { cert: options.cert, key: options.key, requestCert: true, ca: options.clientCas },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const formEntries = [...new URLSearchParams(rawBody).entries()];
        const peer = (req.socket as TLSSocket).getPeerCertificate?.();
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawBody,
          form: Object.fromEntries(formEntries),
          formEntries,
          thumbprint: peer?.raw === undefined ? null : createHash('sha256').update(peer.raw).digest('base64url'),
        };
        const index = requests.push(recorded) - 1;
        Promise.resolve(responder(recorded, index)).then(
          (reply) => {
            if (reply.destroy === true) {
              req.socket.destroy();
              return;
            }
            const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
            const headers = { 'content-type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) };
            res.writeHead(reply.status ?? 200, headers).end(body);
          },
          () => res.writeHead(599).end(),
        );
      });
    },
  );
  let connections = 0;
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    respond(next) {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
