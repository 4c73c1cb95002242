import { X509Certificate } from 'node:crypto';
import { thumbprintOfDer } from '../binding/thumbprint.js';

/**
 * Length of a DER element that starts with a SEQUENCE tag, header included, or -1 when the header is not a
 * definite, minimally encoded length. Certificates are at most a few kilobytes, so four length bytes are plenty.
 * @see ITU-T X.690 §8.1.3, §10.1
 */
function derSequenceLength(der: Uint8Array): number {
  if (der.length < 2 || der[0] !== 0x30) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || der.length < 2 + count) return -1;
  if (der[2] === 0) return -1; // leading zero: not minimal
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  if (length < 0x80) return -1; // long form used for a short length: not DER
  return 2 + count + length;
}

/**
 * The `x5t#S256` of bytes that are exactly one X.509 certificate, or null when they are not.
 *
 * The thumbprint is taken over the bytes as received, never over a re-encoding. To make sure those bytes *are* the
 * certificate, the outer SEQUENCE must span the whole buffer (node:crypto silently ignores trailing bytes), OpenSSL
 * must parse it, and OpenSSL's serialisation must equal the input — the same bytes a TLS socket would report.
 * @see RFC 8705 §3.1
 */
export function thumbprintOfCertificateDer(der: Uint8Array): string | null {
  if (derSequenceLength(der) !== der.length) return null;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    return null;
  }
  if (Buffer.compare(certificate.raw, der) !== 0) return null;
  return thumbprintOfDer(der);
}
