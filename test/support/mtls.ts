/**
 * HTTP requests over mutual TLS, two ways: a byte-exact raw HTTP/1.1 request on a fresh TLS connection (for
 * duplicate headers and framing tricks that fetch would normalise), and undici for ordinary calls.
 */
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { Agent, request as undiciRequest } from 'undici';

/** The client side of a TLS connection: whom to trust and which certificate (if any) to present. */
export interface ClientTls {
  /** CA(s) for the server's certificate (TLS server verification stays on). */
  ca: string | string[];
  /** Client certificate PEM; omit to connect without one. */
  cert?: string;
  /** Client private key PEM. */
  key?: string;
}

export interface RawRequest {
  method?: string;
  /** Path and query, sent as is. Default "/". */
  path?: string;
  /** Header lines in order, duplicates kept. `Host` and `Connection: close` are added unless given. */
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: string;
  /** Give up after this many milliseconds. Default 10000. */
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  /** Header lines in order, names lower-cased, duplicates kept. */
  headers: Array<[string, string]>;
  body: string;
  /** All values of one header (lower-case name). */
  header(name: string): string[];
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error('truncated chunked body');
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    offset = lineEnd + 2;
    if (size === 0) return Buffer.concat(parts);
    parts.push(data.subarray(offset, offset + size));
    offset += size + 2;
  }
}

export function parseRawResponse(data: Buffer, method: string): RawResponse {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`incomplete HTTP response (${data.length} bytes)`);
  const lines = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!statusMatch) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
  const headers: Array<[string, string]> = lines.slice(1).map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  const header = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
  let body = data.subarray(headEnd + 4);
  if (method === 'HEAD') body = Buffer.alloc(0);
  else if (header('transfer-encoding').some((v) => v.toLowerCase().includes('chunked'))) body = decodeChunked(body);
  else {
    const length = header('content-length')[0];
    if (length !== undefined) body = body.subarray(0, Number(length));
  }
  return { status: Number(statusMatch[1]), headers, body: body.toString('utf8'), header };
}

/**
 * Send one raw HTTP/1.1 request over a fresh TLS connection and read the whole response (the request asks the
 * server to close the connection). A fresh connection per request: no session ticket, no certificate carried over.
 */
export function rawHttpsRequest(url: string | URL, tls: ClientTls, request: RawRequest = {}): Promise<RawResponse> {
  const target = new URL(url);
  const method = request.method ?? 'GET';
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const headers = [...(request.headers ?? [])];
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', target.host]);
  if (!has('connection')) headers.push(['Connection', 'close']);
  if (request.body !== undefined && !has('content-length')) headers.push(['Content-Length', String(Buffer.byteLength(request.body))]);
  const head = `${method} ${request.path ?? '/'} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;

  return new Promise<RawResponse>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket: TLSSocket = connect({
      host,
      port: Number(target.port || 443),
      ca: tls.ca,
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
      // RFC 6066 §3: no SNI for IP literals.
      ...(isIP(host) ? {} : { servername: host }),
      ALPNProtocols: ['http/1.1'],
    });
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) {
        reject(error);
        return;
      }
      try {
        resolve(parseRawResponse(Buffer.concat(chunks), method));
      } catch (parseError) {
        reject(parseError as Error);
      }
    };
    const timer = setTimeout(() => finish(new Error(`no complete response from ${target.host} within ${request.timeoutMs ?? 10_000} ms`)), request.timeoutMs ?? 10_000);
    socket.once('secureConnect', () => {
      socket.write(head);
      if (request.body !== undefined) socket.write(request.body);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => finish(null));
    socket.once('close', () => finish(null));
    socket.once('error', (error) => {
      // A server that answered and then reset the connection still answered.
      if (chunks.length > 0) finish(null);
      else finish(error);
    });
  });
}

/** An undici Agent presenting `tls.cert` (if any) and trusting `tls.ca`; close it when done. */
export function mtlsAgent(tls: ClientTls): Agent {
  return new Agent({
    connect: {
      ca: tls.ca,
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    },
  });
}

export interface MtlsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = unknown>(): T;
}

/** One request over mTLS with undici on a dedicated agent (closed afterwards). */
export async function mtlsRequest(
  url: string | URL,
  tls: ClientTls,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<MtlsResponse> {
  const agent = mtlsAgent(tls);
  try {
    const response = await undiciRequest(url, {
      dispatcher: agent,
      method: (init.method ?? 'GET') as 'GET',
      ...(init.headers === undefined ? {} : { headers: init.headers }),
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const body = await response.body.text();
    return { status: response.statusCode, headers: response.headers, body, json: <T>() => JSON.parse(body) as T };
  } finally {
    await agent.close();
  }
}
