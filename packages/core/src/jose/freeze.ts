/**
 * Freeze a parsed JSON value and everything in it. Verified claims and headers are shared between cache hits and
 * handed to application code: freezing them means no caller can alter what later requests see.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value as Record<string, unknown>)) deepFreeze(member);
  }
  return value;
}
