import { ConfigurationError } from '../../src/errors.js';
import { describe, expect, it } from 'vitest';
import { headerSource } from '../../src/certificates/header.js';
import type { HeaderCertificateFormat, RequestInput } from '../../src/types.js';
import { expectOutcome, hexSha256, pemOf, requestInput, testPki, TRUSTED, UNTRUSTED_PEER, type HeaderOptions } from './support.js';

const create = (options: unknown) => () => headerSource(options as HeaderOptions);
const base: HeaderOptions = { format: 'nginx', trustedProxies: TRUSTED };

describe('headerSource options (validated at creation)', () => {
  it('SECURITY 7: refuses a header source without trustedProxies (no default)', () => {
    expect(create({ format: 'nginx' })).toThrow(ConfigurationError);
    expect(create({ format: 'nginx' })).toThrow('certificateSource.trustedProxies is required for header sources');
  });

  it('SECURITY 7: refuses an empty or malformed trustedProxies list, naming the entry', () => {
    expect(create({ ...base, trustedProxies: [] })).toThrow(/certificateSource\.trustedProxies must list at least one CIDR/);
    expect(create({ ...base, trustedProxies: '127.0.0.1/32' })).toThrow(/certificateSource\.trustedProxies must be an array/);
    expect(create({ ...base, trustedProxies: ['127.0.0.1/32', '10.0.0.0/40'] })).toThrow(/certificateSource\.trustedProxies\[1\]/);
    expect(create({ ...base, trustedProxies: ['not-an-ip'] })).toThrow(ConfigurationError);
  });

  it('refuses an unknown format, naming the field', () => {
    for (const format of ['envoy', 'NGINX', '', undefined, 7, 'toString', '__proto__']) {
      expect(create({ ...base, format })).toThrow(ConfigurationError);
      expect(create({ ...base, format })).toThrow(/certificateSource\.format must be one of "rfc9440", "xfcc", "nginx"/);
    }
  });

  it('refuses a bad header or hashHeader name, naming the field', () => {
    for (const header of ['', 'x ssl', 'x-ssl:cert', 'x-ssl\r\nx', 'é', 'x'.repeat(129), 42, null]) {
      expect(create({ ...base, header })).toThrow(/certificateSource\.header must be an HTTP header name/);
      expect(create({ ...base, hashHeader: header })).toThrow(/certificateSource\.hashHeader must be an HTTP header name/);
    }
    expect(create({ ...base, header: 'X-Cert', hashHeader: 'x-cert' })).toThrow(/certificateSource\.hashHeader must differ/);
    expect(create({ ...base, hashHeader: 'x-ssl-client-cert' })).toThrow(/certificateSource\.hashHeader must differ/);
  });

  it('refuses a bad maxHeaderBytes, naming the field', () => {
    for (const maxHeaderBytes of [0, -1, 1.5, Number.NaN, Infinity, '16384', 2_000_000]) {
      expect(create({ ...base, maxHeaderBytes })).toThrow(/certificateSource\.maxHeaderBytes must be an integer/);
    }
    expect(create({ ...base, maxHeaderBytes: 4096 })).not.toThrow();
  });

  it('refuses unknown options, including a "type" (the constructor is the type)', () => {
    expect(create({ ...base, trustedProxy: ['127.0.0.1'] })).toThrow(/certificateSource\.trustedProxy is not a known option/);
    expect(create({ ...base, type: 'tls' })).toThrow(/certificateSource\.type is not a known option/);
    expect(create(null)).toThrow(ConfigurationError);
  });

  it('has a default header name per format (docs/configuration.md certificateSource)', async () => {
    const { a } = await testPki();
    const defaults: Array<[HeaderCertificateFormat, string, string]> = [
      ['rfc9440', 'Client-Cert', `:${a.der.toString('base64')}:`],
      ['xfcc', 'X-Forwarded-Client-Cert', `Hash=${hexSha256(a.der)}`],
      ['nginx', 'X-SSL-Client-Cert', encodeURIComponent(pemOf(a.der))],
      ['aws-alb', 'X-Amzn-Mtls-Clientcert-Leaf', encodeURIComponent(pemOf(a.der))],
      ['azure-arr', 'X-ARR-ClientCert', a.der.toString('base64')],
      ['traefik', 'X-Forwarded-Tls-Client-Cert', a.der.toString('base64')],
      ['base64-der', 'X-SSL-Client-DER', a.der.toString('base64')],
    ];
    for (const [format, header, value] of defaults) {
      const source = headerSource({ format, trustedProxies: TRUSTED });
      expect(source.type).toBe('header');
      expectOutcome(source.lookup(requestInput([[header, value]])), { thumbprint: a.thumbprint });
      // The same value under another name is not read.
      expectOutcome(source.lookup(requestInput([['X-Other', value]])), 'none');
    }
  });
});

