/**
 * The one configuration file every protected server reads (docs/configuration.md). Its field names are a public
 * contract. `parseConfig` validates a parsed JSON value strictly (unknown fields and wrong types are refused with
 * the field's path) and loads the PEM files it names; `verifierOptionsFromConfig` maps it onto the same
 * constructors an application calls (`staticKeys`, `remoteKeys`, `tlsSource`, `headerSource`). Algorithms,
 * binding policies and proxy formats are checked against core's own lists, never a copy.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { BindingPolicy, HeaderSourceOptions, Jwk, JwsAlgorithm, VerifierOptions } from '../types.js';
import { BINDING_POLICIES } from '../binding/binding.js';
import { HEADER_SOURCE_OPTIONS, headerSource } from '../certificates/header.js';
import { tlsSource } from '../certificates/tls.js';
import { ConfigurationError } from '../errors.js';
import { ALGORITHM_NAMES } from '../jose/algorithms.js';
import { introspection, type IntrospectionOptions } from '../introspection/introspection.js';
import { CLIENT_AUTH_METHODS, type IntrospectionClientAuth } from '../introspection/client-auth.js';
import { checkJwksUri, remoteKeys, type RemoteKeysOptions } from '../keys/remote-keys.js';
import { resourceMetadata, type ResourceMetadataOptions } from '../metadata/metadata.js';
import { staticKeys } from '../keys/static-keys.js';

/** The file's `certificateSource`: the TLS connection's own certificate, or `headerSource()`'s options. */
export type CertificateSourceConfig = { type: 'tls' } | ({ type: 'header' } & HeaderSourceOptions);

/** Where the server listens. */
export interface CertboundListenConfig {
  /** Interface address. Default "127.0.0.1" (loopback: exposing a server is an explicit choice). */
  host: string;
  /** TCP port; 0 picks any free port. Default 0. */
  port: number;
}

/** The HTTPS server's own certificate and its client-certificate policy. */
export interface CertboundTlsConfig {
  /** Server certificate (chain), PEM text read from the file the config names. */
  cert: string;
  /** Server private key, PEM text read from the file the config names. */
  key: string;
  /**
   * Whether the client certificate's chain must verify against `ca`. Default false: RFC 8705 §6.2 allows
   * self-signed client certificates, and the token binding decides. The server asks for a certificate either way.
   */
  verifyClientCertificate: boolean;
  /** CA certificate(s), PEM text, for `verifyClientCertificate: true`. */
  ca?: string;
}

/** The file's `introspection`: RFC 7662 for opaque tokens (or all), PEM files already read. */
export interface IntrospectionConfig {
  endpoint: string;
  clientId: string;
  clientAuth: IntrospectionClientAuth;
  clientSecret?: string;
  /** PEM text of the private_key_jwt signing key. */
  privateKey?: string;
  /** PEM texts: the resource's certificate and key for tls_client_auth, and the AS's CA. */
  tls?: { cert?: string; key?: string; ca?: string };
  tokens: 'opaque' | 'all';
  cacheMaxSeconds?: number;
  /** Extension: `"jwt"` for RFC 9701 answers verified with `jwks`/`jwksUri`. Default `"json"`. */
  responseFormat?: 'json' | 'jwt';
}

