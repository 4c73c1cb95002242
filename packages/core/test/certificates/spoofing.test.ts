// SECURITY 7 over real sockets: the same request and header, sent from a trusted proxy address (127.0.0.1) and from
// an untrusted one (127.0.0.2), to real node:http and node:https servers bound to 127.0.0.1.
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerSource } from '../../src/certificates/header.js';
import type { CertificateSource } from '../../src/types.js';
import { hexSha256, pemOf, testPki, type TestPki } from './support.js';

type Server = http.Server | https.Server;

function serveLookups(server: Server, source: () => CertificateSource): void {
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const result = source().lookup({ headers: req.headers, rawHeaders: req.rawHeaders, socket: req.socket });
    res.setHeader('content-type', 'application/json');
    res.setHeader('connection', 'close');
    res.end(JSON.stringify({ peer: req.socket.remoteAddress, result }));
  });
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

interface Sent {
  localAddress: string;
  headers?: http.OutgoingHttpHeaders;
  tls?: { cert: string; key: string; ca: string };
}

async function send(port: number, { localAddress, headers = {}, tls }: Sent): Promise<{ peer: string; result: Record<string, unknown> }> {
  const options = { host: '127.0.0.1', port, path: '/', localAddress, headers, agent: false as const };
  const req = tls ? https.request({ ...options, ...tls }) : http.request(options);
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { peer: string; result: Record<string, unknown> };
}

describe('SECURITY 7: forwarded certificate headers over real sockets', () => {
  let pki: TestPki;
  const servers: Server[] = [];
  let httpPort = 0;
  let httpsPort = 0;
  let source: CertificateSource;

  beforeAll(async () => {
    pki = await testPki();
    source = headerSource({ format: 'nginx', trustedProxies: ['127.0.0.1/32'] });
    // Larger than Node's default 16 KiB header limit, so the source's own size cap is what refuses oversized values.
    const plain = http.createServer({ maxHeaderSize: 65_536 });
    serveLookups(plain, () => source);
    httpPort = await listen(plain);
    // The TLS server asks every client for a certificate and lets the binding decide (RFC 8705 §6.2).
    const secure = https.createServer({ key: pki.server.key, cert: pki.server.cert, requestCert: true, rejectUnauthorized: false });
    serveLookups(secure, () => source);
    httpsPort = await listen(secure);
    servers.push(plain, secure);
  });

  afterAll(async () => {
    await Promise.all(
      servers.map(async (server) => {
        server.close();
        server.closeAllConnections();
        await once(server, 'close');
      }),
    );
  });

  it('honours the header from the trusted proxy address and ignores the same header from another address', async () => {
    const headers = { 'X-SSL-Client-Cert': encodeURIComponent(pemOf(pki.a.der)) };
    const trusted = await send(httpPort, { localAddress: '127.0.0.1', headers });
    const untrusted = await send(httpPort, { localAddress: '127.0.0.2', headers });
    expect(trusted.peer).toBe('127.0.0.1');
    expect(trusted.result).toEqual({ ok: true, thumbprint: pki.a.thumbprint, from: 'header' });
    expect(untrusted.peer).toBe('127.0.0.2');
    expect(untrusted.result).toEqual({ ok: true, thumbprint: null, from: 'none', ignoredUntrustedHeader: true });
  });

  it('over TLS: a trusted proxy’s header wins over its own certificate; elsewhere there is no certificate at all', async () => {
    const tls = { cert: pki.b.cert, key: pki.b.key, ca: pki.ca.cert };
    const headers = { 'X-SSL-Client-Cert': encodeURIComponent(pemOf(pki.a.der)) };
    const fromProxy = await send(httpsPort, { localAddress: '127.0.0.1', headers, tls });
    expect(fromProxy.result).toEqual({ ok: true, thumbprint: pki.a.thumbprint, from: 'header' });
    // SECURITY 7: from an untrusted peer the header is ignored and the connection's own certificate does not step in.
    const fromClient = await send(httpsPort, { localAddress: '127.0.0.2', headers, tls });
    expect(fromClient.result).toEqual({ ok: true, thumbprint: null, from: 'none', ignoredUntrustedHeader: true });
    // Without the header: from the proxy there is no client certificate (the socket's is the proxy's own) ...
    const proxyNoHeader = await send(httpsPort, { localAddress: '127.0.0.1', tls });
    expect(proxyNoHeader.result).toEqual({ ok: true, thumbprint: null, from: 'none' });
    // ... and from anyone else neither: a header source never reads the TLS handshake.
    const clientNoHeader = await send(httpsPort, { localAddress: '127.0.0.2', tls });
    expect(clientNoHeader.result).toEqual({ ok: true, thumbprint: null, from: 'none' });
  });

  it('a certificate header sent twice on the wire is a duplicate, even where the folded value looks like a list', async () => {
    const value = encodeURIComponent(pemOf(pki.a.der));
    const twice = await send(httpPort, { localAddress: '127.0.0.1', headers: { 'X-SSL-Client-Cert': [value, value] } });
    expect(twice.result).toMatchObject({ ok: false, code: 'ERR_CERTIFICATE_HEADER_DUPLICATE' });

    const xfcc = headerSource({ format: 'xfcc', trustedProxies: ['127.0.0.1/32'] });
    const previous = source;
    source = xfcc;
    try {
      // Joined by Node, "Hash=b, Hash=a" would be a valid two-element XFCC naming client-a: rawHeaders shows two lines.
      const headers = { 'x-forwarded-client-cert': [`Hash=${hexSha256(pki.b.der)}`, `Hash=${hexSha256(pki.a.der)}`] };
      const folded = await send(httpPort, { localAddress: '127.0.0.1', headers });
      expect(folded.result).toMatchObject({ ok: false, code: 'ERR_CERTIFICATE_HEADER_DUPLICATE' });
      const single = await send(httpPort, { localAddress: '127.0.0.1', headers: { 'x-forwarded-client-cert': `Hash=${hexSha256(pki.b.der)},Hash=${hexSha256(pki.a.der)}` } });
      expect(single.result).toEqual({ ok: true, thumbprint: pki.a.thumbprint, from: 'header' });
    } finally {
      source = previous;
    }
  });

  it('malformed headers from the trusted proxy are refused, from elsewhere ignored — never a crash', async () => {
    for (const value of ['%ZZ', '-----BEGIN%20CERTIFICATE-----%0Agarbage', 'x'.repeat(16_385)]) {
      const trusted = await send(httpPort, { localAddress: '127.0.0.1', headers: { 'X-SSL-Client-Cert': value } });
      expect(trusted.result).toMatchObject({ ok: false, code: 'ERR_CERTIFICATE_HEADER_INVALID' });
      const untrusted = await send(httpPort, { localAddress: '127.0.0.2', headers: { 'X-SSL-Client-Cert': value } });
      expect(untrusted.result).toEqual({ ok: true, thumbprint: null, from: 'none', ignoredUntrustedHeader: true });
    }
  });
});
