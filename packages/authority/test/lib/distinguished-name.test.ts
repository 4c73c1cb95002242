// RFC 8705 §2.1.2 subject DN matching: RFC 4514 strings against Node's subject rendering.
import { describe, expect, it } from 'vitest';
import { createDevPki } from '@certbound/dev-pki';
import { parseNodeSubject, parseRfc4514, sameDistinguishedName } from '../../src/lib/distinguished-name.js';

describe('distinguished names', () => {
  it('parses RFC 4514 strings, most significant RDN first, with escapes', () => {
    expect(parseRfc4514('CN=client-a,O=Example,C=NL')).toEqual([
      ['C', 'NL'],
      ['O', 'Example'],
      ['CN', 'client-a'],
    ]);
    expect(parseRfc4514('cn=a\\, b, o = Org')).toEqual([
      ['O', 'Org'],
      ['CN', 'a, b'],
    ]);
    expect(parseRfc4514('CN=caf\\C3\\A9')).toEqual([['CN', 'café']]);
    expect(parseRfc4514('commonName=x')).toEqual([['CN', 'x']]);
    expect(parseRfc4514('CN=\\ lead')).toEqual([['CN', ' lead']]);
  });

  it('refuses what it cannot represent exactly', () => {
    for (const bad of ['', 'CN', 'CN=', 'CN=a+O=b', 'CN="quoted"', 'CN=a,', '=a', 'CN=\\zz', 'CN=\\FF', '1CN=a']) expect(parseRfc4514(bad), bad).toBeNull();
  });

  it('matches the subject of a real certificate, special characters included', async () => {
    const pki = await createDevPki({ clients: [] });
    const tricky = await pki.ca.issue({ commonName: 'a, b+c\\d "e" #x\u00e9', usage: 'client' });
    const fromNode = parseNodeSubject(tricky.x509.subject);
    expect(fromNode).toEqual([['CN', 'a, b+c\\d "e" #x\u00e9']]);
    const configured = parseRfc4514('CN=a\\, b\\+c\\\\d \\"e\\" #x\u00e9');
    expect(configured).not.toBeNull();
    expect(sameDistinguishedName(configured ?? [], fromNode ?? [])).toBe(true);
    expect(sameDistinguishedName(parseRfc4514('CN=a, b') ?? [], fromNode ?? [])).toBe(false);
  });

  it('compares exactly: order, case of values and extra RDNs matter', () => {
    const dn = parseRfc4514('CN=a,O=b') ?? [];
    expect(sameDistinguishedName(dn, parseRfc4514('CN=a,O=b') ?? [])).toBe(true);
    expect(sameDistinguishedName(dn, parseRfc4514('O=b,CN=a') ?? [])).toBe(false);
    expect(sameDistinguishedName(dn, parseRfc4514('CN=A,O=b') ?? [])).toBe(false);
    expect(sameDistinguishedName(dn, parseRfc4514('CN=a,O=b,C=NL') ?? [])).toBe(false);
    expect(sameDistinguishedName(parseNodeSubject('C=NL\nO=b\nCN=a') ?? [], parseRfc4514('CN=a,O=b,C=NL') ?? [])).toBe(true);
  });
});
