import { invalidOption } from '../errors.js';
/**
 * Trusted-proxy matching: a list of CIDRs compiled once at startup, then one cheap test per request.
 *
 * Every address is held as 128 bits (four 32-bit words). IPv4 addresses are stored in their IPv4-mapped IPv6 form
 * (`::ffff:a.b.c.d`) and IPv4 prefixes get 96 added, so `127.0.0.1/32` matches a dual-stack socket's
 * `::ffff:127.0.0.1`, and `::ffff:127.0.0.0/104` matches a plain `127.0.0.1`.
 * @see RFC 4291 §2.2 (text forms, `::` compression, embedded IPv4), §2.5.5.2 (IPv4-mapped addresses)
 * @see RFC 4632 §3.1 (prefix notation)
 */

/** An address as four 32-bit words, most significant first (values are int32, as JS bit operations produce). */
export type AddressWords = readonly [number, number, number, number];

/** A compiled trusted-proxy list. */
export interface TrustedProxyList {
  /** Whether `address` (as Node reports `socket.remoteAddress`) lies inside one of the CIDRs. */
  contains(address: string | undefined): boolean;
  /** Number of CIDRs in the list. */
  readonly size: number;
}

export interface CompiledRange {
  readonly network: AddressWords;
  readonly mask: AddressWords;
}

const COLON = 0x3a;
const DOT = 0x2e;
// Longest textual IPv6 address: eight 4-digit groups, or six groups plus a dotted quad (45 characters).
const MAX_ADDRESS_LENGTH = 45;

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/** Dotted-quad IPv4 in `text[start, end)` → unsigned 32-bit value, or -1. Leading zeros are refused (octal ambiguity). */
function parseIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let i = start;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (i >= end || text.charCodeAt(i) !== DOT) return -1;
      i++;
    }
    const first = i;
    let part = 0;
    while (i < end && isDigit(text.charCodeAt(i))) {
      part = part * 10 + (text.charCodeAt(i) - 0x30);
      i++;
      if (i - first > 3) return -1;
    }
    const digits = i - first;
    if (digits === 0 || part > 255 || (digits > 1 && text.charCodeAt(first) === 0x30)) return -1;
    value = value * 256 + part;
  }
  return i === end ? value : -1;
}

/** IPv6 text in `text[start, end)` → eight 16-bit groups, or null. */
function parseIpv6Groups(text: string, start: number, end: number): number[] | null {
  const head: number[] = [];
  const tail: number[] = [];
  let groups = head;
  let compressed = false;
  let i = start;
  if (end - start < 2) return null;
  if (text.charCodeAt(i) === COLON) {
    // A leading colon is only valid as the start of "::".
    if (text.charCodeAt(i + 1) !== COLON) return null;
    compressed = true;
    groups = tail;
    i += 2;
  }
  while (i < end) {
    let groupEnd = i;
    let sawDot = false;
    while (groupEnd < end && text.charCodeAt(groupEnd) !== COLON) {
      if (text.charCodeAt(groupEnd) === DOT) sawDot = true;
      groupEnd++;
    }
    if (groupEnd === i) return null;
    if (sawDot) {
      // An embedded dotted quad is only allowed as the last 32 bits.
      if (groupEnd !== end) return null;
      const v4 = parseIpv4(text, i, groupEnd);
      if (v4 < 0) return null;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
      i = groupEnd;
      break;
    }
    if (groupEnd - i > 4) return null;
    let group = 0;
    for (let j = i; j < groupEnd; j++) {
      const digit = hexValue(text.charCodeAt(j));
      if (digit < 0) return null;
      group = group * 16 + digit;
    }
    groups.push(group);
    if (head.length + tail.length > 8) return null;
    if (groupEnd === end) {
      i = end;
      break;
    }
    // groupEnd is at a colon: either a separator or the start of "::".
    if (groupEnd + 1 < end && text.charCodeAt(groupEnd + 1) === COLON) {
      if (compressed) return null;
      compressed = true;
      groups = tail;
      i = groupEnd + 2;
      continue;
    }
    if (groupEnd + 1 === end) return null; // trailing single colon
    i = groupEnd + 1;
  }
  const count = head.length + tail.length;
  // "::" stands for at least one zero group.
  if (compressed ? count > 7 : count !== 8) return null;
  const zeros: number[] = new Array<number>(8 - count).fill(0);
  return [...head, ...zeros, ...tail];
}

