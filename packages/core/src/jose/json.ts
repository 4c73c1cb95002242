// Fatal UTF-8 decoding, as jose does: invalid byte sequences are refused rather than replaced (a leading BOM is
// dropped, as the WHATWG decoder does).
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON object encoded by `bytes`, or null when they are not strict UTF-8, not JSON, or not an object.
 * @see RFC 7515 §5.2 step 3–4; RFC 7519 §7.2 step 10 — the header and the claims set are JSON objects.
 */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
