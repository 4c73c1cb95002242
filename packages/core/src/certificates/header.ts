import type { CertificateLookup, CertificateSource, HeaderCertificateFormat, HeaderSourceOptions, RequestInput } from '../types.js';
import { invalidOption } from '../errors.js';
import { thumbprintOfCertificateDer } from './der.js';
import { thumbprintFromHex } from '../binding/thumbprint.js';
import { compileTrustedProxies } from './cidr.js';
import type { ForwardedCertificateFormat } from './formats/format.js';
import { HEADER_FORMATS } from './formats/index.js';

/** A header source, with the settings it was built from (for logs and startup messages). */
export interface HeaderCertificateSource extends CertificateSource {
  readonly type: 'header';
  readonly format: HeaderCertificateFormat;
  /** The header read (lower case): the option, else the format's default. */
  readonly header: string;
  readonly hashHeader: string | undefined;
  readonly trustedProxies: readonly string[];
}

/** Default for `maxHeaderBytes`: room for an RSA-4096 leaf as URL-encoded PEM, far below Node's 16 KiB header limit. */
const DEFAULT_MAX_HEADER_BYTES = 16_384;
/** Upper bound for `maxHeaderBytes`: nothing legitimate comes close. */
const LIMIT_MAX_HEADER_BYTES = 1_048_576;
/** Distinct header values whose outcome is remembered (keep-alive clients resend the same certificate header). */
const CACHE_ENTRIES = 64;

const FIELD = 'certificateSource';
/** The options `headerSource()` takes: the one list (the configuration file's `certificateSource` reuses it). */
export const HEADER_SOURCE_OPTIONS: readonly (keyof HeaderSourceOptions)[] = Object.freeze(['format', 'header', 'trustedProxies', 'hashHeader', 'maxHeaderBytes']);
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(HEADER_SOURCE_OPTIONS);
// RFC 9110 §5.1 field-name = token
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;
// Anything but HTAB and visible ASCII/space: NUL, CR, LF, other controls, DEL, obs-text.
const FORBIDDEN_CHARACTER = /[^\t\x20-\x7e]/;

// Fixed texts: nothing from the request is ever echoed.
const INVALID: CertificateLookup = Object.freeze({
  ok: false,
  code: 'ERR_CERTIFICATE_HEADER_INVALID',
  description: 'The forwarded client certificate is malformed',
});
const DUPLICATE: CertificateLookup = Object.freeze({
  ok: false,
  code: 'ERR_CERTIFICATE_HEADER_DUPLICATE',
  description: 'The forwarded client certificate header was sent more than once',
});
const HASH_MISMATCH: CertificateLookup = Object.freeze({
  ok: false,
  code: 'ERR_CERTIFICATE_HASH_MISMATCH',
  description: 'The forwarded client certificate does not match its forwarded hash',
});
const NO_CERTIFICATE: CertificateLookup = Object.freeze({ ok: true, thumbprint: null, from: 'none' });
const IGNORED_UNTRUSTED: CertificateLookup = Object.freeze({ ok: true, thumbprint: null, from: 'none', ignoredUntrustedHeader: true });

type HeaderRead = { state: 'absent' } | { state: 'duplicate' } | { state: 'present'; value: string };
const ABSENT: HeaderRead = Object.freeze({ state: 'absent' });
const TWICE: HeaderRead = Object.freeze({ state: 'duplicate' });

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function headerName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    invalidOption(`${FIELD}.${field}`, `must be an HTTP header name (RFC 9110 token, at most 128 characters), got ${describe(value)}`);
  }
  return value.toLowerCase();
}

/**
 * Read one header, detecting duplicates. `rawHeaders` is authoritative when present: Node folds repeated unknown
 * headers into `a, b` in `headers`, which would otherwise look like one value.
 */