/** A validated docs/configuration.md file, PEM files already read. */
export interface CertboundConfig {
  /** Default `{ host: "127.0.0.1", port: 0 }`. */
  listen: CertboundListenConfig;
  /** Absent: plain HTTP (only behind a TLS-terminating proxy, with a header certificate source). */
  tls?: CertboundTlsConfig;
  /** Accepted `iss`: string or list; `{tenantid}` stands for the token's `tid`. */
  issuer: string | string[];
  /** This resource's identifier(s). */
  audience: string | string[];
  /** Static JWKS (inline, or read from the JSON file the config names). Exactly one of `jwks` and `jwksUri`. */
  jwks?: { keys: Jwk[] };
  /** Remote JWKS, https only. Exactly one of `jwks` and `jwksUri`. */
  jwksUri?: string;
  /** PEM text of the CA(s) trusted when fetching `jwksUri`. */
  jwksCa?: string;
  /** How `jwksUri` is fetched (the `remoteKeys` options of the same names). Default: remoteKeys' defaults. */
  jwksOptions?: JwksFileOptions;
  /** The JWS algorithm allow-list. Required. */
  algorithms: JwsAlgorithm[];
  /** Allowed JOSE `typ` values. Default: the verifier's (["at+jwt", "application/at+jwt"]). */
  tokenTypes?: string[];
  /** Default: the verifier's (30). */
  clockToleranceSeconds?: number;
  /** Default: the verifier's ("required"). */
  binding?: BindingPolicy;
  /** Accepted Authorization schemes. Default: the verifier's (["Bearer", "mtls_pop"]). */
  schemes?: string[];
  /** Default `{ type: "tls" }`: the connection's own certificate. */
  certificateSource?: CertificateSourceConfig;
  /** Claims that must be present besides `exp`, `iss` and `aud` (extension). Default: the verifier's ([]). */
  requiredClaims?: string[];
  /** Longest accepted token in characters (extension). Default: the verifier's (8192). */
  maxTokenLength?: number;
  /** `realm` parameter of challenges (extension). Default: none. */
  realm?: string;
  /** Protected resource metadata (RFC 9728), served by the servers and named in challenges. Default none. */
  resourceMetadata?: ResourceMetadataOptions;
  /** Token introspection (RFC 7662, RFC 8705 §3.2). Default none. */
  introspection?: IntrospectionConfig;
  /** Scopes (`scp`/`scope`) every protected route requires; 403 `insufficient_scope` otherwise. Default []. */
  requiredScopes: string[];
  /** Entra app roles (`roles`) every protected route requires; 403 `insufficient_scope` otherwise. Default []. */
  requiredRoles: string[];
}

/** The `jwksOptions` object of a config file: the remoteKeys settings besides `uri` and `ca`. */
export type JwksFileOptions = Partial<Pick<RemoteKeysOptions, 'timeoutMs' | 'cooldownMs' | 'cacheMaxAgeMs' | 'maxResponseBytes' | 'unknownKidWaitMs'>>;

const JWKS_OPTIONS = ['timeoutMs', 'cooldownMs', 'cacheMaxAgeMs', 'maxResponseBytes', 'unknownKidWaitMs'] as const;

/** Options of {@link parseConfig} and {@link loadConfig}. */
export interface ParseConfigOptions {
  /**
   * Top-level field names that belong to the caller (e.g. a gateway's own settings): skipped here, neither
   * validated nor returned. Default [].
   */
  allowFields?: readonly string[];
}

const TOP_LEVEL = new Set([
  'listen', 'tls', 'issuer', 'audience', 'jwksUri', 'jwks', 'jwksCa', 'jwksOptions', 'algorithms', 'tokenTypes', 'clockToleranceSeconds',
  'binding', 'schemes', 'certificateSource', 'requiredScopes', 'requiredRoles', 'requiredClaims', 'maxTokenLength', 'realm',
  'introspection', 'resourceMetadata',
]);
// RFC 9110 §5.6.2 token: what an auth-scheme and a header name may be.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PEM_PREFIX = '-----BEGIN ';
// A config file, a PEM or a JWKS file larger than this is a mistake, not a configuration.
const MAX_FILE_BYTES = 1_048_576;

type Json = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const PREFIX = 'certbound config: ';

function fail(path: string, expected: string, value: unknown): never {
  throw new ConfigurationError(path, `${PREFIX}${path} must be ${expected}, got ${describe(value)}`);
}

/** Run one of core's own constructors on file values: its ConfigurationError comes back naming the file. */
function checked<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ConfigurationError) throw new ConfigurationError(error.field, `${PREFIX}${error.message}`, { cause: error });
    throw error;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string, known: ReadonlySet<string>): Json {
  if (!isObject(value)) fail(path === '' ? 'the config document' : path, 'an object', value);
  for (const key of Object.keys(value)) {
    const field = path === '' ? key : `${path}.${key}`;
    if (!known.has(key)) throw new ConfigurationError(field, `${PREFIX}unknown field ${field}`);
  }
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(path, 'a non-empty string', value);
  return value;
}