describe('header source lookup', () => {
  it('never throws out of lookup, whatever the input object', async () => {
    const source = headerSource(base);
    const hostile: unknown[] = [
      {},
      { headers: {} },
      { headers: null, remoteAddress: '127.0.0.1' },
      {
        get headers(): never {
          throw new Error('boom');
        },
        remoteAddress: '127.0.0.1',
      },
      { headers: {}, rawHeaders: ['x-ssl-client-cert'], remoteAddress: '127.0.0.1' },
      { headers: {}, rawHeaders: [1, 2, 3, 4], remoteAddress: '127.0.0.1' },
      { headers: { 'x-ssl-client-cert': 5 }, remoteAddress: '127.0.0.1' },
      { headers: {}, socket: { remoteAddress: 7 } },
      {
        headers: {},
        get remoteAddress(): never {
          throw new Error('boom');
        },
      },
    ];
    for (const input of hostile) {
      const result = source.lookup(input as RequestInput);
      expect(typeof result.ok).toBe('boolean');
    }
    expect(source.lookup(hostile[3] as RequestInput)).toMatchObject({ ok: false, code: 'ERR_CERTIFICATE_HEADER_INVALID' });
  });

  it('takes the peer from input.remoteAddress, else from socket.remoteAddress', async () => {
    const { a } = await testPki();
    const source = headerSource(base);
    const value = encodeURIComponent(pemOf(a.der));
    const viaSocket = { headers: { 'x-ssl-client-cert': value }, socket: { remoteAddress: '::ffff:127.0.0.1' } };
    expectOutcome(source.lookup(viaSocket), { thumbprint: a.thumbprint });
    // An explicit remoteAddress wins over the socket's.
    expect(source.lookup({ ...viaSocket, remoteAddress: UNTRUSTED_PEER })).toMatchObject({ ignoredUntrustedHeader: true, thumbprint: null });
  });

  it('remembers recent header values (same outcome object) and stays bounded', async () => {
    const { a, b } = await testPki();
    const source = headerSource({ ...base, hashHeader: 'x-hash' });
    const value = encodeURIComponent(pemOf(a.der));
    const first = source.lookup(requestInput([['x-ssl-client-cert', value]]));
    const again = source.lookup(requestInput([['x-ssl-client-cert', value]]));
    expectOutcome(first, { thumbprint: a.thumbprint });
    expect(again).toBe(first); // served from the cache: no second X.509 parse
    expect(Object.isFrozen(first)).toBe(true);
    // Failures are cached the same way, and are just as final.
    const bad = source.lookup(requestInput([['x-ssl-client-cert', `${value}%`]]));
    expect(source.lookup(requestInput([['x-ssl-client-cert', `${value}%`]]))).toBe(bad);
    // The cache key includes the hash header: a different hash is a different outcome.
    const mismatch = source.lookup(requestInput([['x-ssl-client-cert', value], ['x-hash', hexSha256(b.der)]]));
    expectOutcome(mismatch, 'ERR_CERTIFICATE_HASH_MISMATCH');
    // Fill the cache with many other values; the first entry is evicted, then recomputed to the same answer.
    for (let i = 0; i < 200; i++) {
      const hex = i.toString(16).padStart(64, '0');
      expect(source.lookup(requestInput([['x-hash', hex]]))).toMatchObject({ ok: true, from: 'header' });
    }
    const recomputed = source.lookup(requestInput([['x-ssl-client-cert', value]]));
    expect(recomputed).not.toBe(first);
    expect(recomputed).toEqual(first);
  });
});
