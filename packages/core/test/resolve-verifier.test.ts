import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createVerifier, staticKeys } from '../src/index.js';
import { resolveVerifier } from '../src/adapter.js';
import type { Verifier, VerifierOptions } from '../src/types.js';
import { AUDIENCE, ISSUER, createTestKey, jwksOf, type TestKey } from './helpers/tokens.js';

let key: TestKey;

beforeAll(async () => {
  key = await createTestKey('ES256');
});

function options(): VerifierOptions {
  return { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: staticKeys(jwksOf(key)) };
}

describe('resolveVerifier (shared by the framework adapters)', () => {
  it('creates and owns a verifier from options', async () => {
    const { verifier, owned } = resolveVerifier(options(), 'certbound()');
    expect(owned).toBe(true);
    expect(typeof verifier.verifyRequest).toBe('function');
    expect([verifier.options.issuer].flat()).toEqual([ISSUER]);
    await verifier.close();
  });

  it('passes a ready Verifier through unchanged and leaves it to its owner', async () => {
    const ready = createVerifier(options());
    const resolved = resolveVerifier(ready, 'certbound()');
    expect(resolved.verifier).toBe(ready);
    expect(resolved.owned).toBe(false);
    await ready.close();
  });

  it('fails at startup: invalid options throw the TypeError from createVerifier', () => {
    expect(() => resolveVerifier({ ...options(), algorithms: ['none'] } as unknown as VerifierOptions, 'certbound()')).toThrow(ConfigurationError);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'https://issuer.example'],
    ['an array', [{ issuer: ISSUER }]],
  ])('refuses %s with a TypeError naming the field', (_label, value) => {
    expect(() => resolveVerifier(value as unknown as Verifier, 'option "verifier"')).toThrow(
      new ConfigurationError('option "verifier"', 'option "verifier" expects verifier options or a Verifier from createVerifier()'),
    );
  });
});
