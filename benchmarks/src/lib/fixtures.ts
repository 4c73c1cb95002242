import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPki, writeDevPki, type DevPki, type DevPkiFiles } from '@certbound/dev-pki';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { progress } from './progress.js';

export type BenchAlgorithm = 'RS256' | 'ES256';

export interface SigningKey {
  alg: BenchAlgorithm;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** Everything the scenarios share: one dev PKI, one issuer with RS256 and ES256 keys, a static JWKS. */
export interface Fixtures {
  /** Temporary folder holding the PEM files (deleted at the end of the run). */
  dir: string;
  pki: DevPki;
  files: DevPkiFiles;
  issuer: string;
  audience: string;
  clientId: string;
  /** Thumbprint every token is bound to: the `client-a` certificate the load generator presents. */
  thumbprint: string;
  keys: Record<BenchAlgorithm, SigningKey>;
  /** Static JWKS with both public keys (no network fetch in any server under test). */
  jwks: { keys: JWK[] };
  /** Path of jwks.json in `dir`. */
  jwksFile: string;
  /** One valid token per algorithm, bound to `client-a`: the "warm" token, repeated. */
  warmToken: Record<BenchAlgorithm, string>;
  /** Distinct valid tokens, each bound to `client-a` (cached per algorithm and size). */
  pool(alg: BenchAlgorithm, count: number): Promise<string[]>;
  cleanup(): Promise<void>;
}

export const ISSUER = 'https://authority.certbound.test';
export const AUDIENCE = 'api://certbound-bench';
export const CLIENT_ID = '6f1c1d52-0000-4000-8000-b3ac40000001';
/** Tokens outlive any run (20 minutes at most) by a wide margin. */
const LIFETIME_SECONDS = 4 * 3600;

export async function signToken(key: SigningKey, thumbprint: string, jti: string, issuedAt: number): Promise<string> {
  return new SignJWT({
    client_id: CLIENT_ID,
    azp: CLIENT_ID,
    scp: 'bench.read',
    roles: ['bench.reader'],
    jti,
    cnf: { 'x5t#S256': thumbprint },
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(CLIENT_ID)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt - 60)
    .setExpirationTime(issuedAt + LIFETIME_SECONDS)
    .sign(key.privateKey);
}

async function signingKey(alg: BenchAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'RS256' ? { modulusLength: 2048, extractable: true } : { extractable: true });
  const kid = `bench-${alg.toLowerCase()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

export async function createFixtures(): Promise<Fixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'certbound-bench-'));
  const pki = await createDevPki({ clients: ['client-a', 'client-b'] });
  const files = await writeDevPki(pki, join(dir, 'pki'));
  const keys: Record<BenchAlgorithm, SigningKey> = { RS256: await signingKey('RS256'), ES256: await signingKey('ES256') };
  const jwks = { keys: [keys.RS256.publicJwk, keys.ES256.publicJwk] };
  const jwksFile = join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify(jwks, null, 2) + '\n');
  const thumbprint = pki.clients['client-a']!.thumbprint;
  const now = Math.floor(Date.now() / 1000);
  const warmToken = {
    RS256: await signToken(keys.RS256, thumbprint, 'warm-rs256', now),
    ES256: await signToken(keys.ES256, thumbprint, 'warm-es256', now),
  };
  const pools = new Map<BenchAlgorithm, { count: number; tokens: Promise<string[]> }>();
  const signPool = async (alg: BenchAlgorithm, count: number): Promise<string[]> => {
    const tokens: string[] = [];
    const started = Date.now();
    const issuedAt = Math.floor(Date.now() / 1000);
    let lastReport = started;
    while (tokens.length < count) {
      const batch: Promise<string>[] = [];
      for (let i = 0; i < 256 && tokens.length + batch.length < count; i++) {
        batch.push(signToken(keys[alg], thumbprint, `pool-${alg}-${tokens.length + batch.length}`, issuedAt));
      }
      tokens.push(...(await Promise.all(batch)));
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        progress('fixtures', `signing ${alg} pool: ${tokens.length}/${count}`);
      }
    }
    progress('fixtures', `${count} distinct ${alg} tokens signed with jose in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return tokens;
  };
  return {
    dir,
    pki,
    files,
    issuer: ISSUER,
    audience: AUDIENCE,
    clientId: CLIENT_ID,
    thumbprint,
    keys,
    jwks,
    jwksFile,
    warmToken,
    pool(alg, count) {
      // One signing job per algorithm, shared: a prefetch started early and the scenario that needs the pool
      // wait for the same promise.
      const existing = pools.get(alg);
      if (existing !== undefined && existing.count >= count) return existing.tokens.then((tokens) => tokens.slice(0, count));
      const tokens = signPool(alg, count);
      pools.set(alg, { count, tokens });
      return tokens;
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