/**
 * Parse an IPv4 or IPv6 address (no prefix) into four words; IPv4 becomes `::ffff:a.b.c.d`.
 * A zone index (`fe80::1%eth0`) is dropped when `allowZone` is true and refused otherwise. Returns null for anything
 * that is not an address.
 */
export function parseAddress(text: string, allowZone = false): AddressWords | null {
  let end = text.length;
  const zone = text.indexOf('%');
  if (zone >= 0) {
    if (!allowZone || zone === 0 || zone === end - 1) return null;
    end = zone;
  }
  if (end === 0 || end > MAX_ADDRESS_LENGTH) return null;
  if (text.indexOf(':') < 0 || text.indexOf(':') >= end) {
    const v4 = parseIpv4(text, 0, end);
    return v4 < 0 ? null : [0, 0, 0xffff, v4 | 0];
  }
  const g = parseIpv6Groups(text, 0, end);
  if (g === null) return null;
  const word = (k: number): number => (((g[k] ?? 0) << 16) | (g[k + 1] ?? 0)) | 0;
  return [word(0), word(2), word(4), word(6)];
}

function maskWord(prefix: number, index: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * index));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) | 0;
}

function describe(entry: unknown): string {
  const text = typeof entry === 'string' ? JSON.stringify(entry) : String(entry);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Parse one CIDR (`10.0.0.0/8`, `2001:db8::/32`, `::ffff:10.0.0.0/104`) or bare address (= /32 or /128).
 * Throws a ConfigurationError naming `field` when the entry is malformed or has bits set beyond its prefix.
 */
export function parseCidr(entry: unknown, field: string): CompiledRange {
  if (typeof entry !== 'string') invalidOption(field, `must be a string CIDR, got ${describe(entry)}`);
  const slash = entry.indexOf('/');
  const addressText = slash < 0 ? entry : entry.slice(0, slash);
  const address = parseAddress(addressText, false);
  if (address === null) invalidOption(field, `is not an IPv4 or IPv6 CIDR: ${describe(entry)}`);
  const isV4 = addressText.indexOf(':') < 0;
  const maxPrefix = isV4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const prefixText = entry.slice(slash + 1);
    let valid = prefixText.length > 0 && prefixText.length <= 3 && !(prefixText.length > 1 && prefixText.startsWith('0'));
    for (let i = 0; valid && i < prefixText.length; i++) valid = isDigit(prefixText.charCodeAt(i));
    prefix = valid ? Number(prefixText) : -1;
    if (prefix < 0 || prefix > maxPrefix) invalidOption(field, `has an invalid prefix length (0-${maxPrefix}): ${describe(entry)}`);
  }
  // IPv4 ranges live inside ::ffff:0:0/96.
  const fullPrefix = isV4 ? prefix + 96 : prefix;
  const mask: AddressWords = [maskWord(fullPrefix, 0), maskWord(fullPrefix, 1), maskWord(fullPrefix, 2), maskWord(fullPrefix, 3)];
  for (let k = 0; k < 4; k++) {
    if ((address[k]! & ~mask[k]!) !== 0) {
      invalidOption(field, `has address bits set beyond its /${prefix} prefix (did you mean a single address?): ${describe(entry)}`);
    }
  }
  return { network: address, mask };
}

/**
 * Compile a trusted-proxy list. Throws a ConfigurationError naming the field for a missing, empty or malformed list.
 * @param field the option path used in messages, e.g. `certificateSource.trustedProxies`
 */
export function compileTrustedProxies(entries: unknown, field: string): TrustedProxyList {
  if (!Array.isArray(entries)) invalidOption(field, `must be an array of CIDR strings`);
  if (entries.length === 0) invalidOption(field, `must list at least one CIDR (an empty list would never honour the header)`);
  const ranges = entries.map((entry: unknown, index) => parseCidr(entry, `${field}[${index}]`));
  return {
    size: ranges.length,
    contains(address: string | undefined): boolean {
      if (typeof address !== 'string') return false;
      const words = parseAddress(address, true);
      if (words === null) return false;
      for (const { network, mask } of ranges) {
        if (
          (words[0] & mask[0]) === network[0] &&
          (words[1] & mask[1]) === network[1] &&
          (words[2] & mask[2]) === network[2] &&
          (words[3] & mask[3]) === network[3]
        ) {
          return true;
        }
      }
      return false;
    },
  };
}
