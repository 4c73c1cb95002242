import { decodeBase64Strict } from '../pem.js';
import { certificateBytes, MALFORMED, type DecodedCertificateHeader, type ForwardedCertificateFormat } from './format.js';

// RFC 9440 `Client-Cert`: the leaf's DER as a Structured Field Byte Sequence, `:base64:`.
// `Client-Cert-Chain` carries only the issuers (never the leaf), so it is not needed to find the leaf and is not read.

const COLON = 0x3a;
const SEMICOLON = 0x3b;
const SPACE = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

function isLcAlpha(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
function isAlpha(c: number): boolean {
  return isLcAlpha(c) || (c >= 0x41 && c <= 0x5a);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isTchar(c: number): boolean {
  // RFC 9110 §5.6.2 tchar
  return isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}
function isBase64Char(c: number): boolean {
  return isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2f || c === 0x3d;
}

/** End index of a valid bare item starting at `i`, or -1. @see RFC 8941 §4.2.3.1 */
function skipBareItem(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x2d || isDigit(c)) {
    // sf-integer / sf-decimal: at most 15 integer digits, or 12 + "." + 1-3 fraction digits
    let j = c === 0x2d ? i + 1 : i;
    const intStart = j;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    const intDigits = j - intStart;
    if (intDigits === 0) return -1;
    if (s.charCodeAt(j) !== 0x2e) return intDigits <= 15 ? j : -1;
    if (intDigits > 12) return -1;
    const fracStart = ++j;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    const fracDigits = j - fracStart;
    return fracDigits >= 1 && fracDigits <= 3 ? j : -1;
  }
  if (c === DQUOTE) {
    // sf-string: printable ASCII, with \" and \\ as the only escapes
    for (let j = i + 1; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === BACKSLASH) {
        const next = s.charCodeAt(j + 1);
        if (next !== DQUOTE && next !== BACKSLASH) return -1;
        j++;
      } else if (d === DQUOTE) {
        return j + 1;
      } else if (d < 0x20 || d > 0x7e) {
        return -1;
      }
    }
    return -1;
  }
  if (c === COLON) {
    // sf-binary
    let j = i + 1;
    while (j < s.length && isBase64Char(s.charCodeAt(j))) j++;
    return s.charCodeAt(j) === COLON ? j + 1 : -1;
  }
  if (c === 0x3f) {
    // sf-boolean
    const d = s.charCodeAt(i + 1);
    return d === 0x30 || d === 0x31 ? i + 2 : -1;
  }
  if (isAlpha(c) || c === 0x2a) {
    // sf-token
    let j = i + 1;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (!(isTchar(d) || d === COLON || d === 0x2f)) break;
      j++;
    }
    return j;
  }
  return -1;
}

/**
 * Whether `s[i..]` is a valid parameter list (possibly empty) and nothing else. RFC 9440 defines no parameters, so
 * any that arrive are checked for syntax and then ignored, as RFC 8941 §2 asks of unknown parameters.
 * @see RFC 8941 §3.1.2, §4.2.3.2
 */
function isParameterList(s: string, i: number): boolean {
  while (i < s.length) {
    if (s.charCodeAt(i) !== SEMICOLON) return false;
    i++;
    while (s.charCodeAt(i) === SPACE) i++;
    const first = s.charCodeAt(i);
    if (!(isLcAlpha(first) || first === 0x2a)) return false;
    i++;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (!(isLcAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a)) break;
      i++;
    }
    if (s.charCodeAt(i) === 0x3d) {
      i = skipBareItem(s, i + 1);
      if (i < 0) return false;
    }
  }
  return true;
}

/**
 * Decode a `Client-Cert` value: exactly one Byte Sequence Item, optionally with parameters (ignored).
 * @see RFC 9440 §2.1, §2.2; RFC 8941 §3.3.5, §4.2.7
 */
export function decodeRfc9440(value: string): DecodedCertificateHeader {
  if (value.charCodeAt(0) !== COLON) return MALFORMED;
  const close = value.indexOf(':', 1);
  if (close < 0) return MALFORMED;
  if (!isParameterList(value, close + 1)) return MALFORMED;
  return certificateBytes(decodeBase64Strict(value.slice(1, close)));
}

export const rfc9440Format: ForwardedCertificateFormat = {
  defaultHeader: 'client-cert',
  commaSeparated: false,
  decode: decodeRfc9440,
};
