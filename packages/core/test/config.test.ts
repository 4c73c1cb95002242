import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPki, writeDevPki, type DevPki } from '@certbound/dev-pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, verifierOptionsFromConfig } from '../src/config/config.js';
import { ConfigurationError } from '../src/errors.js';

const JWK = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1', alg: 'ES256' };

let pki: DevPki;
let dir: string;

/** A minimal valid document: relative PEM paths, resolved against `dir`. */
function base(): Record<string, unknown> {
  return {
    listen: { port: 0 },
    tls: { cert: 'pki/server.crt', key: 'pki/server.key' },
    issuer: 'https://issuer.test',
    audience: 'api://test',
    jwks: { keys: [JWK] },
    algorithms: ['ES256'],
  };
}

const INTROSPECTION = { endpoint: 'https://as.test/introspect', clientId: 'orders-api', clientAuth: 'client_secret_basic', clientSecret: 's3cret' };

function refusal(document: unknown): string {
  try {
    parseConfig(document, dir);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the document was accepted');
}

beforeAll(async () => {
  pki = await createDevPki({ clients: ['client-a'] });
  dir = await mkdtemp(join(tmpdir(), 'certbound-config-'));
  await writeDevPki(pki, join(dir, 'pki'));
  await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [JWK] }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('docs/configuration.md: loading', () => {
  it('applies the documented defaults: listen 127.0.0.1, verifyClientCertificate false, no guards', () => {
    const config = parseConfig({ ...base(), listen: undefined }, dir);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.tls?.verifyClientCertificate).toBe(false);
    expect(config.requiredScopes).toEqual([]);
    expect(config.requiredRoles).toEqual([]);
    expect(config.binding).toBeUndefined();
  });

  it('resolves relative PEM paths against the config file folder, not the working directory', async () => {
    const nested = join(dir, 'nested');
    await mkdir(nested, { recursive: true });
    const file = join(nested, 'certbound.json');
    await writeFile(file, JSON.stringify({ ...base(), tls: { cert: '../pki/server.crt', key: '../pki/server.key', ca: '../pki/ca.crt', verifyClientCertificate: true } }));
    const config = await loadConfig(file);
    expect(config.tls?.cert).toBe(pki.server.cert);
    expect(config.tls?.key).toBe(pki.server.key);
    expect(config.tls?.ca).toBe(pki.ca.cert);
    expect(config.tls?.verifyClientCertificate).toBe(true);
  });

  it('accepts every field of the docs/configuration.md example', () => {
    const config = parseConfig(
      {
        listen: { host: '127.0.0.1', port: 8443 },
        tls: { cert: 'pki/server.crt', key: 'pki/server.key', verifyClientCertificate: false, ca: 'pki/ca.crt' },
        issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
        audience: 'api://my-api',
        jwksUri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
        jwksCa: 'pki/ca.crt',
        algorithms: ['RS256', 'ES256'],
        tokenTypes: ['at+jwt', 'application/at+jwt', 'JWT'],
        clockToleranceSeconds: 30,
        binding: 'required',
        schemes: ['Bearer', 'mtls_pop'],
        certificateSource: { type: 'header', format: 'nginx', header: 'x-ssl-client-cert', trustedProxies: ['127.0.0.1/32', '::1/128'] },
        requiredScopes: ['api.read'],
        requiredRoles: ['Api.Reader'],
      },
      dir,
    );
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(config.jwksCa).toBe(pki.ca.cert);
    expect(config.certificateSource).toEqual({ type: 'header', format: 'nginx', header: 'x-ssl-client-cert', trustedProxies: ['127.0.0.1/32', '::1/128'] });
    expect(config.requiredScopes).toEqual(['api.read']);
    expect(config.requiredRoles).toEqual(['Api.Reader']);
  });

  it('reads a JWKS from a file named by a relative path (extension)', () => {
    expect(parseConfig({ ...base(), jwks: 'jwks.json' }, dir).jwks).toEqual({ keys: [JWK] });
  });

  it('accepts inline PEM text (extension)', () => {
    const config = parseConfig({ ...base(), tls: { cert: pki.server.cert, key: pki.server.key } }, dir);
    expect(config.tls?.cert).toBe(pki.server.cert);
  });

  it('leaves fields a caller declares (allowFields) to that caller', () => {
    const document = { ...base(), upstream: 'http://127.0.0.1:9' };
    expect(refusal(document)).toMatch(/unknown field upstream/);
    expect(parseConfig(document, dir, { allowFields: ['upstream'] })).not.toHaveProperty('upstream');
  });

  it('loadConfig refuses a file that is not JSON, naming the file', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "issuer": ');
    await expect(loadConfig(file)).rejects.toThrow(/broken\.json is not valid JSON/);
    await expect(loadConfig(join(dir, 'absent.json'))).rejects.toThrow(/cannot read .*absent\.json \(ENOENT\)/);
  });
});