function stringList(value: unknown, path: string, options: { nonEmpty: boolean; pattern?: RegExp }): string[] {
  if (!Array.isArray(value)) fail(path, 'an array of strings', value);
  if (options.nonEmpty && value.length === 0) fail(path, 'a non-empty array', value);
  return value.map((entry: unknown, index) => {
    const text = string(entry, `${path}[${index}]`);
    if (options.pattern && !options.pattern.test(text)) fail(`${path}[${index}]`, 'an RFC 9110 token', entry);
    return text;
  });
}

function stringOrList(value: unknown, path: string): string | string[] {
  return typeof value === 'string' ? string(value, path) : stringList(value, path, { nonEmpty: true });
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(path, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  }
  return value as T;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'true or false', value);
  return value;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(path, `an integer from ${min} to ${max}`, value);
  return value;
}

/** Read a file named by the config, relative to the config file's folder. */
function readConfigFile(reference: string, baseDir: string, path: string): string {
  const file = isAbsolute(reference) ? reference : resolve(baseDir, reference);
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_FILE_BYTES) throw new RangeError(`larger than ${MAX_FILE_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigurationError(path, `${PREFIX}${path}: cannot read ${file} (${reason})`, { cause: error, code: 'ERR_CONFIG_UNREADABLE' });
  }
  return text;
}

/** A PEM value: a path to a PEM file (relative to the config file), or PEM text inline (extension). */
function pem(value: unknown, path: string, baseDir: string, kind: 'certificate' | 'key'): string {
  const reference = string(value, path);
  const text = reference.startsWith(PEM_PREFIX) ? reference : readConfigFile(reference, baseDir, path);
  // Parse now so a wrong or corrupt file fails at startup, naming the field, not at the first handshake.
  try {
    if (kind === 'key') createPrivateKey(text);
    else new X509Certificate(text);
  } catch (error) {
    throw new ConfigurationError(path, `${PREFIX}${path} is not a PEM ${kind === 'key' ? 'private key' : 'certificate'}`, { cause: error });
  }
  return text;
}

function parseListen(value: unknown): CertboundListenConfig {
  if (value === undefined) return { host: '127.0.0.1', port: 0 };
  const listen = object(value, 'listen', new Set(['host', 'port']));
  return {
    host: listen['host'] === undefined ? '127.0.0.1' : string(listen['host'], 'listen.host'),
    port: listen['port'] === undefined ? 0 : integer(listen['port'], 'listen.port', 0, 65535),
  };
}

function parseTls(value: unknown, baseDir: string): CertboundTlsConfig {
  const tls = object(value, 'tls', new Set(['cert', 'key', 'verifyClientCertificate', 'ca']));
  const verifyClientCertificate = tls['verifyClientCertificate'] === undefined ? false : boolean(tls['verifyClientCertificate'], 'tls.verifyClientCertificate');
  const result: CertboundTlsConfig = {
    cert: pem(tls['cert'], 'tls.cert', baseDir, 'certificate'),
    key: pem(tls['key'], 'tls.key', baseDir, 'key'),
    verifyClientCertificate,
  };
  if (tls['ca'] !== undefined) result.ca = pem(tls['ca'], 'tls.ca', baseDir, 'certificate');
  // Verifying chains without a CA would silently fall back to the public roots: refuse the ambiguity.
  if (verifyClientCertificate && result.ca === undefined) fail('tls.ca', 'set when tls.verifyClientCertificate is true', undefined);
  return result;
}

function parseJwks(value: unknown, baseDir: string): { keys: Jwk[] } {
  let jwks: unknown = value;
  if (typeof value === 'string') {
    // Extension: a path to a JWKS JSON file, relative to the config file.
    const text = readConfigFile(string(value, 'jwks'), baseDir, 'jwks');
    try {
      jwks = JSON.parse(text);
    } catch (error) {
      throw new ConfigurationError('jwks', `${PREFIX}jwks: the file is not valid JSON`, { cause: error, code: 'ERR_CONFIG_UNREADABLE' });
    }
  }
  if (!isObject(jwks)) fail('jwks', 'an object { "keys": [...] } or a path to one', jwks);
  const keys = jwks['keys'];
  if (!Array.isArray(keys) || keys.length === 0) fail('jwks.keys', 'a non-empty array of JWKs', keys);
  keys.forEach((key: unknown, index) => {
    if (!isObject(key)) fail(`jwks.keys[${index}]`, 'an object', key);
    string(key['kty'], `jwks.keys[${index}].kty`);
  });
  return { keys: keys as Jwk[] };
}

function parseJwksUri(value: unknown): string {
  return checked(() => checkJwksUri(string(value, 'jwksUri'), 'jwksUri'));
}

function parseIntrospection(value: unknown, baseDir: string): IntrospectionConfig {
  const known = ['endpoint', 'clientId', 'clientAuth', 'clientSecret', 'privateKey', 'tls', 'tokens', 'cacheMaxSeconds', 'responseFormat'];
  const section = object(value, 'introspection', new Set(known));
  const result: IntrospectionConfig = {
    endpoint: checked(() => checkJwksUri(string(section['endpoint'], 'introspection.endpoint'), 'introspection.endpoint')),
    clientId: string(section['clientId'], 'introspection.clientId'),
    clientAuth: oneOf(section['clientAuth'], 'introspection.clientAuth', CLIENT_AUTH_METHODS),
    tokens: section['tokens'] === undefined ? 'opaque' : oneOf(section['tokens'], 'introspection.tokens', ['opaque', 'all'] as const),
  };
  if (section['clientSecret'] !== undefined) result.clientSecret = string(section['clientSecret'], 'introspection.clientSecret');
  if (section['privateKey'] !== undefined) result.privateKey = pem(section['privateKey'], 'introspection.privateKey', baseDir, 'key');
  if (section['tls'] !== undefined) {
    const tls = object(section['tls'], 'introspection.tls', new Set(['cert', 'key', 'ca']));
    result.tls = {};
    if (tls['cert'] !== undefined) result.tls.cert = pem(tls['cert'], 'introspection.tls.cert', baseDir, 'certificate');
    if (tls['key'] !== undefined) result.tls.key = pem(tls['key'], 'introspection.tls.key', baseDir, 'key');
    if (tls['ca'] !== undefined) result.tls.ca = pem(tls['ca'], 'introspection.tls.ca', baseDir, 'certificate');
  }
  if (section['cacheMaxSeconds'] !== undefined) result.cacheMaxSeconds = integer(section['cacheMaxSeconds'], 'introspection.cacheMaxSeconds', 0, 86_400);
  if (section['responseFormat'] !== undefined) result.responseFormat = oneOf(section['responseFormat'], 'introspection.responseFormat', ['json', 'jwt'] as const);
  // The constructor checks what depends on the method (secret, key, certificate): the same rules as in code.
  checked(() => introspection(introspectionOptionsOf(result)));
  return result;
}

function introspectionOptionsOf(config: IntrospectionConfig): IntrospectionOptions {
  const { tls, ...rest } = config;
  return tls === undefined ? { ...rest } : { ...rest, tls: { ...tls } };
}

/** `jwksOptions`: checked by remoteKeys itself (ranges, the wait bound under the timeout), named as file fields. */
function parseJwksOptions(value: unknown, uri: string): JwksFileOptions {
  const options = object(value, 'jwksOptions', new Set(JWKS_OPTIONS)) as JwksFileOptions;
  try {
    remoteKeys({ uri, ...options });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const field = error.field.replace(/^remoteKeys\./, 'jwksOptions.');
    throw new ConfigurationError(field, `${PREFIX}${error.message.replace(/^remoteKeys\./, 'jwksOptions.')}`, { cause: error });
  }
  return { ...options };
}

function parseCertificateSource(value: unknown): CertificateSourceConfig {
  if (!isObject(value)) fail('certificateSource', 'an object', value);
  const type = oneOf(value['type'], 'certificateSource.type', ['tls', 'header'] as const);
  if (type === 'tls') {
    object(value, 'certificateSource', new Set(['type']));
    return { type: 'tls' };
  }
  const { type: _type, ...options } = object(value, 'certificateSource', new Set(['type', ...HEADER_SOURCE_OPTIONS]));
  // @see docs/security.md rule 7 — no default: a header source trusts nobody until told whom.
  if (options['trustedProxies'] === undefined) fail('certificateSource.trustedProxies', 'a non-empty array of CIDRs (required for type "header")', undefined);
  // The source checks the format, the CIDRs, the header names and the size limit: exactly what the verifier will.
  checked(() => headerSource(options as unknown as HeaderSourceOptions));
  return { type: 'header', ...(options as unknown as HeaderSourceOptions) };
}

/**
 * Validate a parsed configuration document (docs/configuration.md) and read the PEM files it names (relative paths
 * resolve against `baseDir`, the config file's folder). Throws a ConfigurationError (wrong type, unknown field,
 * invalid PEM, unreadable file) whose `field` is the path, e.g. `certificateSource.trustedProxies[1]`.
 */
export function parseConfig(json: unknown, baseDir: string, options: ParseConfigOptions = {}): CertboundConfig {
  const allowed = new Set([...TOP_LEVEL, ...(options.allowFields ?? [])]);
  const document = object(json, '', allowed);
  const has = (field: string) => document[field] !== undefined;

  if (!has('issuer')) fail('issuer', 'set (a string or a list of strings)', undefined);
  if (!has('audience')) fail('audience', 'set (a string or a list of strings)', undefined);
  if (!has('algorithms')) fail('algorithms', 'set (the allow-list of JWS algorithms)', undefined);
  const introspected = has('introspection') ? parseIntrospection(document['introspection'], baseDir) : undefined;
  // With every token introspected (and JSON answers), no key is needed: then jwks/jwksUri are optional.
  const keysOptional = introspected?.tokens === 'all' && introspected.responseFormat !== 'jwt';
  if (has('jwks') && has('jwksUri')) fail('jwks', 'given, or jwksUri, but not both', document['jwks']);
  if (!has('jwks') && !has('jwksUri') && !keysOptional) fail('jwks', 'given, or jwksUri (optional only with introspection.tokens "all")', undefined);

  const config: CertboundConfig = {
    listen: parseListen(document['listen']),
    issuer: stringOrList(document['issuer'], 'issuer'),
    audience: stringOrList(document['audience'], 'audience'),
    algorithms: stringList(document['algorithms'], 'algorithms', { nonEmpty: true }).map((alg, index) => oneOf(alg, `algorithms[${index}]`, ALGORITHM_NAMES)),
    requiredScopes: has('requiredScopes') ? stringList(document['requiredScopes'], 'requiredScopes', { nonEmpty: false }) : [],
    requiredRoles: has('requiredRoles') ? stringList(document['requiredRoles'], 'requiredRoles', { nonEmpty: false }) : [],
  };
  if (introspected !== undefined) config.introspection = introspected;
  if (has('resourceMetadata')) {
    // resourceMetadata() checks every member, naming it; the file keeps the options, servers build the document.
    const metadata = document['resourceMetadata'] as ResourceMetadataOptions;
    checked(() => resourceMetadata(metadata));
    config.resourceMetadata = metadata;
  }
  if (has('tls')) config.tls = parseTls(document['tls'], baseDir);
  if (has('jwks')) config.jwks = parseJwks(document['jwks'], baseDir);
  if (has('jwksUri')) config.jwksUri = parseJwksUri(document['jwksUri']);
  if (has('jwksCa')) {
    if (!has('jwksUri')) fail('jwksCa', 'used only with jwksUri', document['jwksCa']);
    config.jwksCa = pem(document['jwksCa'], 'jwksCa', baseDir, 'certificate');
  }
  if (has('jwksOptions')) {
    if (config.jwksUri === undefined) fail('jwksOptions', 'used only with jwksUri', document['jwksOptions']);
    config.jwksOptions = parseJwksOptions(document['jwksOptions'], config.jwksUri);
  }
  if (has('tokenTypes')) config.tokenTypes = stringList(document['tokenTypes'], 'tokenTypes', { nonEmpty: true });
  if (has('clockToleranceSeconds')) {
    const seconds = document['clockToleranceSeconds'];
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) fail('clockToleranceSeconds', 'a number of seconds from 0 to 3600', seconds);
    config.clockToleranceSeconds = seconds;
  }
  if (has('binding')) config.binding = oneOf(document['binding'], 'binding', BINDING_POLICIES);
  if (has('schemes')) config.schemes = stringList(document['schemes'], 'schemes', { nonEmpty: true, pattern: TOKEN });
  if (has('certificateSource')) config.certificateSource = parseCertificateSource(document['certificateSource']);
  if (has('requiredClaims')) config.requiredClaims = stringList(document['requiredClaims'], 'requiredClaims', { nonEmpty: false });
  if (has('maxTokenLength')) config.maxTokenLength = integer(document['maxTokenLength'], 'maxTokenLength', 1, 1_048_576);
  if (has('realm')) config.realm = string(document['realm'], 'realm');
  // Without TLS the request's own certificate cannot exist: only a proxy-forwarded one can bind tokens.
  if (config.tls === undefined && config.certificateSource?.type !== 'header' && config.binding !== 'if-present' && config.binding !== 'report-only') {
    fail('tls', 'set unless certificateSource.type is "header" (plain HTTP carries no client certificate)', undefined);
  }
  return config;
}

/**
 * Read a configuration file as JSON, without validating it: for callers that add their own fields (the gateway)
 * before handing the document to {@link parseConfig}. `baseDir` is the file's folder, against which relative paths
 * in it resolve.
 */
export async function readConfigDocument(path: string): Promise<{ document: unknown; baseDir: string }> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigurationError(file, `${PREFIX}cannot read ${file} (${reason})`, { cause: error, code: 'ERR_CONFIG_UNREADABLE' });
  }
  try {
    return { document: JSON.parse(text) as unknown, baseDir: dirname(file) };
  } catch (error) {
    throw new ConfigurationError(file, `${PREFIX}${file} is not valid JSON (${(error as Error).message})`, { cause: error, code: 'ERR_CONFIG_UNREADABLE' });
  }
}

/**
 * Read, parse and validate a configuration file (docs/configuration.md); PEM and JWKS paths in it are relative to
 * its folder. Throws a ConfigurationError naming the field (or the file, when it cannot be read).
 * @example
 * ```ts
 * const config = await loadConfig('certbound.json');
 * const verifier = createVerifier(verifierOptionsFromConfig(config));
 * ```
 */
export async function loadConfig(path: string, options: ParseConfigOptions = {}): Promise<CertboundConfig> {
  const { document, baseDir } = await readConfigDocument(path);
  return parseConfig(document, baseDir, options);
}

/**
 * The verifier options a config describes (everything but `listen`, `tls` and the route guards), built with the
 * same constructors an application calls: `staticKeys`/`remoteKeys` and `tlsSource`/`headerSource`.
 */
export function verifierOptionsFromConfig(config: CertboundConfig): VerifierOptions {
  const { certificateSource } = config;
  const options: VerifierOptions = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: [...config.algorithms],
  };
  if (config.jwks !== undefined) options.keys = staticKeys(config.jwks);
  else if (config.jwksUri !== undefined) options.keys = remoteKeys({ uri: config.jwksUri, ...config.jwksOptions, ...(config.jwksCa === undefined ? {} : { ca: config.jwksCa }) });
  if (config.resourceMetadata !== undefined) options.resourceMetadata = resourceMetadata(config.resourceMetadata).url;
  if (config.introspection !== undefined) options.introspection = introspection(introspectionOptionsOf(config.introspection));
  if (certificateSource !== undefined) {
    const { type: _type, ...header } = certificateSource;
    options.certificateSource = certificateSource.type === 'header' ? headerSource(header as HeaderSourceOptions) : tlsSource();
  }
  if (config.tokenTypes !== undefined) options.tokenTypes = [...config.tokenTypes];
  if (config.clockToleranceSeconds !== undefined) options.clockToleranceSeconds = config.clockToleranceSeconds;
  if (config.binding !== undefined) options.binding = config.binding;
  if (config.schemes !== undefined) options.schemes = [...config.schemes];
  if (config.requiredClaims !== undefined) options.requiredClaims = [...config.requiredClaims];
  if (config.maxTokenLength !== undefined) options.maxTokenLength = config.maxTokenLength;
  if (config.realm !== undefined) options.realm = config.realm;
  return options;
}
