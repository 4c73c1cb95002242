/**
 * Strict base64url: the URL-safe alphabet only, no padding, no whitespace, and zero unused bits in the last
 * character, so every byte string has exactly one accepted encoding. Node's `Buffer.from(s, 'base64url')` is
 * lenient about all of these; it is only called on text that passed the checks here.
 * @see RFC 7515 §2 (Base64url Encoding), RFC 4648 §5, §3.5 (canonical encoding)
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/;

function sextet(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code - 0x41;
  if (code >= 0x61 && code <= 0x7a) return code - 0x47;
  if (code >= 0x30 && code <= 0x39) return code + 4;
  if (code === 0x2d) return 62;
  if (code === 0x5f) return 63;
  return -1;
}

/** True when `text` is canonical, unpadded base64url (the empty string included). */
export function isCanonicalBase64url(text: string): boolean {
  const remainder = text.length % 4;
  if (remainder === 1) return false;
  if (!ALPHABET.test(text)) return false;
  if (remainder === 0) return true;
  const last = sextet(text.charCodeAt(text.length - 1));
  // Two characters carry 12 bits for one byte (4 unused); three carry 18 bits for two bytes (2 unused).
  return remainder === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

/**
 * Bytes of canonical base64url `text`, or null when it is not canonical. Node decodes leniently (either alphabet,
 * padding, whitespace, stray bits), so the bytes are re-encoded and must give back exactly `text`: that single
 * native round trip is the strict check, and it costs a fraction of a character-class scan on kilobyte tokens.
 */
export function decodeBase64url(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}
