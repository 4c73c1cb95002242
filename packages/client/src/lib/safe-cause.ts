/**
 * A cause that can be kept: OpenSSL's library and reason (a fixed vocabulary, e.g. "bad decrypt") and Node's code,
 * never a message that could quote what was parsed.
 */
export function safeCause(error: unknown): Error {
  const { code, library, reason } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; library?: unknown; reason?: unknown };
  const parts = [library, reason].filter((part): part is string => typeof part === 'string' && /^[\w .,:()-]{1,80}$/.test(part));
  const safe = new Error(parts.length > 0 ? parts.join(': ') : 'the input could not be decoded');
  if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) Object.assign(safe, { code });
  return safe;
}