function readHeader(input: RequestInput, name: string): HeaderRead {
  const raw = input.rawHeaders;
  if (Array.isArray(raw)) {
    let found: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i];
      if (typeof key === 'string' && key.length === name.length && key.toLowerCase() === name) {
        if (found !== undefined) return TWICE;
        const value = raw[i + 1];
        found = typeof value === 'string' ? value : '';
      }
    }
    if (found !== undefined) return { state: 'present', value: found };
  }
  const folded: unknown = input.headers?.[name];
  if (Array.isArray(folded)) {
    if (folded.length > 1) return TWICE;
    return typeof folded[0] === 'string' ? { state: 'present', value: folded[0] } : ABSENT;
  }
  return typeof folded === 'string' ? { state: 'present', value: folded } : ABSENT;
}

function resolveFormat(value: unknown): ForwardedCertificateFormat {
  if (typeof value === 'string' && Object.hasOwn(HEADER_FORMATS, value)) return HEADER_FORMATS[value as HeaderCertificateFormat];
  return invalidOption(`${FIELD}.format`, `must be one of ${Object.keys(HEADER_FORMATS).map((f) => `"${f}"`).join(', ')}, got ${describe(value)}`);
}

function peerAddress(input: RequestInput): string | undefined {
  if (typeof input.remoteAddress === 'string') return input.remoteAddress;
  const socket = input.socket as { remoteAddress?: unknown } | null | undefined;
  return typeof socket === 'object' && socket !== null && typeof socket.remoteAddress === 'string' ? socket.remoteAddress : undefined;
}

function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** Apache's `(null)`, nginx's and HAProxy's empty value and `-` all mean "no client certificate". */
function isNoCertificateMarker(value: string): boolean {
  return value === '' || value === '(null)' || value === '-';
}

/** Size (checked first, before any decoding), then characters. Returns the trimmed value, null = no value, or false. */
function screen(value: string, maxBytes: number): string | null | false {
  // Node hands header values over as latin1 strings, one character per byte; anything wider fails the next check.
  if (value.length > maxBytes) return false;
  if (FORBIDDEN_CHARACTER.test(value)) return false;
  const trimmed = trimOws(value);
  return isNoCertificateMarker(trimmed) ? null : trimmed;
}

/**
 * A certificate source reading a client certificate that a TLS-terminating proxy forwarded in a header.
 *
 * The header is honoured only when the immediate peer (`input.remoteAddress`, else `socket.remoteAddress`) lies in
 * `trustedProxies`; from anyone else it is ignored — the request then has no certificate (never the connection's own
 * TLS certificate) and the lookup says `ignoredUntrustedHeader: true`. From a trusted proxy the header alone decides:
 * the socket's certificate, if any, is the proxy's own. A service that also takes direct mTLS clients needs a
 * `tlsSource()` for them, on its own listener.
 *
 * Options are validated here; a ConfigurationError names the offending field. `lookup` never throws.
 * @example
 * ```ts
 * // nginx terminates mTLS on 10.0.0.5 and forwards `$ssl_client_escaped_cert` in X-SSL-Client-Cert
 * const certificateSource = headerSource({ format: 'nginx', trustedProxies: ['10.0.0.5/32'] });
 * ```
 * @see docs/security.md rule 7; docs/protocol.md §7; RFC 8705 §3
 */
