import { createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { tlsMaterialOf, type BindingCertificate } from '../binding-certificate.js';
import { CertboundClientError } from '../errors.js';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function algorithmFor(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return 'PS256';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ES256';
      if (curve === 'secp384r1') return 'ES384';
      if (curve === 'secp521r1') return 'ES512';
      break;
    }
    case 'ed25519':
      return 'EdDSA';
  }
  throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_INVALID', `The key type of the certificate cannot sign a client assertion`);
}

/**
 * Sign the client assertion a certificate credential sends when no PoP is requested (RFC 7523 `private_key_jwt`,
 * as MSAL's `WithCertificate` does): `aud` is the authority's token endpoint, `iss` = `sub` = client id, valid
 * 10 minutes, with the certificate's `x5t#S256` (and its chain as `x5c` when `sendX5C`).
 * @see RFC 7523 §3
 */
export async function signClientAssertion(
  certificate: BindingCertificate,
  options: { clientId: string; audience: string; sendX5C: boolean; now: number },
): Promise<string> {
  const material = tlsMaterialOf(certificate);
  if (material === undefined) throw new CertboundClientError('ERR_CLIENT_CERTIFICATE_WITHOUT_KEY', `Certificate ${certificate.thumbprint} has no private key loaded`);
  if (material.kind !== 'pem') {
    throw new CertboundClientError(
      'ERR_CLIENT_CERTIFICATE_INVALID',
      'A PFX credential can authenticate over mTLS only (Node.js cannot export its key to sign an assertion); use PEM or mtlsProofOfPossession',
    );
  }
  const key = createPrivateKey(material.passphrase === undefined ? { key: material.key } : { key: material.key, passphrase: material.passphrase });
  const header: Record<string, unknown> = { alg: algorithmFor(key), typ: 'JWT', 'x5t#S256': certificate.thumbprint };
  if (options.sendX5C) {
    header['x5c'] = (material.cert.match(CERTIFICATE_BLOCK) ?? []).map((pem) => new X509Certificate(pem).raw.toString('base64'));
  }
  const seconds = Math.floor(options.now / 1000);
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader(header as { alg: string })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.audience)
    .setIssuedAt(seconds)
    .setNotBefore(seconds)
    .setExpirationTime(seconds + 600)
    .sign(key);
}
