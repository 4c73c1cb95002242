import type { CertificateLookup, CertificateSource, RequestInput } from '../types.js';
import { thumbprintOfDer } from '../binding/thumbprint.js';

interface PeerCertificateSocket {
  getPeerCertificate(detailed?: boolean): { raw?: Buffer } | null;
  getProtocol?(): string | null;
}

// Thumbprints memoised per connection. Only TLS 1.3 connections are memoised: TLS 1.3 has no renegotiation
// (and Node servers do not do post-handshake authentication), so the peer certificate cannot change under us.
// TLS 1.2 connections may renegotiate and present another certificate, so they are read on every request.
const perConnection = new WeakMap<object, string | null>();

function isPeerCertificateSocket(socket: unknown): socket is PeerCertificateSocket {
  return typeof socket === 'object' && socket !== null && typeof (socket as PeerCertificateSocket).getPeerCertificate === 'function';
}

/**
 * `x5t#S256` of the client certificate on a TLS socket, or null when the connection has none (plain HTTP, no
 * certificate sent, or a resumed session that exposes none).
 * @see RFC 8705 §3 — the certificate of *this* request's connection.
 */
export function readTlsThumbprint(socket: unknown): string | null {
  if (!isPeerCertificateSocket(socket)) return null;
  const memoised = perConnection.get(socket);
  if (memoised !== undefined) return memoised;
  let thumbprint: string | null = null;
  try {
    const raw = socket.getPeerCertificate(false)?.raw;
    thumbprint = raw && raw.length > 0 ? thumbprintOfDer(raw) : null;
  } catch {
    thumbprint = null; // a destroyed socket has no certificate to offer
  }
  if (socket.getProtocol?.() === 'TLSv1.3') perConnection.set(socket, thumbprint);
  return thumbprint;
}

/**
 * The default certificate source: the client certificate of the request's own TLS connection (the server
 * terminates mTLS itself).
 * @example
 * ```ts
 * createVerifier({ issuer, audience, algorithms: ['RS256'], keys, certificateSource: tlsSource() });
 * ```
 * @see RFC 8705 §3
 */
export function tlsSource(): CertificateSource {
  return {
    type: 'tls',
    lookup(input: RequestInput): CertificateLookup {
      const thumbprint = readTlsThumbprint(input.socket);
      return { ok: true, thumbprint, from: thumbprint === null ? 'none' : 'tls' };
    },
  };
}
