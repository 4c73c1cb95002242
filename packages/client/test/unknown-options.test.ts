import { describe, expect, it } from 'vitest';
import { createConfidentialClient, TokenCache, type ConfidentialClientOptions } from '../src/index.js';
import { closestName } from '../src/lib/known-options.js';
import { AUTHORITY, CLIENT_ID, GRAPH } from './support/fixtures.js';

// A misspelt option must not fall back to its default in silence: it is a TypeError naming the field and the
// closest known name.

const base: ConfidentialClientOptions = { clientId: CLIENT_ID, authority: AUTHORITY, credential: { clientSecret: 'not-used-here' }, azureRegion: false };
const create = (extra: Record<string, unknown>) => () => createConfidentialClient({ ...base, ...extra } as ConfidentialClientOptions);

describe('unknown options are refused with the closest known name', () => {
  it.each([
    ['hostOverride', 'hostOverrides'],
    ['sendx5c', 'sendX5C'],
    ['sendX5c', 'sendX5C'],
    ['clientID', 'clientId'],
    ['azure_region', 'azureRegion'],
    ['tokencache', 'tokenCache'],
    ['authorityTpye', 'authorityType'],
  ])('createConfidentialClient({ %s }) suggests %s', (typo, meant) => {
    expect(create({ [typo]: true })).toThrow(new TypeError(`Unknown createConfidentialClient option "${typo}": did you mean ${meant}?`));
  });

  it('a name close to nothing lists the known options instead', () => {
    expect(create({ retryPolicy: 'aggressive' })).toThrow(/Unknown createConfidentialClient option "retryPolicy": known ones are clientId, authority, .*now/);
  });

  it('MSAL spells it sendX5C, and so does the client: the real option is accepted', () => {
    expect(() => createConfidentialClient({ ...base, sendX5C: true })).not.toThrow();
  });

  it.each([
    ['http', { http: { requestTimeout: 5000 } }, /Unknown http option "requestTimeout": did you mean requestTimeoutMs\?/],
    ['http', { http: { maxAttempt: 2 } }, /Unknown http option "maxAttempt": did you mean maxAttempts\?/],
    ['credential', { credential: { certificate: '/x.pem', privatekey: '/x.key' } }, /Unknown credential field "privatekey": did you mean privateKey\?/],
    ['credential', { credential: { clientSecrets: 'x' } }, /Unknown credential field "clientSecrets": did you mean clientSecret\?/],
  ])('nested %s options are checked the same way', (_where, extra, message) => {
    expect(create(extra)).toThrow(message);
  });

  it('acquireTokenForClient and TokenCache refuse unknown fields too', async () => {
    const client = createConfidentialClient(base);
    try {
      await expect(client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPosession: true } as never)).rejects.toThrow(
        /Unknown acquireTokenForClient option "mtlsProofOfPosession": did you mean mtlsProofOfPossession\?/,
      );
      await expect(client.acquireTokenForClient({ scopes: [GRAPH], forcerefresh: true } as never)).rejects.toThrow(TypeError);
    } finally {
      await client.close();
    }
    expect(() => new TokenCache({ maxEntry: 5 } as never)).toThrow(/Unknown TokenCache option "maxEntry": did you mean maxEntries\?/);
  });

  it('a certificate provider returning a misspelt field is refused at acquisition', async () => {
    const client = createConfidentialClient({ ...base, credential: () => ({ certificate: '/x.pem', private_key: '/x.key' }) as never });
    try {
      await expect(client.acquireTokenForClient({ scopes: [GRAPH], mtlsProofOfPossession: true })).rejects.toThrow(/"private_key": did you mean privateKey\?/);
    } finally {
      await client.close();
    }
  });

  it('closestName is case-insensitive and bounded', () => {
    expect(closestName('HOSTOVERRIDES', ['hostOverrides', 'ca'])).toBe('hostOverrides');
    expect(closestName('zzzzzzzz', ['hostOverrides', 'ca'])).toBeUndefined();
  });
});
