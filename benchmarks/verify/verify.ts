/**
 * Verification micro-benchmark for @certbound/core (benchmarks/README.md target 3), one core, sequential.
 *
 * For RS256, PS256, ES256 and EdDSA it measures verifications per second of:
 * - cold: the verifier with its cache off, cycling through distinct valid certificate-bound tokens;
 * - warm: the verifier with its default cache, one token repeated (every hit still re-checks time and binding);
 * - jose: `jose.jwtVerify` with a pre-imported key and the same checks (iss, aud, typ, exp, alg) plus the
 *   `x5t#S256` comparison;
 * - raw: `node:crypto.verify` with a pre-imported KeyObject plus `JSON.parse` of the payload — the floor.
 *
 * Each cell is time-bounded. The four contenders of one algorithm run in alternating rounds (order rotated per
 * round) and the median round counts, so machine noise hits them alike and the ratios are comparable.
 *
 *   pnpm exec tsx benchmarks/verify/verify.ts [--quick]
 */
import { KeyObject, constants, createHash, randomUUID, sign, verify, type VerifyKeyObjectInput } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createVerifier, staticKeys, type JwsAlgorithm, type Verifier } from '@certbound/core';
import { exportJWK, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';

export const ALGORITHMS: readonly JwsAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const CONTENDERS = ['cold', 'warm', 'jose', 'raw'] as const;
type Contender = (typeof CONTENDERS)[number];

const ISSUER = 'https://login.microsoftonline.com/7f9c1b7e-1f43-4a4c-9d1e-2b6f1a6c9b11/v2.0';
const AUDIENCE = 'api://certbound-bench';
const THUMBPRINT = createHash('sha256').update('benchmark client certificate').digest('base64url');

export interface VerifyBenchmarkOptions {
  /** Shorter cells and fewer tokens, for smoke runs. Default false. */
  quick?: boolean;
  /** Receives one progress line per cell. Default: written to stderr. */
  onProgress?: (line: string) => void;
}

/** Verifications per second of one algorithm; the only numbers in a row (a runner files them by name). */
export interface VerifyBenchmarkRow {
  alg: JwsAlgorithm;
  coldOpsPerSec: number;
  warmOpsPerSec: number;
  joseOpsPerSec: number;
  rawOpsPerSec: number;
}

export interface VerifyBenchmarkResult {
  quick: boolean;
  /** Measured time per contender and algorithm, in milliseconds (split into rounds). */
  cellMilliseconds: number;
  rounds: number;
  /** Distinct tokens the cold contenders cycle through. */
  distinctTokens: number;
  node: string;
  rows: VerifyBenchmarkRow[];
  /** Ratios per algorithm, formatted ("4.12×"): cold ÷ jose, cold ÷ raw, warm ÷ cold. */
  ratios: Record<string, { coldOverJose: string; coldOverRaw: string; warmOverCold: string }>;
}

interface Fixture {
  alg: JwsAlgorithm;
  tokens: string[];
  cold: Verifier;
  warm: Verifier;
  joseKey: CryptoKey;
  rawKey: KeyObject | VerifyKeyObjectInput;
  digest: string | null;
}

function signingParameters(alg: JwsAlgorithm, key: KeyObject): { digest: string | null; signKey: KeyObject | VerifyKeyObjectInput } {
  if (alg === 'EdDSA') return { digest: null, signKey: key };
  const digest = `sha${alg.slice(2)}`;
  if (alg.startsWith('PS')) return { digest, signKey: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 } };
  if (alg.startsWith('ES')) return { digest, signKey: { key, dsaEncoding: 'ieee-p1363' } };
  return { digest, signKey: key };
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function fixture(alg: JwsAlgorithm, count: number): Promise<Fixture> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `bench-${alg.toLowerCase()}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const signer = signingParameters(alg, KeyObject.from(privateKey));
  const verifier = signingParameters(alg, KeyObject.from(publicKey));
  const now = Math.floor(Date.now() / 1000);
  // Entra-shaped, certificate-bound access tokens (about 800 bytes each), signed with node:crypto for speed.
  const header = b64url({ alg, kid, typ: 'at+jwt' });
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = b64url({
      aud: AUDIENCE,
      iss: ISSUER,
      iat: now - 60,
      nbf: now - 60,
      exp: now + 3600,
      aio: randomUUID(),
      azp: '2d4c5f1e-9a1b-4f2e-8c3d-6b7a8e9f0a1b',
      azpacr: '2',
      oid: randomUUID(),
      rh: '0.AAAA',
      roles: ['Orders.Read.All', 'Orders.Write.All'],
      sub: randomUUID(),
      tid: '7f9c1b7e-1f43-4a4c-9d1e-2b6f1a6c9b11',
      uti: randomUUID().slice(0, 22),
      ver: '2.0',
      jti: `${alg}-${i}`,
      cnf: { 'x5t#S256': THUMBPRINT },
    });
    const input = `${header}.${payload}`;
    tokens.push(`${input}.${sign(signer.digest, Buffer.from(input), signer.signKey).toString('base64url')}`);
  }
  const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], keys: staticKeys({ keys: [jwk as never] }) };
  return {
    alg,
    tokens,
    cold: createVerifier({ ...options, cache: false }),
    warm: createVerifier(options),
    joseKey: publicKey,
    rawKey: verifier.signKey,
    digest: verifier.digest,
  };
}

const CERTIFICATE = { thumbprint: THUMBPRINT };

/** One contender's loop: as many verifications as fit in `ms`, checked so a broken contender cannot look fast. */
async function runFor(f: Fixture, contender: Contender, ms: number): Promise<{ operations: number; seconds: number }> {
  const { tokens } = f;
  const deadline = performance.now() + ms;
  const started = performance.now();
  let operations = 0;
  let index = 0;
  let failures = 0;
  const joseOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: [f.alg], typ: 'at+jwt', requiredClaims: ['exp'] };
  while (performance.now() < deadline) {
    // Check the clock every 32 verifications: reading it is not free next to a cache hit.
    for (let i = 0; i < 32; i++) {
      const token = tokens[index]!;
      index = index + 1 === tokens.length ? 0 : index + 1;
      switch (contender) {
        case 'cold':
          if (!(await f.cold.verifyToken(token, CERTIFICATE)).ok) failures++;
          break;
        case 'warm':
          if (!(await f.warm.verifyToken(tokens[0]!, CERTIFICATE)).ok) failures++;
          break;
        case 'jose': {
          const { payload } = await jwtVerify(token, f.joseKey, joseOptions);
          if ((payload['cnf'] as Record<string, unknown> | undefined)?.['x5t#S256'] !== THUMBPRINT) failures++;
          break;
        }
        case 'raw': {
          const first = token.indexOf('.');
          const second = token.indexOf('.', first + 1);
          const valid = verify(f.digest, Buffer.from(token.slice(0, second), 'latin1'), f.rawKey, Buffer.from(token.slice(second + 1), 'base64url'));
          const claims = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as { exp: number };
          if (!valid || typeof claims.exp !== 'number') failures++;
          break;
        }
      }
    }
    operations += 32;
  }
  if (failures > 0) throw new Error(`${contender} ${f.alg}: ${failures} verifications failed`);
  return { operations, seconds: (performance.now() - started) / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function times(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** Run the benchmark and return its figures (also used by the benchmark runner, benchmarks/src/scenarios/verify.ts). */
export async function runVerifyBenchmark(options: VerifyBenchmarkOptions = {}): Promise<VerifyBenchmarkResult> {
  const quick = options.quick === true;
  const log = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cellMilliseconds = quick ? 600 : 3000;
  const rounds = quick ? 2 : 5;
  const distinctTokens = quick ? 256 : 1024;
  const rows: VerifyBenchmarkRow[] = [];
  const ratios: VerifyBenchmarkResult['ratios'] = {};

  for (const alg of ALGORITHMS) {
    log(`verify ${alg}: signing ${distinctTokens} tokens`);
    const f = await fixture(alg, distinctTokens);
    try {
      // Warm-up: JIT, key caches, the header memo; nothing measured.
      for (const contender of CONTENDERS) await runFor(f, contender, quick ? 50 : 200);
      const rates: Record<Contender, number[]> = { cold: [], warm: [], jose: [], raw: [] };
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < CONTENDERS.length; k++) {
          const contender = CONTENDERS[(k + round) % CONTENDERS.length]!;
          const { operations, seconds } = await runFor(f, contender, cellMilliseconds / rounds);
          rates[contender].push(operations / seconds);
        }
      }
      const row: VerifyBenchmarkRow = {
        alg,
        coldOpsPerSec: Math.round(median(rates.cold)),
        warmOpsPerSec: Math.round(median(rates.warm)),
        joseOpsPerSec: Math.round(median(rates.jose)),
        rawOpsPerSec: Math.round(median(rates.raw)),
      };
      rows.push(row);
      ratios[alg] = {
        coldOverJose: times(row.coldOpsPerSec / row.joseOpsPerSec),
        coldOverRaw: times(row.coldOpsPerSec / row.rawOpsPerSec),
        warmOverCold: times(row.warmOpsPerSec / row.coldOpsPerSec),
      };
      for (const contender of CONTENDERS) log(`verify ${alg} ${contender.padEnd(4)} ${String(row[`${contender}OpsPerSec`]).padStart(9)} ops/s`);
      log(`verify ${alg}: cold ÷ jose ${ratios[alg].coldOverJose}, cold ÷ raw ${ratios[alg].coldOverRaw}, warm ÷ cold ${ratios[alg].warmOverCold}`);
    } finally {
      await Promise.all([f.cold.close(), f.warm.close()]);
    }
  }
  return { quick, cellMilliseconds, rounds, distinctTokens, node: process.version, rows, ratios };
}

function table(result: VerifyBenchmarkResult): string {
  const header = '| alg | cold (cache off) | warm (cache on) | jose.jwtVerify | raw crypto.verify + parse | cold ÷ jose | cold ÷ raw | warm ÷ cold |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|';
  const lines = result.rows.map((row) => {
    const r = result.ratios[row.alg]!;
    return `| ${row.alg} | ${row.coldOpsPerSec} | ${row.warmOpsPerSec} | ${row.joseOpsPerSec} | ${row.rawOpsPerSec} | ${r.coldOverJose} | ${r.coldOverRaw} | ${r.warmOverCold} |`;
  });
  return [header, rule, ...lines].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const result = await runVerifyBenchmark({ quick });
  process.stdout.write(`\nverifications per second (${result.node}, ${result.rounds} alternating rounds, median; ${result.cellMilliseconds} ms per cell)\n\n${table(result)}\n`);
}
