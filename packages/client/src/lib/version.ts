import { createRequire } from 'node:module';
import { platform, release } from 'node:os';

/**
 * The package version, read from the package.json that ships beside `dist/` (and `src/`): both sit two levels
 * below it, so one relative path serves the sources and the published build.
 */
function packageVersion(): string {
  try {
    const manifest = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const CLIENT_SKU = 'certbound.node';
export const CLIENT_VERSION = packageVersion();
export const CLIENT_OS = `${platform()} ${release()}`;

/**
 * The headers MSAL.NET sends to identify itself and what it understands: `x-ms-lib-capability` tells Entra the
 * client honours `Retry-After` and HTTP 429 (it may then answer 429 instead of holding the request).
 */
export function libraryHeaders(correlationId: string): Record<string, string> {
  return {
    'client-request-id': correlationId,
    'return-client-request-id': 'true',
    'x-client-SKU': CLIENT_SKU,
    'x-client-Ver': CLIENT_VERSION,
    'x-client-OS': CLIENT_OS,
    'x-ms-lib-capability': 'retry-after, h429',
  };
}
