import type { TLSSocket } from 'node:tls';
import type { JwsAlgorithm } from '@certbound/core';
import { startExpress, type ExpressMiddleware, type RunningServer } from './frameworks.js';
import type { BenchVerifierOptions, TlsMaterial } from './spec.js';

/**
 * The peer: Express + auth0's express-oauth2-jwt-bearer 1.10 with its own RFC 8705 support switched on and made
 * mandatory (`mtls: { enabled: true, required: true }`). It hashes the certificate `getCertificate` returns and
 * compares it with `cnf["x5t#S256"]` itself (dist/index.js `verifyMtls`), so nothing is wrapped around it.
 * Keys: the same static JWKS as the adapter (its `publicKey` option takes a JWKS), `strict: true` so that it
 * also requires `typ: at+jwt` and `iat` like certbound does.
 */
export async function startPeer(tls: TlsMaterial, verifier: BenchVerifierOptions, tokenSigningAlg: JwsAlgorithm): Promise<RunningServer> {
  const { auth } = await import('express-oauth2-jwt-bearer');
  const middleware = auth({
    issuer: verifier.issuer,
    audience: verifier.audience,
    publicKey: verifier.jwks as never,
    tokenSigningAlg,
    strict: true,
    clockTolerance: 30,
    mtls: { enabled: true, required: true },
    // The documented way: hand over the certificate of this request's TLS connection.
    getCertificate: (req) => (req.socket as TLSSocket).getPeerCertificate(false)?.raw,
  });
  return startExpress(tls, middleware as unknown as ExpressMiddleware);
}
