// The proxy configurations in the README are read out of it and checked: every key is a field of the schema the
// snippet targets (a small hand-written schema of the fields used: Envoy's v3 API messages, Traefik's dynamic
// configuration), enum values are values of that field, and the values the safety of the deployment rests on are the
// ones the README states. A tiny indentation parser reads the YAML (block mappings and lists; flow values are leaves).
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY_HEADERS, parseGatewayConfig } from '../src/index.js';
import { MAX_IDENTITY_VALUE_LENGTH } from '../src/identity.js';
import { KEEP_ALIVE_TIMEOUT_MS } from '../src/start-gateway.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The fenced blocks of one language inside the section under `heading` (up to the next heading of its level or above). */
function blocks(heading: string, language: string): string[] {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`README has no "${heading}" heading`);
  const level = heading.indexOf(' ');
  const found: string[] = [];
  let current: string[] | null = null;
  for (const line of lines.slice(start + 1)) {
    if (current === null && /^#+ /.test(line) && line.indexOf(' ') <= level) break;
    if (current === null && line === `\`\`\`${language}`) current = [];
    else if (current !== null && line === '```') {
      found.push(current.join('\n'));
      current = null;
    } else current?.push(line);
  }
  return found;
}

/** Every key path of a YAML block (`a.b[].c`) with its scalar value, or null where a mapping or list follows. */
function keyPaths(yaml: string): Map<string, string | null> {
  const paths = new Map<string, string | null>();
  const stack: { indent: number; path: string }[] = [{ indent: -1, path: '' }];
  const top = () => stack[stack.length - 1]!;
  for (const raw of yaml.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '');
    if (line.trim() === '') continue;
    let indent = line.length - line.trimStart().length;
    let text = line.trim();
    if (text.startsWith('- ')) {
      while (top().indent >= indent) stack.pop();
      const item = `${top().path}[]`;
      stack.push({ indent, path: item });
      text = text.slice(2);
      indent += 2;
      if (!/^("[^"]+"|[^\s:"]+):( |$)/.test(text)) {
        paths.set(item, text);
        continue;
      }
    }
    while (top().indent >= indent) stack.pop();
    const match = /^("[^"]+"|[^\s:"]+):(?: (.*))?$/.exec(text);
    if (match === null) throw new Error(`unreadable YAML line: ${raw}`);
    const key = match[1]!.replace(/^"|"$/g, '');
    const value = match[2]?.trim() ?? '';
    const path = top().path === '' ? key : `${top().path}.${key}`;
    paths.set(path, value === '' ? null : value.replace(/^"(.*)"$/, '$1'));
    if (value === '') stack.push({ indent, path });
  }
  return paths;
}

type FieldType = 'map' | 'list' | 'string' | 'bool' | 'duration' | 'port' | readonly string[];

function checkAgainst(schema: Readonly<Record<string, FieldType>>, paths: Map<string, string | null>): string[] {
  const problems: string[] = [];
  for (const [path, value] of paths) {
    const type = schema[path];
    if (type === undefined) problems.push(`${path}: not a field of the schema`);
    else if (Array.isArray(type) && !type.includes(value ?? '')) problems.push(`${path}: ${value} is not one of ${type.join(', ')}`);
    else if (type === 'bool' && value !== 'true' && value !== 'false') problems.push(`${path}: ${value} is not a bool`);
    else if (type === 'duration' && !/^\d+(\.\d+)?s$/.test(value ?? '')) problems.push(`${path}: ${value} is not a duration`);
    else if (type === 'port' && !/^\d{1,5}$/.test(value ?? '')) problems.push(`${path}: ${value} is not a port`);
    else if ((type === 'map' || type === 'list') && value !== null && !value.startsWith(type === 'map' ? '{' : '[')) problems.push(`${path}: ${value} is not a ${type}`);
  }
  return problems;
}

