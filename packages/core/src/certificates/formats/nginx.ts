import { firstPemCertificate, percentDecode } from '../pem.js';
import { certificateBytes, MALFORMED, type DecodedCertificateHeader, type ForwardedCertificateFormat } from './format.js';

/**
 * Decode nginx's `$ssl_client_escaped_cert`: the leaf's PEM, URL-encoded (`-----BEGIN%20CERTIFICATE-----%0A...`).
 * The header name is whatever `proxy_set_header` chose; `x-ssl-client-cert` by default here. The deprecated
 * `$ssl_client_cert` (tab-folded, multi-line) is not supported: it cannot travel in a well-formed header.
 */
export function decodeNginx(value: string): DecodedCertificateHeader {
  const pem = percentDecode(value);
  return pem === null ? MALFORMED : certificateBytes(firstPemCertificate(pem));
}

export const nginxFormat: ForwardedCertificateFormat = {
  defaultHeader: 'x-ssl-client-cert',
  commaSeparated: false,
  decode: decodeNginx,
};
