import { ConfigurationError } from '../../src/errors.js';
import { describe, expect, it } from 'vitest';
import { compileTrustedProxies, parseAddress } from '../../src/certificates/cidr.js';

const FIELD = 'certificateSource.trustedProxies';
const contains = (cidrs: string[], address: string | undefined) => compileTrustedProxies(cidrs, FIELD).contains(address);

describe('trusted-proxy CIDR matching (src/certificates/cidr.ts)', () => {
  it('parses IPv4, IPv6 and their compressed and mapped forms to the same words', () => {
    expect(parseAddress('127.0.0.1')).toEqual([0, 0, 0xffff, 0x7f000001]);
    expect(parseAddress('::ffff:127.0.0.1')).toEqual(parseAddress('127.0.0.1'));
    expect(parseAddress('::FFFF:7f00:1')).toEqual(parseAddress('127.0.0.1'));
    expect(parseAddress('0:0:0:0:0:ffff:7f00:0001')).toEqual(parseAddress('127.0.0.1'));
    expect(parseAddress('::1')).toEqual([0, 0, 0, 1]);
    expect(parseAddress('::')).toEqual([0, 0, 0, 0]);
    expect(parseAddress('2001:db8::1')).toEqual(parseAddress('2001:0db8:0000:0000:0000:0000:0000:0001'));
    expect(parseAddress('1::')).toEqual([0x00010000, 0, 0, 0]);
    expect(parseAddress('1:2:3:4:5:6:7::')).toEqual(parseAddress('1:2:3:4:5:6:7:0'));
    expect(parseAddress('::2:3:4:5:6:7:8')).toEqual(parseAddress('0:2:3:4:5:6:7:8'));
    expect(parseAddress('255.255.255.255')).toEqual([0, 0, 0xffff, -1]);
    expect(parseAddress('fe80::1%eth0', true)).toEqual(parseAddress('fe80::1'));
  });

  it('refuses anything that is not an address', () => {
    const garbage = [
      '', ' ', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.04', '1..3.4', '1.2.3.4 ', '-1.2.3.4', '1.2.3.a',
      ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '1.2.3.4::', '::1.2.3', '::1.2.3.4.5',
      ':1::', '1:', '1::2:', '::ffff:256.0.0.1', 'fe80::1%eth0', 'fe80::1%', '%eth0', 'localhost', '1'.repeat(46), '::1/128',
    ];
    for (const text of garbage) {
      expect({ text, parsed: parseAddress(text) }).toEqual({ text, parsed: null });
    }
  });

  it('matches IPv4 CIDRs, including edge prefixes /0 and /32', () => {
    expect(contains(['10.0.0.0/8'], '10.255.1.2')).toBe(true);
    expect(contains(['10.0.0.0/8'], '11.0.0.1')).toBe(false);
    expect(contains(['192.168.1.0/24'], '192.168.1.255')).toBe(true);
    expect(contains(['192.168.1.0/24'], '192.168.2.0')).toBe(false);
    expect(contains(['127.0.0.1/32'], '127.0.0.1')).toBe(true);
    expect(contains(['127.0.0.1/32'], '127.0.0.2')).toBe(false);
    expect(contains(['127.0.0.1'], '127.0.0.1')).toBe(true); // bare address = /32
    expect(contains(['127.0.0.1'], '127.0.0.2')).toBe(false);
    expect(contains(['0.0.0.0/0'], '203.0.113.9')).toBe(true);
    expect(contains(['0.0.0.0/0'], '::1')).toBe(false); // an IPv4 /0 covers IPv4 only
    expect(contains(['128.0.0.0/1'], '127.255.255.255')).toBe(false);
    expect(contains(['128.0.0.0/1'], '255.0.0.1')).toBe(true);
  });

  it('matches IPv6 CIDRs, including edge prefixes /0 and /128', () => {
    expect(contains(['2001:db8::/32'], '2001:db8:ffff::1')).toBe(true);
    expect(contains(['2001:db8::/32'], '2001:db9::1')).toBe(false);
    expect(contains(['::1/128'], '::1')).toBe(true);
    expect(contains(['::1/128'], '::2')).toBe(false);
    expect(contains(['::1'], '0:0:0:0:0:0:0:1')).toBe(true); // bare address = /128
    expect(contains(['::/0'], '2001:db8::1')).toBe(true);
    expect(contains(['::/0'], '10.1.2.3')).toBe(true); // everything, IPv4 included
    expect(contains(['fe80::/10'], 'fe80::1%lo0')).toBe(true); // zone index of a link-local peer
    expect(contains(['fe80::/10'], 'fec0::1')).toBe(false);
    expect(contains(['2001:db8:0:0:8000::/65'], '2001:db8::8000:0:0:1')).toBe(true);
    expect(contains(['2001:db8:0:0:8000::/65'], '2001:db8::7fff:0:0:1')).toBe(false);
  });

  it('matches IPv4-mapped IPv6 peers against IPv4 CIDRs and vice versa', () => {
    expect(contains(['127.0.0.1/32'], '::ffff:127.0.0.1')).toBe(true);
    expect(contains(['127.0.0.0/8'], '::ffff:7f00:5')).toBe(true);
    expect(contains(['10.0.0.0/8'], '::ffff:127.0.0.1')).toBe(false);
    expect(contains(['::ffff:127.0.0.0/104'], '127.0.0.5')).toBe(true);
    expect(contains(['::ffff:127.0.0.1'], '127.0.0.1')).toBe(true);
    expect(contains(['::ffff:0:0/96'], '198.51.100.7')).toBe(true);
    expect(contains(['::ffff:127.0.0.0/104'], '128.0.0.1')).toBe(false);
    // IPv4-compatible (deprecated) ::a.b.c.d is not IPv4-mapped.
    expect(contains(['127.0.0.1/32'], '::127.0.0.1')).toBe(false);
  });

  it('never trusts a missing or malformed peer address', () => {
    const all = ['0.0.0.0/0', '::/0'];
    for (const peer of [undefined, '', 'localhost', '127.0.0.1:443', '[::1]', '::1 ', 'garbage']) {
      expect({ peer, trusted: contains(all, peer) }).toEqual({ peer, trusted: false });
    }
  });

  it('SECURITY 7: refuses malformed CIDRs at startup with a TypeError naming the entry', () => {
    const bad: unknown[] = ['', 'abc', '10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0.0/', '10.0.0.0/8/8',
      ' 10.0.0.0/8', '10.0.0.0 /8', '10.0.0.1/8', '2001:db8::1/32', 'fe80::/10%eth0', 'fe80::1%eth0', 'localhost', 123, null, {}];
    for (const entry of bad) {
      expect(() => compileTrustedProxies(['127.0.0.1/32', entry], FIELD)).toThrow(ConfigurationError);
      expect(() => compileTrustedProxies(['127.0.0.1/32', entry], FIELD)).toThrow(`${FIELD}[1]`);
    }
    expect(() => compileTrustedProxies(['10.0.0.1/8'], FIELD)).toThrow(/bits set beyond its \/8 prefix/);
  });

  it('SECURITY 7: refuses a missing, empty or non-array list', () => {
    for (const list of [undefined, null, [], '127.0.0.1/32', { 0: '127.0.0.1/32' }]) {
      expect(() => compileTrustedProxies(list, FIELD)).toThrow(ConfigurationError);
      expect(() => compileTrustedProxies(list, FIELD)).toThrow(FIELD);
    }
  });

  it('checks every entry of a longer list', () => {
    const list = compileTrustedProxies(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8'], FIELD);
    expect(list.size).toBe(4);
    expect(list.contains('172.31.255.255')).toBe(true);
    expect(list.contains('172.32.0.0')).toBe(false);
    expect(list.contains('fdff::1')).toBe(true);
    expect(list.contains('fe00::1')).toBe(false);
  });
});