// Envoy v3: envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext (CommonTlsContext, CertificateValidationContext).
const DOWNSTREAM_TLS: Record<string, FieldType> = {
  transport_socket: 'map',
  'transport_socket.name': 'string',
  'transport_socket.typed_config': 'map',
  'transport_socket.typed_config.@type': ['type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'],
  'transport_socket.typed_config.require_client_certificate': 'bool',
  'transport_socket.typed_config.common_tls_context': 'map',
  'transport_socket.typed_config.common_tls_context.tls_certificates': 'list',
  'transport_socket.typed_config.common_tls_context.tls_certificates[]': 'map',
  'transport_socket.typed_config.common_tls_context.tls_certificates[].certificate_chain': 'map',
  'transport_socket.typed_config.common_tls_context.tls_certificates[].private_key': 'map',
  'transport_socket.typed_config.common_tls_context.validation_context': 'map',
  'transport_socket.typed_config.common_tls_context.validation_context.trusted_ca': 'map',
  'transport_socket.typed_config.common_tls_context.validation_context.trust_chain_verification': ['VERIFY_TRUST_CHAIN', 'ACCEPT_UNTRUSTED'],
};

// Envoy v3: HttpConnectionManager (+ config.core.v3.HttpProtocolOptions), ExtAuthz, HttpService, AuthorizationResponse,
// type.matcher.v3.ListStringMatcher, type.v3.HttpStatus, Router.
const FILTER = 'typed_config.http_filters[].typed_config';
const HTTP_CONNECTION_MANAGER: Record<string, FieldType> = {
  typed_config: 'map',
  'typed_config.@type': ['type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'],
  'typed_config.stat_prefix': 'string',
  'typed_config.forward_client_cert_details': ['SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET', 'ALWAYS_FORWARD_ONLY'],
  'typed_config.set_current_client_cert_details': 'map',
  'typed_config.set_current_client_cert_details.cert': 'bool',
  'typed_config.common_http_protocol_options': 'map',
  'typed_config.common_http_protocol_options.headers_with_underscores_action': ['ALLOW', 'REJECT_REQUEST', 'DROP_HEADER'],
  'typed_config.http_filters': 'list',
  'typed_config.http_filters[]': 'map',
  'typed_config.http_filters[].name': ['envoy.filters.http.ext_authz', 'envoy.filters.http.router'],
  [FILTER]: 'map',
  [`${FILTER}.@type`]: ['type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'],
  [`${FILTER}.transport_api_version`]: ['V3'],
  [`${FILTER}.failure_mode_allow`]: 'bool',
  [`${FILTER}.status_on_error`]: 'map',
  [`${FILTER}.status_on_error.code`]: ['Forbidden', 'InternalServerError', 'BadGateway', 'ServiceUnavailable', 'GatewayTimeout'],
  [`${FILTER}.allowed_headers`]: 'map',
  [`${FILTER}.allowed_headers.patterns`]: 'list',
  [`${FILTER}.allowed_headers.patterns[]`]: 'map',
  [`${FILTER}.allowed_headers.patterns[].exact`]: 'string',
  [`${FILTER}.http_service`]: 'map',
  [`${FILTER}.http_service.server_uri`]: 'map',
  [`${FILTER}.http_service.server_uri.uri`]: 'string',
  [`${FILTER}.http_service.server_uri.cluster`]: 'string',
  [`${FILTER}.http_service.server_uri.timeout`]: 'duration',
  [`${FILTER}.http_service.path_prefix`]: 'string',
  [`${FILTER}.http_service.authorization_response`]: 'map',
  [`${FILTER}.http_service.authorization_response.allowed_upstream_headers`]: 'map',
  [`${FILTER}.http_service.authorization_response.allowed_upstream_headers.patterns`]: 'list',
  [`${FILTER}.http_service.authorization_response.allowed_upstream_headers.patterns[]`]: 'map',
  [`${FILTER}.http_service.authorization_response.allowed_upstream_headers.patterns[].prefix`]: 'string',
  [`${FILTER}.http_service.authorization_response.allowed_client_headers`]: 'map',
  [`${FILTER}.http_service.authorization_response.allowed_client_headers.patterns`]: 'list',
  [`${FILTER}.http_service.authorization_response.allowed_client_headers.patterns[]`]: 'map',
  [`${FILTER}.http_service.authorization_response.allowed_client_headers.patterns[].exact`]: 'string',
};

