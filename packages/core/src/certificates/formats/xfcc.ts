import { firstPemCertificate, percentDecode } from '../pem.js';
import { thumbprintFromHex } from '../../binding/thumbprint.js';
import { MALFORMED, type DecodedCertificateHeader, type ForwardedCertificateFormat } from './format.js';

// Envoy `x-forwarded-client-cert`:
//   element *( "," element )            one element per hop, the newest last
//   element = pair *( ";" pair )
//   pair    = key "=" ( quoted / bare ) keys case-insensitive; values holding , ; = or " are double-quoted,
//                                       with \" (and \\) escaped inside the quotes
// Keys: By, Hash (hex SHA-256 of the leaf DER), Cert (URL-encoded PEM leaf), Chain (URL-encoded PEM, leaf first),
// Subject, URI, DNS (URI and DNS may repeat).

/** Most elements (hops) accepted in one header; a client can prepend elements through APPEND_FORWARD proxies. */
export const MAX_XFCC_ELEMENTS = 32;
/** Most `key=value` pairs accepted in one element (a certificate with many DNS names yields many pairs). */
export const MAX_XFCC_PAIRS = 64;

export interface XfccPair {
  /** Lower-cased key. */
  readonly key: string;
  /** Value with quotes and escapes removed. */
  readonly value: string;
}

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isKeyChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2e;
}

/**
 * Split an XFCC value into elements of pairs, in one left-to-right pass. Returns null when the grammar is broken
 * (a pair without `=`, an empty key, an unterminated quote, text after a closing quote, an empty element, a stray
 * quote in a bare value) or a cap is exceeded. Strictness matters: with APPEND_FORWARD a client controls the text
 * before the trusted hop's element, and a lenient parser could let it swallow or fake that element.
 */
export function parseXfccElements(header: string): XfccPair[][] | null {
  const elements: XfccPair[][] = [];
  let pairs: XfccPair[] = [];
  const n = header.length;
  let i = 0;
  for (;;) {
    while (i < n && isOws(header.charCodeAt(i))) i++;
    const keyStart = i;
    while (i < n && isKeyChar(header.charCodeAt(i))) i++;
    if (i === keyStart || header.charCodeAt(i) !== EQUALS) return null;
    const key = header.slice(keyStart, i).toLowerCase();
    i++; // "="
    let value: string;
    if (header.charCodeAt(i) === DQUOTE) {
      i++;
      value = '';
      let run = i;
      for (;;) {
        if (i >= n) return null; // unterminated quoted value
        const c = header.charCodeAt(i);
        if (c === BACKSLASH) {
          if (i + 1 >= n) return null;
          value += header.slice(run, i) + header.charAt(i + 1);
          i += 2;
          run = i;
        } else if (c === DQUOTE) {
          value += header.slice(run, i);
          i++;
          break;
        } else {
          i++;
        }
      }
    } else {
      const valueStart = i;
      while (i < n) {
        const c = header.charCodeAt(i);
        if (c === SEMICOLON || c === COMMA) break;
        if (c === DQUOTE) return null;
        i++;
      }
      let valueEnd = i;
      while (valueEnd > valueStart && isOws(header.charCodeAt(valueEnd - 1))) valueEnd--;
      value = header.slice(valueStart, valueEnd);
    }
    pairs.push({ key, value });
    if (pairs.length > MAX_XFCC_PAIRS) return null;
    while (i < n && isOws(header.charCodeAt(i))) i++;
    if (i >= n) {
      elements.push(pairs);
      return elements.length > MAX_XFCC_ELEMENTS ? null : elements;
    }
    const separator = header.charCodeAt(i);
    i++;
    if (separator === COMMA) {
      elements.push(pairs);
      if (elements.length >= MAX_XFCC_ELEMENTS) return null;
      pairs = [];
    } else if (separator !== SEMICOLON) {
      return null; // text after a closing quote
    }
  }
}

// Keys that describe the one certificate of an element: two of them in the same element is ambiguous.
const SINGLE_VALUED = new Set(['by', 'hash', 'cert', 'chain', 'subject']);

function decodeUrlEncodedPem(value: string): Uint8Array | null {
  const pem = percentDecode(value);
  return pem === null ? null : firstPemCertificate(pem);
}

/**
 * Decode the element appended by the trusted hop — the last one. Earlier elements were written by hops further
 * away (or by the client itself, through APPEND_FORWARD) and are never used. `Cert` gives the leaf; without it, the
 * first certificate of `Chain`; `Hash` gives a thumbprint that must agree with the certificate when both are
 * present (checked by the header source). An element with none of them carries no certificate.
 * @see docs/security.md rule 7
 */
export function decodeXfcc(value: string): DecodedCertificateHeader {
  const elements = parseXfccElements(value);
  const last = elements?.[elements.length - 1];
  if (last === undefined) return MALFORMED;
  const seen = new Map<string, string>();
  for (const { key, value: pairValue } of last) {
    if (SINGLE_VALUED.has(key)) {
      if (seen.has(key)) return MALFORMED;
      seen.set(key, pairValue);
    }
  }
  let der: Uint8Array | null = null;
  const cert = seen.get('cert');
  const chain = seen.get('chain');
  if (cert !== undefined) {
    der = decodeUrlEncodedPem(cert);
    if (der === null) return MALFORMED;
  } else if (chain !== undefined) {
    der = decodeUrlEncodedPem(chain);
    if (der === null) return MALFORMED;
  }
  let hashThumbprint: string | null = null;
  const hash = seen.get('hash');
  if (hash !== undefined) {
    hashThumbprint = thumbprintFromHex(hash);
    if (hashThumbprint === null) return MALFORMED;
  }
  return { ok: true, der, hashThumbprint };
}

export const xfccFormat: ForwardedCertificateFormat = {
  defaultHeader: 'x-forwarded-client-cert',
  commaSeparated: true,
  decode: decodeXfcc,
};
