import { describe, expect, it } from 'vitest';
import { CertboundClientError, entraTokenEndpoint } from '../src/index.js';
import { regionFromEnvironment } from '../src/entra-token-endpoint.js';

const TENANT = '17b189bc-2b81-4ec5-aa51-3e628cbc931b';

function endpoint(host: string, mtls: boolean, region?: string): string {
  return entraTokenEndpoint(`https://${host}/${TENANT}`, { mtls, region });
}

describe('docs/protocol.md §4 host table (mTLS: vanilla flow and Leg 2)', () => {
  it.each([
    ['login.microsoftonline.com', 'westus3', 'westus3.mtlsauth.microsoft.com'],
    ['login.microsoftonline.com', undefined, 'mtlsauth.microsoft.com'],
    ['login.microsoftonline.us', 'usgovvirginia', 'usgovvirginia.mtlsauth.microsoftonline.us'],
    ['login.microsoftonline.us', undefined, 'mtlsauth.microsoftonline.us'],
    ['login.partner.microsoftonline.cn', 'chinanorth3', 'chinanorth3.mtlsauth.partner.microsoftonline.cn'],
    ['login.partner.microsoftonline.cn', undefined, 'mtlsauth.partner.microsoftonline.cn'],
    ['login.sovcloud-identity.fr', 'eastus', 'eastus.mtlsauth.sovcloud-identity.fr'],
    ['login.sovcloud-identity.de', undefined, 'mtlsauth.sovcloud-identity.de'],
    ['login.sovcloud-identity.sg', undefined, 'mtlsauth.sovcloud-identity.sg'],
    // Other public-cloud aliases go to the same mTLS host as login.microsoftonline.com.
    ['login.windows.net', undefined, 'mtlsauth.microsoft.com'],
    ['login.microsoft.com', 'eastus', 'eastus.mtlsauth.microsoft.com'],
    // Any other login.X becomes mtlsauth.X (host names are case-insensitive and come out lower-case).
    ['login.myLocalAAD.com', undefined, 'mtlsauth.mylocalaad.com'],
  ])('%s with region %s → %s', (host, region, expected) => {
    expect(endpoint(host, true, region)).toBe(`https://${expected}/${TENANT}/oauth2/v2.0/token`);
  });

  it.each(['attacker.com/x', 'west us', 'eastus.evil', '', 'west-us', 'ｅａｓｔｕｓ', 'eastus\n'])(
    'docs/protocol.md §4: a malformed region (%j) is ignored and the global host is used',
    (region) => {
      expect(endpoint('login.microsoftonline.com', true, region)).toBe(`https://mtlsauth.microsoft.com/${TENANT}/oauth2/v2.0/token`);
      expect(endpoint('login.microsoftonline.com', false, region)).toBe(`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`);
    },
  );

  it.each(['login.usgovcloudapi.net', 'login.chinacloudapi.cn', 'sts.windows.net', 'mtlsauth.microsoft.com', 'graph.microsoft.com'])(
    'docs/protocol.md §4: %s has no mTLS endpoint → mtls_pop_not_supported_for_environment',
    (host) => {
      const call = () => endpoint(host, true, 'eastus');
      expect(call).toThrow(CertboundClientError);
      expect(call).toThrow(expect.objectContaining({ msalError: 'mtls_pop_not_supported_for_environment', code: 'ERR_CLIENT_MTLS_NOT_SUPPORTED' }));
    },
  );

  it.each(['common', 'organizations', 'consumers', 'Common'])('docs/protocol.md §4: /%s → missing_tenanted_authority', (tenant) => {
    expect(() => entraTokenEndpoint(`https://login.microsoftonline.com/${tenant}`, { mtls: true })).toThrow(
      expect.objectContaining({ msalError: 'missing_tenanted_authority' }),
    );
  });

  it('an authority without a tenant → missing_tenanted_authority', () => {
    expect(() => entraTokenEndpoint('https://login.microsoftonline.com/', { mtls: false })).toThrow(expect.objectContaining({ msalError: 'missing_tenanted_authority' }));
  });

  it('a trailing /v2.0 is accepted; other paths, http, queries and odd tenants are TypeErrors', () => {
    expect(entraTokenEndpoint(`https://login.microsoftonline.com/${TENANT}/v2.0`, { mtls: true })).toBe(`https://mtlsauth.microsoft.com/${TENANT}/oauth2/v2.0/token`);
    for (const bad of [
      `http://login.microsoftonline.com/${TENANT}`,
      `https://login.microsoftonline.com/${TENANT}/oauth2/token`,
      `https://login.microsoftonline.com/${TENANT}?x=1`,
      'https://login.microsoftonline.com/te%2Fnant',
      'not a url',
    ]) {
      expect(() => entraTokenEndpoint(bad, { mtls: true })).toThrow(TypeError);
    }
  });
});

describe('host table without mTLS (jwt-bearer, client secret)', () => {
  it.each([
    ['login.microsoftonline.com', undefined, 'login.microsoftonline.com'],
    ['login.microsoftonline.com', 'westus3', 'westus3.login.microsoft.com'],
    ['login.microsoftonline.us', 'usgovvirginia', 'usgovvirginia.login.microsoftonline.us'],
    ['login.usgovcloudapi.net', 'usgovvirginia', 'usgovvirginia.login.microsoftonline.us'],
    ['login.chinacloudapi.cn', undefined, 'login.chinacloudapi.cn'],
    ['login.chinacloudapi.cn', 'chinanorth3', 'chinanorth3.login.partner.microsoftonline.cn'],
  ])('%s with region %s → %s', (host, region, expected) => {
    expect(endpoint(host, false, region)).toBe(`https://${expected}/${TENANT}/oauth2/v2.0/token`);
  });
});

describe('REGION_NAME', () => {
  it('is read with spaces removed and lower-cased, as MSAL does', () => {
    expect(regionFromEnvironment({ REGION_NAME: ' West US 3 ' })).toBe('westus3');
    expect(regionFromEnvironment({})).toBeUndefined();
    expect(regionFromEnvironment({ REGION_NAME: '  ' })).toBeUndefined();
  });
});
