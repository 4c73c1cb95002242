import { decodeBase64Strict } from '../pem.js';
import { certificateBytes, MALFORMED, type DecodedCertificateHeader, type ForwardedCertificateFormat } from './format.js';

/**
 * Decode Traefik's `X-Forwarded-Tls-Client-Cert` (PassTLSClientCert with `pem: true`): each certificate the client
 * sent, as base64 DER without PEM armour, joined with `,`, leaf first. Only the first entry is decoded; the others
 * (issuers) are not needed to find the leaf.
 */
export function decodeTraefik(value: string): DecodedCertificateHeader {
  const comma = value.indexOf(',');
  const leaf = (comma < 0 ? value : value.slice(0, comma)).trim();
  return leaf === '' ? MALFORMED : certificateBytes(decodeBase64Strict(leaf));
}

export const traefikFormat: ForwardedCertificateFormat = {
  defaultHeader: 'x-forwarded-tls-client-cert',
  commaSeparated: true,
  decode: decodeTraefik,
};
