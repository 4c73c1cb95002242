/**
 * Token signer for the memory scenario, run as a worker thread (plain JavaScript, `eval: true`, so it needs no
 * TypeScript loader). It signs ES256 JWTs with node:crypto — the same compact JWS jose produces (protected header
 * `{alg, kid, typ}`, base64url JSON payload, raw r||s signature) — because signing a million tokens with jose's
 * WebCrypto path takes far longer than verifying them.
 */
export const SIGNER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { createPrivateKey, sign } = require('node:crypto');
const key = createPrivateKey({ key: workerData.privateJwk, format: 'jwk' });
const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: workerData.kid, typ: 'at+jwt' })).toString('base64url');
const now = Math.floor(Date.now() / 1000);
let next = 0;
parentPort.on('message', (message) => {
  if (message.type !== 'batch') return;
  const tokens = [];
  const end = Math.min(workerData.total, next + message.size);
  for (; next < end; next++) {
    const payload = Buffer.from(JSON.stringify({
      client_id: workerData.clientId, azp: workerData.clientId, scp: 'bench.read', jti: 'mem-' + next,
      cnf: { 'x5t#S256': workerData.thumbprint }, iss: workerData.issuer, aud: workerData.audience,
      sub: workerData.clientId, iat: now, nbf: now - 60, exp: now + 4 * 3600,
    })).toString('base64url');
    const input = header + '.' + payload;
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    tokens.push(input + '.' + signature);
  }
  parentPort.postMessage({ type: 'batch', tokens });
});
`;

export interface SignerData {
  privateJwk: Record<string, unknown>;
  kid: string;
  clientId: string;
  thumbprint: string;
  issuer: string;
  audience: string;
  total: number;
}
