import type { CertificateLookup, CertificateSource, RequestInput } from '../types.js';
import { thumbprintOfDer } from '../binding/thumbprint.js';

interface PeerCertificateSocket {
  getPeerCertificate(detailed?: boolean): { raw?: Buffer } | null;
  getProtocol?(): string | null;
}

// Lookups memoised per connection. Only TLS 1.3 connections are memoised: TLS 1.3 has no renegotiation (and Node
// servers do not do post-handshake authentication), so the peer certificate cannot change under us. TLS 1.2
// connections may renegotiate and present another certificate, so they are read on every request.
/** What the TLS source answers: always a lookup that succeeded, with or without a certificate. */
type TlsLookup = Extract<CertificateLookup, { ok: true }>;

const perConnection = new WeakMap<object, TlsLookup>();

/**
 * The memoised lookups: each holds for its whole connection, one frozen object for all the connection's requests.
 * The verifier's connection memo trusts only these to skip the lookup on a repeated request; no other source (nor a
 * caller) can make one, this set being private to the module.
 */
const connectionWide = new WeakSet<CertificateLookup>();

const tlsSources = new WeakSet<CertificateSource>();

/** True when `lookup` is the certificate of its whole connection (a TLS 1.3 socket's, from tlsSource). */
export function isConnectionWide(lookup: CertificateLookup): boolean {
  return connectionWide.has(lookup);
}

function isPeerCertificateSocket(socket: unknown): socket is PeerCertificateSocket {
  return typeof socket === 'object' && socket !== null && typeof (socket as PeerCertificateSocket).getPeerCertificate === 'function';
}

function lookupOf(thumbprint: string | null): TlsLookup {
  return { ok: true, thumbprint, from: thumbprint === null ? 'none' : 'tls' };
}

/** The certificate of a socket's connection, read from the socket (memoised for TLS 1.3). */
function lookupSocket(socket: unknown): TlsLookup {
  if (!isPeerCertificateSocket(socket)) return lookupOf(null);
  const memoised = perConnection.get(socket);
  if (memoised !== undefined) return memoised;
  let thumbprint: string | null = null;
  try {
    const raw = socket.getPeerCertificate(false)?.raw;
    thumbprint = raw && raw.length > 0 ? thumbprintOfDer(raw) : null;
  } catch {
    thumbprint = null; // a destroyed socket has no certificate to offer
  }
  const lookup = lookupOf(thumbprint);
  if (socket.getProtocol?.() === 'TLSv1.3') {
    Object.freeze(lookup);
    connectionWide.add(lookup);
    perConnection.set(socket, lookup);
  }
  return lookup;
}

/**
 * `x5t#S256` of the client certificate on a TLS socket, or null when the connection has none (plain HTTP, no
 * certificate sent, or a resumed session that exposes none).
 * @see RFC 8705 §3 — the certificate of *this* request's connection.
 */
export function readTlsThumbprint(socket: unknown): string | null {
  return lookupSocket(socket).thumbprint;
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
  const source: CertificateSource = {
    type: 'tls',
    lookup(input: RequestInput): CertificateLookup {
      return lookupSocket(input.socket);
    },
  };
  tlsSources.add(source);
  return source;
}

/** True for a source made by tlsSource() (not one that merely says `type: 'tls'`). */
export function isTlsSource(source: CertificateSource): boolean {
  return tlsSources.has(source);
}
