/**
 * What every forwarded-certificate format module provides. A format only decodes the header's text into bytes;
 * the header source does the rest (trust, duplicates, size, character checks, X.509 parsing, hash agreement).
 */

/** The outcome of decoding one header value. */
export type DecodedCertificateHeader =
  | {
      ok: true;
      /** Leaf certificate bytes as sent (not yet checked to be a certificate), or null when the value carries none. */
      der: Uint8Array | null;
      /** `x5t#S256` from a hash carried inside the value itself (Envoy XFCC `Hash`), or null. */
      hashThumbprint: string | null;
    }
  | { ok: false };

export interface ForwardedCertificateFormat {
  /** Header name used when `certificateSource.header` is not given (lower case). */
  readonly defaultHeader: string;
  /**
   * Whether a comma may legitimately appear in the value (Envoy elements, Traefik's certificate list). When it may
   * not, a comma means Node folded two copies of the header into one (`a, b`), which is treated as a duplicate.
   */
  readonly commaSeparated: boolean;
  /** Decode a value that is present, within the size cap, printable ASCII, trimmed, and not a "no certificate" marker. */
  decode(value: string): DecodedCertificateHeader;
}

/** Shared failure value. */
export const MALFORMED: DecodedCertificateHeader = Object.freeze({ ok: false });

/** Shared success constructor for formats that carry only a certificate. */
export function certificateBytes(der: Uint8Array | null): DecodedCertificateHeader {
  return der === null ? MALFORMED : { ok: true, der, hashThumbprint: null };
}
