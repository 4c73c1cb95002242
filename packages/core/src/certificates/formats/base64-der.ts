import { decodeBase64Strict } from '../pem.js';
import { certificateBytes, type DecodedCertificateHeader, type ForwardedCertificateFormat } from './format.js';

/**
 * Decode a plain base64 DER certificate, as HAProxy produces with `%[ssl_c_der,base64]`. There is no standard header
 * name; `x-ssl-client-der` is the default here.
 */
export function decodeBase64Der(value: string): DecodedCertificateHeader {
  return certificateBytes(decodeBase64Strict(value));
}

export const base64DerFormat: ForwardedCertificateFormat = {
  defaultHeader: 'x-ssl-client-der',
  commaSeparated: false,
  decode: decodeBase64Der,
};
