import type { JwsAlgorithm } from '../types.js';
import { importJwk, type KeyRecord } from './jwk.js';

/** Why no key was selected for a token. */
export type KeyMiss =
  /** No key carries the token's `kid` (a refetch may help). */
  | 'unknown-kid'
  /** The `kid` exists, but bound to another algorithm. */
  | 'alg-mismatch'
  /** No `kid` in the token and not exactly one key for its algorithm, or two keys share kid and algorithm. */
  | 'no-unique-key';

/** An immutable, indexed set of imported keys. */
export interface KeySet {
  readonly records: readonly KeyRecord[];
  select(alg: JwsAlgorithm, kid: string | undefined): KeyRecord | KeyMiss;
}

export interface KeySetProblem {
  index: number;
  reason: string;
}

export interface BuiltKeySet {
  set: KeySet;
  /** Keys that are broken or dangerous (reported by static JWKS validation; skipped for remote JWKS). */
  invalid: KeySetProblem[];
}

/**
 * Import every JWK of a JWKS. Keys equal to one of `previous` (same kid, alg and material) keep their record, so
 * verified-token cache entries signed by them stay valid across refetches; the others are new records.
 */
export function buildKeySet(keys: readonly unknown[], allowed: ReadonlySet<JwsAlgorithm>, previous?: KeySet): BuiltKeySet {
  const known = new Map<string, KeyRecord>();
  for (const record of previous?.records ?? []) known.set(record.identity, record);
  const records: KeyRecord[] = [];
  const invalid: KeySetProblem[] = [];
  const seen = new Set<string>();
  keys.forEach((jwk, index) => {
    const imported = importJwk(jwk, allowed);
    if (imported.kind === 'invalid') invalid.push({ index, reason: imported.reason });
    if (imported.kind !== 'usable') return;
    if (seen.has(imported.record.identity)) return; // the same key listed twice is one key
    seen.add(imported.record.identity);
    records.push(known.get(imported.record.identity) ?? imported.record);
  });

  const byKid = new Map<string, KeyRecord[]>();
  const byAlg = new Map<JwsAlgorithm, KeyRecord[]>();
  for (const record of records) {
    if (record.kid !== undefined) {
      const list = byKid.get(record.kid);
      if (list === undefined) byKid.set(record.kid, [record]);
      else list.push(record);
    }
    const list = byAlg.get(record.alg);
    if (list === undefined) byAlg.set(record.alg, [record]);
    else list.push(record);
  }

  const set: KeySet = {
    records: Object.freeze(records),
    select(alg, kid) {
      if (kid === undefined) {
        // Without a kid only an unambiguous key may be used (as jose's local JWKS does).
        const list = byAlg.get(alg);
        return list !== undefined && list.length === 1 ? list[0]! : 'no-unique-key';
      }
      const list = byKid.get(kid);
      if (list === undefined) return 'unknown-kid';
      let match: KeyRecord | undefined;
      for (const record of list) {
        if (record.alg !== alg) continue;
        if (match !== undefined) return 'no-unique-key';
        match = record;
      }
      return match ?? 'alg-mismatch';
    },
  };
  return { set, invalid };
}