// Envoy v3: config.cluster.v3.Cluster, extensions.upstreams.http.v3.HttpProtocolOptions, ClusterLoadAssignment.
const OPTIONS = 'clusters[].typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const ENDPOINT = 'clusters[].load_assignment.endpoints[].lb_endpoints[].endpoint';
const CLUSTERS: Record<string, FieldType> = {
  clusters: 'list',
  'clusters[]': 'map',
  'clusters[].name': 'string',
  'clusters[].type': ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'],
  'clusters[].connect_timeout': 'duration',
  'clusters[].typed_extension_protocol_options': 'map',
  [OPTIONS]: 'map',
  [`${OPTIONS}.@type`]: ['type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions'],
  [`${OPTIONS}.explicit_http_config`]: 'map',
  [`${OPTIONS}.explicit_http_config.http_protocol_options`]: 'map',
  [`${OPTIONS}.common_http_protocol_options`]: 'map',
  [`${OPTIONS}.common_http_protocol_options.idle_timeout`]: 'duration',
  'clusters[].load_assignment': 'map',
  'clusters[].load_assignment.cluster_name': 'string',
  'clusters[].load_assignment.endpoints': 'list',
  'clusters[].load_assignment.endpoints[]': 'map',
  'clusters[].load_assignment.endpoints[].lb_endpoints': 'list',
  'clusters[].load_assignment.endpoints[].lb_endpoints[]': 'map',
  [ENDPOINT]: 'map',
  [`${ENDPOINT}.address`]: 'map',
  [`${ENDPOINT}.address.socket_address`]: 'map',
  [`${ENDPOINT}.address.socket_address.address`]: 'string',
  [`${ENDPOINT}.address.socket_address.port_value`]: 'port',
};

// Traefik v2.11 / v3 dynamic configuration: headers, passTLSClientCert and forwardAuth middlewares, routers, TLS options.
const TRAEFIK: Record<string, FieldType> = {
  http: 'map',
  'http.middlewares': 'map',
  'http.middlewares.strip-client-cert': 'map',
  'http.middlewares.strip-client-cert.headers': 'map',
  'http.middlewares.strip-client-cert.headers.customRequestHeaders': 'map',
  'http.middlewares.strip-client-cert.headers.customRequestHeaders.X-Forwarded-Tls-Client-Cert': 'string',
  'http.middlewares.client-cert': 'map',
  'http.middlewares.client-cert.passTLSClientCert': 'map',
  'http.middlewares.client-cert.passTLSClientCert.pem': 'bool',
  'http.middlewares.certbound': 'map',
  'http.middlewares.certbound.forwardAuth': 'map',
  'http.middlewares.certbound.forwardAuth.address': 'string',
  'http.middlewares.certbound.forwardAuth.trustForwardHeader': 'bool',
  'http.middlewares.certbound.forwardAuth.authResponseHeaders': 'list',
  'http.middlewares.certbound.forwardAuth.authResponseHeaders[]': 'string',
  'http.routers': 'map',
  'http.routers.orders': 'map',
  'http.routers.orders.rule': 'string',
  'http.routers.orders.middlewares': 'list',
  'http.routers.orders.service': 'string',
  'http.routers.orders.tls': 'map',
  'http.routers.orders.tls.options': 'string',
  tls: 'map',
  'tls.options': 'map',
  'tls.options.mtls': 'map',
  'tls.options.mtls.clientAuth': 'map',
  'tls.options.mtls.clientAuth.clientAuthType': ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'],
};

const seconds = (duration: string | null | undefined) => Number((duration ?? '').replace(/s$/, ''));
const identityNames = Object.values(DEFAULT_IDENTITY_HEADERS);

