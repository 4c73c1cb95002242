/**
 * Bounded decoders for certificates forwarded in HTTP headers: percent-encoding, strict base64 and PEM armour.
 * Each is a single linear pass with no backtracking; every function returns null for malformed input instead of
 * throwing, so callers can map it to one precise error.
 */

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/** Characters a PEM text may contain once decoded: printable ASCII plus the whitespace PEM uses between lines. */
function isPemTextByte(byte: number): boolean {
  return (byte >= 0x20 && byte <= 0x7e) || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Decode `%XX` escapes (either hex case). Every other character is kept as it is — in particular `+` stays `+`:
 * this is percent-decoding, not HTML form decoding, so base64's `+` survives (AWS ALB leaves `+=/` unencoded).
 * Returns null for a truncated or non-hex escape, or an escape that decodes to a byte outside printable ASCII and
 * PEM whitespace (NUL, other controls, non-ASCII). Decodes exactly once: `%2541` becomes the text `%41`.
 * @see RFC 3986 §2.1
 */
export function percentDecode(value: string): string | null {
  let first = value.indexOf('%');
  if (first < 0) return value;
  let out = '';
  let copied = 0;
  while (first >= 0) {
    if (first + 2 >= value.length) return null; // truncated escape
    const high = hexDigit(value.charCodeAt(first + 1));
    const low = hexDigit(value.charCodeAt(first + 2));
    if (high < 0 || low < 0) return null;
    const byte = high * 16 + low;
    if (!isPemTextByte(byte)) return null;
    out += value.slice(copied, first) + String.fromCharCode(byte);
    copied = first + 3;
    first = value.indexOf('%', copied);
  }
  return out + value.slice(copied);
}

function base64Value(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code - 0x41;
  if (code >= 0x61 && code <= 0x7a) return code - 0x47;
  if (code >= 0x30 && code <= 0x39) return code + 4;
  if (code === 0x2b) return 62;
  if (code === 0x2f) return 63;
  return -1;
}

/**
 * Strict standard base64 (alphabet `A–Z a–z 0–9 + /`) → bytes, or null. No whitespace, no URL-safe alphabet.
 * `=` padding may be absent (RFC 8941 §4.2.7 asks byte-sequence parsers to tolerate that) but, when present, must
 * complete the last quantum; the unused bits of the last character must be zero, so each byte string has exactly
 * one accepted encoding.
 * @see RFC 4648 §4, §3.5
 */
export function decodeBase64Strict(text: string): Buffer | null {
  let end = text.length;
  let padding = 0;
  while (padding < 2 && end > 0 && text.charCodeAt(end - 1) === 0x3d) {
    end--;
    padding++;
  }
  if (end === 0) return null;
  const remainder = end % 4;
  if (remainder === 1) return null;
  if (padding > 0 && (end + padding) % 4 !== 0) return null;
  for (let i = 0; i < end; i++) {
    if (base64Value(text.charCodeAt(i)) < 0) return null;
  }
  // Canonical encoding: bits beyond the last whole byte must be zero.
  const last = base64Value(text.charCodeAt(end - 1));
  if (remainder === 2 && (last & 0x0f) !== 0) return null;
  if (remainder === 3 && (last & 0x03) !== 0) return null;
  return Buffer.from(text.slice(0, end), 'base64');
}

const BEGIN_CERTIFICATE = '-----BEGIN CERTIFICATE-----';
const END_CERTIFICATE = '-----END CERTIFICATE-----';

function isPemWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * The DER bytes of the first `CERTIFICATE` block of a PEM text, or null. Only whitespace may precede the block; the
 * base64 body may be split by whitespace anywhere (lines of any length). Anything after the first block — the rest
 * of a chain — is not read: only the leaf is needed.
 * @see RFC 7468 §2, §5.1
 */
export function firstPemCertificate(text: string): Buffer | null {
  let start = 0;
  while (start < text.length && isPemWhitespace(text.charCodeAt(start))) start++;
  if (!text.startsWith(BEGIN_CERTIFICATE, start)) return null;
  const bodyStart = start + BEGIN_CERTIFICATE.length;
  const bodyEnd = text.indexOf(END_CERTIFICATE, bodyStart);
  if (bodyEnd < 0) return null;
  let body = '';
  let runStart = bodyStart;
  for (let i = bodyStart; i < bodyEnd; i++) {
    if (isPemWhitespace(text.charCodeAt(i))) {
      body += text.slice(runStart, i);
      runStart = i + 1;
    }
  }
  body += text.slice(runStart, bodyEnd);
  return decodeBase64Strict(body);
}