describe('docs/configuration.md: unknown fields and wrong types are refused naming the field', () => {
  const cases: Array<[string, (d: Record<string, unknown>) => unknown, RegExp]> = [
    ['an unknown top-level field', (d) => ({ ...d, issuers: 'x' }), /unknown field issuers/],
    ['an unknown listen field', (d) => ({ ...d, listen: { port: 0, address: '0.0.0.0' } }), /unknown field listen\.address/],
    ['an unknown tls field', (d) => ({ ...d, tls: { ...(d['tls'] as object), rejectUnauthorized: false } }), /unknown field tls\.rejectUnauthorized/],
    ['an unknown certificateSource field', (d) => ({ ...d, certificateSource: { type: 'header', format: 'nginx', trustedProxies: ['127.0.0.1'], trustAll: true } }), /unknown field certificateSource\.trustAll/],
    ['an unknown field on the tls source', (d) => ({ ...d, certificateSource: { type: 'tls', header: 'x' } }), /unknown field certificateSource\.header/],
    ['a document that is not an object', () => [], /must be an object/],
    ['issuer missing', (d) => ({ ...d, issuer: undefined }), /issuer must be set/],
    ['issuer of the wrong type', (d) => ({ ...d, issuer: 42 }), /issuer must be an array of strings, got number 42/],
    ['an empty issuer list', (d) => ({ ...d, issuer: [] }), /issuer must be a non-empty array/],
    ['audience of the wrong type', (d) => ({ ...d, audience: { id: 'x' } }), /audience must be/],
    ['an audience list with a non-string', (d) => ({ ...d, audience: ['a', 7] }), /audience\[1\] must be a non-empty string/],
    ['algorithms missing', (d) => ({ ...d, algorithms: undefined }), /algorithms must be set/],
    ['an empty algorithm list', (d) => ({ ...d, algorithms: [] }), /algorithms must be a non-empty array/],
    ['SECURITY 1: HS256 in the allow-list', (d) => ({ ...d, algorithms: ['ES256', 'HS256'] }), /algorithms\[1\] must be one of/],
    ['SECURITY 1: none in the allow-list', (d) => ({ ...d, algorithms: ['none'] }), /algorithms\[0\] must be one of/],
    ['neither jwks nor jwksUri', (d) => ({ ...d, jwks: undefined }), /jwks must be given, or jwksUri/],
    ['both jwks and jwksUri', (d) => ({ ...d, jwksUri: 'https://issuer.test/keys' }), /jwks must be given, or jwksUri, but not both/],
    ['SECURITY 2: a JWKS over plain http', (d) => ({ ...d, jwks: undefined, jwksUri: 'http://issuer.test/keys' }), /jwksUri must be an https URL/],
    ['a jwksUri that is no URL', (d) => ({ ...d, jwks: undefined, jwksUri: 'keys.json' }), /jwksUri must be an absolute https URL/],
    ['jwksCa without jwksUri', (d) => ({ ...d, jwksCa: 'pki/ca.crt' }), /jwksCa must be used only with jwksUri/],
    ['jwksOptions without jwksUri', (d) => ({ ...d, jwksOptions: { timeoutMs: 2000 } }), /jwksOptions must be used only with jwksUri/],
    ['an unknown jwksOptions field', (d) => ({ ...d, jwks: undefined, jwksUri: 'https://issuer.test/keys', jwksOptions: { timeout: 2000 } }), /unknown field jwksOptions\.timeout/],
    ['jwksOptions.timeoutMs as a string', (d) => ({ ...d, jwks: undefined, jwksUri: 'https://issuer.test/keys', jwksOptions: { timeoutMs: '2000' } }), /jwksOptions\.timeoutMs must be an integer from 1 to 120000/],
    ['a zero jwksOptions.cacheMaxAgeMs', (d) => ({ ...d, jwks: undefined, jwksUri: 'https://issuer.test/keys', jwksOptions: { cacheMaxAgeMs: 0 } }), /jwksOptions\.cacheMaxAgeMs must be an integer/],
    ['a tiny jwksOptions.maxResponseBytes', (d) => ({ ...d, jwks: undefined, jwksUri: 'https://issuer.test/keys', jwksOptions: { maxResponseBytes: 10 } }), /jwksOptions\.maxResponseBytes must be an integer from 256/],
    ['a negative jwksOptions.cooldownMs', (d) => ({ ...d, jwks: undefined, jwksUri: 'https://issuer.test/keys', jwksOptions: { cooldownMs: -1 } }), /jwksOptions\.cooldownMs must be an integer/],
    ['an unknown-kid wait longer than the timeout', (d) => ({ ...d, jwks: undefined, jwksUri: 'https://issuer.test/keys', jwksOptions: { timeoutMs: 2000, unknownKidWaitMs: 3000 } }), /jwksOptions\.unknownKidWaitMs must be an integer from 0 to 2000/],
    ['an empty JWKS', (d) => ({ ...d, jwks: { keys: [] } }), /jwks\.keys must be a non-empty array/],
    ['introspection over plain http', (d) => ({ ...d, introspection: { ...INTROSPECTION, endpoint: 'http://as.test/introspect' } }), /introspection\.endpoint must be an https URL/],
    ['an unknown introspection field', (d) => ({ ...d, introspection: { ...INTROSPECTION, secret: 'x' } }), /unknown field introspection\.secret/],
    ['an unknown client authentication', (d) => ({ ...d, introspection: { ...INTROSPECTION, clientAuth: 'none' } }), /introspection\.clientAuth must be one of/],
    ['client_secret_basic without a secret', (d) => ({ ...d, introspection: { ...INTROSPECTION, clientSecret: undefined } }), /introspection\.clientSecret is required/],
    ['tls_client_auth without a certificate', (d) => ({ ...d, introspection: { ...INTROSPECTION, clientAuth: 'tls_client_auth' } }), /introspection\.tls needs cert and key/],
    ['no keys with only opaque tokens introspected', (d) => ({ ...d, jwks: undefined, introspection: INTROSPECTION }), /jwks must be given, or jwksUri/],
    ['a JWK without kty', (d) => ({ ...d, jwks: { keys: [{ kid: 'x' }] } }), /jwks\.keys\[0\]\.kty must be a non-empty string/],
    ['a port out of range', (d) => ({ ...d, listen: { port: 70000 } }), /listen\.port must be an integer from 0 to 65535/],
    ['a port given as a string', (d) => ({ ...d, listen: { port: '8443' } }), /listen\.port must be an integer/],
    ['a host of the wrong type', (d) => ({ ...d, listen: { host: 127 } }), /listen\.host must be a non-empty string/],
    ['verifyClientCertificate as a string', (d) => ({ ...d, tls: { ...(d['tls'] as object), verifyClientCertificate: 'yes' } }), /tls\.verifyClientCertificate must be true or false/],
    ['verifyClientCertificate true without a CA', (d) => ({ ...d, tls: { ...(d['tls'] as object), verifyClientCertificate: true } }), /tls\.ca must be set when/],
    ['a missing certificate file', (d) => ({ ...d, tls: { cert: 'pki/nope.crt', key: 'pki/server.key' } }), /tls\.cert: cannot read .*nope\.crt \(ENOENT\)/],
    ['a certificate where the key belongs', (d) => ({ ...d, tls: { cert: 'pki/server.crt', key: 'pki/server.crt' } }), /tls\.key is not a PEM private key/],
    ['a key where the certificate belongs', (d) => ({ ...d, tls: { cert: 'pki/server.key', key: 'pki/server.key' } }), /tls\.cert is not a PEM certificate/],
    ['a binding policy that does not exist', (d) => ({ ...d, binding: 'off' }), /binding must be one of "required", "if-present", "report-only"/],
    ['a scheme with a space', (d) => ({ ...d, schemes: ['Bearer x'] }), /schemes\[0\] must be an RFC 9110 token/],
    ['an empty scheme list', (d) => ({ ...d, schemes: [] }), /schemes must be a non-empty array/],
    ['a negative clock tolerance', (d) => ({ ...d, clockToleranceSeconds: -1 }), /clockToleranceSeconds must be a number/],
    ['a clock tolerance given as a string', (d) => ({ ...d, clockToleranceSeconds: '30' }), /clockToleranceSeconds must be a number/],
    ['a certificate source of unknown type', (d) => ({ ...d, certificateSource: { type: 'cookie' } }), /certificateSource\.type must be one of "tls", "header"/],
    ['a header source of unknown format', (d) => ({ ...d, certificateSource: { type: 'header', format: 'apache', trustedProxies: ['127.0.0.1'] } }), /certificateSource\.format must be one of/],
    ['SECURITY 7: a header source without trustedProxies', (d) => ({ ...d, certificateSource: { type: 'header', format: 'nginx' } }), /certificateSource\.trustedProxies must be a non-empty array of CIDRs/],
    ['SECURITY 7: an empty trustedProxies list', (d) => ({ ...d, certificateSource: { type: 'header', format: 'nginx', trustedProxies: [] } }), /certificateSource\.trustedProxies must list at least one CIDR/],
    ['SECURITY 7: a malformed CIDR', (d) => ({ ...d, certificateSource: { type: 'header', format: 'nginx', trustedProxies: ['127.0.0.1/33'] } }), /certificateSource\.trustedProxies\[0\]/],
    ['SECURITY 7: trustedProxies as a string', (d) => ({ ...d, certificateSource: { type: 'header', format: 'nginx', trustedProxies: '127.0.0.1/32' } }), /certificateSource\.trustedProxies must be an array/],
    ['a header name with a colon', (d) => ({ ...d, certificateSource: { type: 'header', format: 'nginx', trustedProxies: ['127.0.0.1'], header: 'x-cert:' } }), /certificateSource\.header must be an HTTP header name/],
    ['requiredScopes as a string', (d) => ({ ...d, requiredScopes: 'api.read' }), /requiredScopes must be an array of strings/],
    ['requiredRoles with an empty role', (d) => ({ ...d, requiredRoles: [''] }), /requiredRoles\[0\] must be a non-empty string/],
    ['plain HTTP with the TLS source and required binding', (d) => ({ ...d, tls: undefined }), /tls must be set unless certificateSource\.type is "header"/],
  ];
  for (const [name, mutate, message] of cases) {
    it(`refuses ${name}`, () => {
      expect(refusal(mutate(base()))).toMatch(message);
    });
  }

  it('jwksOptions: a ConfigurationError whose field is the file\'s path', () => {
    const document = { ...base(), jwks: undefined, jwksUri: 'https://issuer.test/keys', jwksOptions: { unknownKidWaitMs: 9000 } };
    expect(() => parseConfig(document, dir)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', field: 'jwksOptions.unknownKidWaitMs' }));
  });

  it('refuses with a ConfigurationError carrying the field', () => {
    expect(() => parseConfig({ ...base(), issuer: 1 }, dir)).toThrow(ConfigurationError);
    expect(() => parseConfig({ ...base(), issuer: 1 }, dir)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', field: 'issuer' }));
    const proxies = { type: 'header', format: 'nginx', trustedProxies: ['127.0.0.1/32', '10.0.0.0/40'] };
    expect(() => parseConfig({ ...base(), certificateSource: proxies }, dir)).toThrow(expect.objectContaining({ field: 'certificateSource.trustedProxies[1]' }));
  });
});

describe('docs/configuration.md → verifier options', () => {
  it('maps every verifier field and leaves listen, tls and the guards out', () => {
    const config = parseConfig(
      {
        ...base(),
        jwks: undefined,
        jwksUri: 'https://issuer.test/keys',
        jwksCa: 'pki/ca.crt',
        jwksOptions: { timeoutMs: 3000, cooldownMs: 10_000, cacheMaxAgeMs: 120_000, maxResponseBytes: 32_768, unknownKidWaitMs: 500 },
        tokenTypes: ['JWT'],
        clockToleranceSeconds: 5,
        binding: 'if-present',
        schemes: ['mtls_pop'],
        certificateSource: { type: 'header', format: 'rfc9440', trustedProxies: ['10.0.0.0/8'] },
        requiredScopes: ['s'],
        requiredRoles: ['r'],
        requiredClaims: ['tid'],
        maxTokenLength: 4096,
        realm: 'api',
      },
      dir,
    );
    const options = verifierOptionsFromConfig(config);
    const { keys, certificateSource, ...plain } = options;
    expect(plain).toEqual({
      issuer: 'https://issuer.test',
      audience: 'api://test',
      algorithms: ['ES256'],
      tokenTypes: ['JWT'],
      clockToleranceSeconds: 5,
      binding: 'if-present',
      schemes: ['mtls_pop'],
      requiredClaims: ['tid'],
      maxTokenLength: 4096,
      realm: 'api',
    });
    // The file's key and certificate fields become the values an application builds with the constructors.
    expect(keys).toMatchObject({
      kind: 'remote',
      uri: 'https://issuer.test/keys',
      ca: [pki.ca.cert],
      timeoutMs: 3000,
      cooldownMs: 10_000,
      cacheMaxAgeMs: 120_000,
      maxResponseBytes: 32_768,
      unknownKidWaitMs: 500,
    });
    expect(certificateSource).toMatchObject({ type: 'header', format: 'rfc9440', header: 'client-cert', trustedProxies: ['10.0.0.0/8'] });
  });

  it('maps introspection onto introspection(), its PEM files read; keys are optional for tokens "all"', () => {
    const config = parseConfig(
      {
        ...base(),
        jwks: undefined,
        introspection: {
          endpoint: 'https://as.test/introspect',
          clientId: 'orders-api',
          clientAuth: 'tls_client_auth',
          tls: { cert: 'pki/client-a.crt', key: 'pki/client-a.key', ca: 'pki/ca.crt' },
          tokens: 'all',
          cacheMaxSeconds: 30,
        },
      },
      dir,
    );
    expect(config.introspection).toMatchObject({ clientAuth: 'tls_client_auth', tokens: 'all', cacheMaxSeconds: 30, tls: { ca: pki.ca.cert } });
    const options = verifierOptionsFromConfig(config);
    expect(options.keys).toBeUndefined();
    expect(options.introspection).toMatchObject({ kind: 'introspection', tokens: 'all', responseFormat: 'json' });
  });

  it('passes a static JWKS through and leaves defaults to the verifier', () => {
    const { keys, ...plain } = verifierOptionsFromConfig(parseConfig(base(), dir));
    expect(plain).toEqual({ issuer: 'https://issuer.test', audience: 'api://test', algorithms: ['ES256'] });
    expect(keys).toMatchObject({ kind: 'static', jwks: { keys: [JWK] } });
  });
});