describe('README: Envoy ext_authz snippets', () => {
  const [tls, manager, clusters, ...rest] = blocks('### Envoy `ext_authz` (HTTP service)', 'yaml').map(keyPaths);

  it('has the three blocks, each made only of fields of its Envoy v3 message', () => {
    expect(rest).toEqual([]);
    expect(checkAgainst(DOWNSTREAM_TLS, tls!)).toEqual([]);
    expect(checkAgainst(HTTP_CONNECTION_MANAGER, manager!)).toEqual([]);
    expect(checkAgainst(CLUSTERS, clusters!)).toEqual([]);
  });

  it('asks for client certificates and accepts self-signed ones (RFC 8705 §6.2)', () => {
    expect(tls!.get('transport_socket.typed_config.require_client_certificate')).toBe('true');
    expect(tls!.get('transport_socket.typed_config.common_tls_context.validation_context.trust_chain_verification')).toBe('ACCEPT_UNTRUSTED');
  });

  it('sanitises XFCC, rejects underscore headers, never fails open, and answers errors with 503', () => {
    expect(manager!.get('typed_config.forward_client_cert_details')).toBe('SANITIZE_SET');
    expect(manager!.get('typed_config.set_current_client_cert_details.cert')).toBe('true');
    expect(manager!.get('typed_config.common_http_protocol_options.headers_with_underscores_action')).toBe('REJECT_REQUEST');
    expect(manager!.get(`${FILTER}.failure_mode_allow`)).toBe('false');
    expect(manager!.get(`${FILTER}.status_on_error.code`)).toBe('ServiceUnavailable');
    expect(manager!.get(`${FILTER}.http_service.path_prefix`)).toBe('/auth/envoy');
    expect(manager!.get(`${FILTER}.allowed_headers.patterns[].exact`)).toBe('x-forwarded-client-cert');
  });

  it('the upstream-header pattern covers every identity header, and the denial keeps the challenge', () => {
    const prefix = manager!.get(`${FILTER}.http_service.authorization_response.allowed_upstream_headers.patterns[].prefix`)!;
    for (const name of identityNames) expect(name.startsWith(prefix)).toBe(true);
    const section = blocks('### Envoy `ext_authz` (HTTP service)', 'yaml')[1]!;
    for (const header of ['www-authenticate', 'content-type', 'cache-control']) expect(section).toContain(`- exact: ${header}`);
  });

  it('the gateway cluster drops idle connections before the gateway does', () => {
    const idle = seconds(clusters!.get(`${OPTIONS}.common_http_protocol_options.idle_timeout`));
    expect(idle).toBeGreaterThan(0);
    expect(idle * 1000).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS);
    expect(clusters!.get(`${ENDPOINT}.address.socket_address.port_value`)).toBe('9000');
  });
});

describe('README: Traefik snippet', () => {
  const [traefik, ...rest] = blocks('### Traefik ForwardAuth', 'yaml').map(keyPaths);

  it('is one block made only of fields of Traefik\'s dynamic configuration', () => {
    expect(rest).toEqual([]);
    expect(checkAgainst(TRAEFIK, traefik!)).toEqual([]);
  });

  it('strips the client\'s certificate header first, requires a certificate, and trusts the forwarded headers explicitly', () => {
    expect(traefik!.get('http.middlewares.strip-client-cert.headers.customRequestHeaders.X-Forwarded-Tls-Client-Cert')).toBe('');
    expect(traefik!.get('http.routers.orders.middlewares')).toBe('[strip-client-cert, client-cert, certbound]');
    expect(traefik!.get('tls.options.mtls.clientAuth.clientAuthType')).toBe('RequireAnyClientCert');
    expect(traefik!.get('http.middlewares.certbound.forwardAuth.trustForwardHeader')).toBe('true');
    expect(traefik!.get('http.middlewares.client-cert.passTLSClientCert.pem')).toBe('true');
    expect(traefik!.get('http.middlewares.certbound.forwardAuth.address')).toBe('http://127.0.0.1:9000/auth/traefik');
  });

  it('authResponseHeaders lists every identity header', () => {
    const listed = blocks('### Traefik ForwardAuth', 'yaml')[0]!.match(/^ {10}- (X-Certbound-[A-Za-z-]+)$/gm)!.map((line) => line.trim().slice(2).toLowerCase());
    expect(listed.sort()).toEqual([...identityNames].sort());
  });
});

describe('README: nginx and the configuration example', () => {
  it('the auth location\'s buffers hold an allow answer with five identity values at the longest', () => {
    const [nginx] = blocks('### nginx `auth_request`', 'nginx');
    const auth = /location = \/_certbound\/auth \{([\s\S]*?)\n {4}\}/.exec(nginx!)![1]!;
    const size = /proxy_buffer_size (\d+)k;/.exec(auth);
    expect(size).not.toBeNull();
    const allow = identityNames.reduce((total, name) => total + name.length + 4 + MAX_IDENTITY_VALUE_LENGTH, 0) + 512;
    expect(Number(size![1]) * 1024).toBeGreaterThan(allow);
    // Each identity header is copied to the upstream from the gateway's answer.
    for (const name of identityNames) expect(nginx).toContain(`$upstream_http_${name.replaceAll('-', '_')}`);
  });

  it('the configuration example is a valid gateway configuration', () => {
    const [json] = blocks('## Configuration', 'json');
    const config = parseGatewayConfig(JSON.parse(json!), tmpdir());
    expect(config.certificateSource).toMatchObject({ type: 'header', format: 'nginx' });
  });
});
