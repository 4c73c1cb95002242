import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { SigningAlgorithm } from '../config.js';

/** A signing key and what the JWKS needs to know about it. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: Readonly<JWK>;
  /** When the key stopped signing (ms), or null for the current key. */
  retiredAt: number | null;
  /** Latest `exp` (ms) of any token signed with this key: a retired key is served until then. */
  lastExpiry: number;
}

async function createKey(alg: SigningAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported, 'sha256'); // RFC 7638: stable, unique per key
  // Only public members: exportJWK of a public key has none of d/p/q/dp/dq/qi, and we pick the members by name anyway.
  const members = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;
  const publicJwk: JWK = { kid, use: 'sig', alg };
  for (const member of members) if (exported[member] !== undefined) publicJwk[member] = exported[member];
  return { kid, alg, privateKey, publicKey, publicJwk, retiredAt: null, lastExpiry: 0 };
}

/**
 * The authority's signing keys: one current key that signs, plus retired keys still needed to verify tokens they
 * signed. A retired key is served (and trusted for Leg-2 assertions) until the last token it signed has expired,
 * then dropped for good.
 */
export class KeyRing {
  private keys: SigningKey[];
  private readonly alg: SigningAlgorithm;

  private constructor(alg: SigningAlgorithm, first: SigningKey) {
    this.alg = alg;
    this.keys = [first];
  }

  static async create(alg: SigningAlgorithm): Promise<KeyRing> {
    return new KeyRing(alg, await createKey(alg));
  }

  /** The key that signs new tokens. */
  current(): SigningKey {
    return this.keys[0] as SigningKey;
  }

  /** Record that a token expiring at `expiryMs` was (about to be) signed with `key`. */
  noteIssued(key: SigningKey, expiryMs: number): void {
    if (expiryMs > key.lastExpiry) key.lastExpiry = expiryMs;
  }

  /** Generate a new current key; the previous one is retired and kept while its tokens live. */
  async rotate(nowMs: number): Promise<SigningKey> {
    const next = await createKey(this.alg);
    const previous = this.current();
    previous.retiredAt = nowMs;
    this.keys = [next, ...this.keys];
    this.prune(nowMs);
    return next;
  }

  /** Keys to serve and trust at `nowMs`: the current one and retired ones with unexpired tokens. */
  live(nowMs: number): readonly SigningKey[] {
    this.prune(nowMs);
    return this.keys;
  }

  /** A live key by `kid`, or undefined. Keys are never found by anything the token header says besides `kid`. */
  find(kid: string, nowMs: number): SigningKey | undefined {
    return this.live(nowMs).find((key) => key.kid === kid);
  }

  jwks(nowMs: number): { keys: JWK[] } {
    return { keys: this.live(nowMs).map((key) => ({ ...key.publicJwk })) };
  }

  private prune(nowMs: number): void {
    this.keys = this.keys.filter((key) => key.retiredAt === null || key.lastExpiry > nowMs);
  }
}
