import { firstPemCertificate, percentDecode } from '../pem.js';
import { certificateBytes, MALFORMED, type DecodedCertificateHeader, type ForwardedCertificateFormat } from './format.js';

/**
 * Decode AWS Application Load Balancer's `X-Amzn-Mtls-Clientcert-Leaf` (verify mode): the leaf's PEM, URL-encoded
 * with `+`, `=` and `/` left as they are. Only `%XX` escapes are decoded; `+` is base64, never a space, so form
 * decoding would corrupt the certificate. Pointed at the passthrough header `X-Amzn-Mtls-Clientcert` (the whole
 * chain, leaf first) the same decoder takes the first certificate.
 */
export function decodeAwsAlb(value: string): DecodedCertificateHeader {
  const pem = percentDecode(value);
  return pem === null ? MALFORMED : certificateBytes(firstPemCertificate(pem));
}

export const awsAlbFormat: ForwardedCertificateFormat = {
  defaultHeader: 'x-amzn-mtls-clientcert-leaf',
  commaSeparated: false,
  decode: decodeAwsAlb,
};
