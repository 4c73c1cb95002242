// Subject DN matching for RFC 8705 §2.1.2 `tls_client_auth_subject_dn`.
// Both sides are reduced to a list of single-valued RDNs, most significant first (C, O, …, CN), with attribute
// types upper-cased and values unescaped; a match is an exact, ordered, case-sensitive comparison. Multi-valued
// RDNs (`+`) are not supported: such a DN never matches, so an unusual certificate fails closed.

/** One attribute of a DN: `[TYPE, value]`. */
export type Rdn = readonly [type: string, value: string];

// Long names some people write in configuration, mapped to the short names Node prints.
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  COMMONNAME: 'CN',
  ORGANIZATIONNAME: 'O',
  ORGANIZATIONALUNITNAME: 'OU',
  COUNTRYNAME: 'C',
  LOCALITYNAME: 'L',
  STATEORPROVINCENAME: 'ST',
  DOMAINCOMPONENT: 'DC',
  EMAILADDRESS: 'EMAILADDRESS',
  SERIALNUMBER: 'SERIALNUMBER',
};

const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)+$/;

function normaliseType(type: string): string | null {
  const trimmed = type.trim();
  if (!TYPE_PATTERN.test(trimmed)) return null;
  const upper = trimmed.toUpperCase();
  return TYPE_ALIASES[upper] ?? upper;
}

/**
 * Split `text` at unescaped `separator` characters and unescape each part's value.
 * Returns null on a syntax error, an unescaped `+` (multi-valued RDN) or a quoted value.
 * @see RFC 4514 §2.4 (escaping: `\` + special character, or `\` + two hex digits of a UTF-8 byte)
 */
function parseAttributes(text: string, separator: string): Rdn[] | null {
  const result: Rdn[] = [];
  let index = 0;
  while (index <= text.length) {
    const equals = text.indexOf('=', index);
    if (equals < 0) return null;
    const type = normaliseType(text.slice(index, equals));
    if (type === null) return null;
    const bytes: number[] = [];
    let lastSignificant = 0; // length of `bytes` up to the last escaped or non-space character
    let position = equals + 1;
    while (position < text.length && text[position] === ' ') position += 1; // spaces after '=' are not part of the value
    for (; position < text.length; position += 1) {
      const char = text[position] as string;
      if (char === separator) break;
      if (char === '+' || char === '"') return null;
      if (char === '\\') {
        const next = text[position + 1];
        if (next === undefined) return null;
        const hex = text.slice(position + 1, position + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          bytes.push(Number.parseInt(hex, 16));
          position += 2;
        } else if (' "#+,;<=>\\'.includes(next)) {
          bytes.push(next.charCodeAt(0));
          position += 1;
        } else {
          return null;
        }
        lastSignificant = bytes.length;
        continue;
      }
      for (const byte of Buffer.from(char, 'utf8')) bytes.push(byte);
      if (char !== ' ') lastSignificant = bytes.length;
    }
    let value: string;
    try {
      value = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes.slice(0, lastSignificant)));
    } catch {
      return null;
    }
    if (value.length === 0) return null;
    result.push([type, value]);
    if (position >= text.length) break;
    index = position + 1;
  }
  return result.length > 0 ? result : null;
}

/**
 * Parse an RFC 4514 DN string (`CN=client-a,O=Example,C=NL`) into RDNs, most significant first.
 * Returns null when the string is not a DN this matcher supports.
 */
export function parseRfc4514(dn: string): Rdn[] | null {
  if (dn.length === 0 || dn.length > 1024) return null;
  const rdns = parseAttributes(dn, ',');
  return rdns === null ? null : rdns.reverse(); // RFC 4514 §2.1: the string starts with the last RDN of the sequence
}

/**
 * Parse Node's `X509Certificate#subject` (one `TYPE=value` per line, most significant first, RFC 2253 escapes and
 * `\XX` for control characters) into RDNs.
 */
export function parseNodeSubject(subject: string): Rdn[] | null {
  if (subject.length === 0 || subject.length > 4096) return null;
  return parseAttributes(subject, '\n');
}

/** Exact, ordered comparison of two parsed DNs. */
export function sameDistinguishedName(a: readonly Rdn[], b: readonly Rdn[]): boolean {
  return a.length === b.length && a.every(([type, value], i) => b[i]?.[0] === type && b[i]?.[1] === value);
}