export function headerSource(options: HeaderSourceOptions): HeaderCertificateSource {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalidOption(FIELD, 'must be an object { format, trustedProxies, ... }');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) invalidOption(`${FIELD}.${key}`, 'is not a known option for header sources');
  }
  const format = resolveFormat(options.format);
  if ((options as { trustedProxies?: unknown }).trustedProxies === undefined) {
    invalidOption(`${FIELD}.trustedProxies`, 'is required for header sources (CIDRs of the proxies allowed to send the header; there is no default)');
  }
  const trusted = compileTrustedProxies(options.trustedProxies, `${FIELD}.trustedProxies`);
  const name = options.header === undefined ? format.defaultHeader : headerName(options.header, 'header');
  const hashName = options.hashHeader === undefined ? undefined : headerName(options.hashHeader, 'hashHeader');
  if (hashName === name) invalidOption(`${FIELD}.hashHeader`, `must differ from ${FIELD}.header`);
  const maxBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > LIMIT_MAX_HEADER_BYTES) {
    invalidOption(`${FIELD}.maxHeaderBytes`, `must be an integer from 1 to ${LIMIT_MAX_HEADER_BYTES}, got ${describe(maxBytes)}`);
  }

  // Outcome per (certificate value, hash value), least recently used first; outcomes are frozen and shared.
  const cache = new Map<string, CertificateLookup>();

  function decide(certificateValue: string | null, hashValue: string | null): CertificateLookup {
    const thumbprints: string[] = [];
    if (certificateValue !== null) {
      const decoded = format.decode(certificateValue);
      if (!decoded.ok) return INVALID;
      if (decoded.der !== null) {
        const thumbprint = thumbprintOfCertificateDer(decoded.der);
        if (thumbprint === null) return INVALID;
        thumbprints.push(thumbprint);
      }
      if (decoded.hashThumbprint !== null) thumbprints.push(decoded.hashThumbprint);
    }
    if (hashValue !== null) {
      const thumbprint = thumbprintFromHex(hashValue);
      if (thumbprint === null) return INVALID;
      thumbprints.push(thumbprint);
    }
    const [first] = thumbprints;
    if (first === undefined) return NO_CERTIFICATE;
    // A proxy's hash and certificate that disagree mean a forged or corrupted header: never pick one of them.
    if (thumbprints.some((t) => t !== first)) return HASH_MISMATCH;
    return Object.freeze({ ok: true, thumbprint: first, from: 'header' });
  }

  function lookupFromTrustedProxy(certificate: HeaderRead, hash: HeaderRead): CertificateLookup {
    if (certificate.state === 'duplicate' || hash.state === 'duplicate') return DUPLICATE;
    let certificateValue: string | null = null;
    if (certificate.state === 'present') {
      const screened = screen(certificate.value, maxBytes);
      if (screened === false) return INVALID;
      // Node joins a repeated header with ", "; for single-certificate formats a comma can only mean that.
      if (screened !== null && !format.commaSeparated && screened.includes(',')) return DUPLICATE;
      certificateValue = screened;
    }
    let hashValue: string | null = null;
    if (hash.state === 'present') {
      const screened = screen(hash.value, maxBytes);
      if (screened === false) return INVALID;
      if (screened !== null && screened.includes(',')) return DUPLICATE;
      hashValue = screened;
    }
    if (certificateValue === null && hashValue === null) return NO_CERTIFICATE;
    // Screened values hold no LF, so it separates the two parts unambiguously. Without a hash header the
    // certificate value alone is the key (no concatenation per request).
    const key = hashName === undefined && certificateValue !== null ? certificateValue : `${certificateValue ?? ''}\n${hashValue ?? ''}`;
    const cached = cache.get(key);
    if (cached !== undefined) {
      cache.delete(key);
      cache.set(key, cached);
      return cached;
    }
    const outcome = decide(certificateValue, hashValue);
    if (cache.size >= CACHE_ENTRIES) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(key, outcome);
    return outcome;
  }

  return {
    type: 'header',
    format: options.format,
    header: name,
    hashHeader: hashName,
    trustedProxies: Object.freeze([...options.trustedProxies]),
    lookup(input: RequestInput): CertificateLookup {
      try {
        const certificate = readHeader(input, name);
        const hash = hashName === undefined ? ABSENT : readHeader(input, hashName);
        if (!trusted.contains(peerAddress(input))) {
          // @see docs/security.md rule 7 — from an untrusted peer the header is ignored, and nothing takes its place:
          // a header source's certificates come from the proxy only, never from the connection's own TLS handshake
          // (behind a proxy that is the proxy's certificate; and a source must not change meaning with the peer).
          return certificate.state === 'absent' && hash.state === 'absent' ? NO_CERTIFICATE : IGNORED_UNTRUSTED;
        }
        return lookupFromTrustedProxy(certificate, hash);
      } catch {
        // Defensive: a hostile `input` (getters that throw, odd prototypes) must not escape as an exception.
        return INVALID;
      }
    },
  };
}
