import { decodeBase64Strict, firstPemCertificate } from '../pem.js';
import { certificateBytes, type DecodedCertificateHeader, type ForwardedCertificateFormat } from './format.js';

/**
 * Decode Azure App Service's `X-ARR-ClientCert`: the leaf's DER in base64. Some setups (and App Service look-alikes)
 * send it with PEM armour on one line; that is accepted too. The platform does not validate the certificate — for
 * binding that is fine (RFC 8705 §6.2: the thumbprint decides), but it must not be read as an identity.
 */
export function decodeAzureArr(value: string): DecodedCertificateHeader {
  return certificateBytes(value.startsWith('-----BEGIN') ? firstPemCertificate(value) : decodeBase64Strict(value));
}

export const azureArrFormat: ForwardedCertificateFormat = {
  defaultHeader: 'x-arr-clientcert',
  commaSeparated: false,
  decode: decodeAzureArr,
};
