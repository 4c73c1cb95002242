import { X509Certificate } from 'node:crypto';
import type {
  AppConfig,
  AuthorityConfig,
  CertificateRegistration,
  FederatedCredentialConfig,
  ResourceConfig,
  SigningConfig,
  TenantConfig,
} from './config.js';
import { AuthorityConfigError } from './errors.js';
import { canonicalThumbprint } from './lib/certificate-thumbprints.js';
import { GUID_PATTERN, TOKEN_EXCHANGE_AUDIENCE } from './lib/constants.js';
import { parseNodeSubject, parseRfc4514, sameDistinguishedName } from './lib/distinguished-name.js';

type Json = Record<string, unknown>;

/** Keys of the configuration file that belong to the CLI; the registry validator leaves them to it. */
export const SERVER_FILE_KEYS = ['listen', 'tls', 'trustedClientCas', 'log', 'admin', '$schema'] as const;

const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const ROLE_PATTERN = /^[\x21-\x7e]{1,120}$/;
const IDENTIFIER_PATTERN = /^[\x21-\x7e]{1,256}$/;

function fail(field: string, message: string): never {
  throw new AuthorityConfigError(field, message);
}

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object');
  return value as Json;
}

function onlyKeys(value: Json, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(field === '' ? key : `${field}.${key}`, 'unknown field');
  }
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) fail(field, 'must be an array');
  return value;
}

function string(value: unknown, field: string, max = 256): string {
  if (typeof value !== 'string' || value.length === 0) fail(field, 'must be a non-empty string');
  if (value.length > max) fail(field, `must be at most ${max} characters`);
  return value;
}

function optionalString(value: unknown, field: string, max = 256): string | undefined {
  return value === undefined ? undefined : string(value, field, max);
}

function guid(value: unknown, field: string): string {
  const text = string(value, field);
  if (!GUID_PATTERN.test(text)) fail(field, 'must be a GUID like 11111111-2222-4333-8444-555555555555');
  return text.toLowerCase();
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function parsePem(value: unknown, field: string): X509Certificate {
  const text = string(value, field, 64 * 1024);
  if (!text.includes('-----BEGIN CERTIFICATE-----')) fail(field, 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)');
  try {
    return new X509Certificate(text);
  } catch (error) {
    throw new AuthorityConfigError(field, 'is not a parsable PEM certificate', { cause: error });
  }
}

function tenant(value: unknown, field: string): TenantConfig {
  const raw = object(value, field);
  onlyKeys(raw, field, ['id', 'displayName']);
  const displayName = optionalString(raw['displayName'], `${field}.displayName`);
  return { id: guid(raw['id'], `${field}.id`), ...(displayName === undefined ? {} : { displayName }) };
}

function resource(value: unknown, field: string): ResourceConfig {
  const raw = object(value, field);
  onlyKeys(raw, field, ['identifier', 'appRoles']);
  const identifier = string(raw['identifier'], `${field}.identifier`);
  if (!IDENTIFIER_PATTERN.test(identifier)) fail(`${field}.identifier`, 'must be printable ASCII without spaces');
  if (identifier.endsWith('/.default')) fail(`${field}.identifier`, 'is the resource, without "/.default"');
  if (identifier === TOKEN_EXCHANGE_AUDIENCE) fail(`${field}.identifier`, `${TOKEN_EXCHANGE_AUDIENCE} is built in; do not list it`);
  const appRoles: string[] = [];
  if (raw['appRoles'] !== undefined) {
    array(raw['appRoles'], `${field}.appRoles`).forEach((role, i) => {
      const name = string(role, `${field}.appRoles[${i}]`, 120);
      if (!ROLE_PATTERN.test(name)) fail(`${field}.appRoles[${i}]`, 'must be printable ASCII without spaces');
      if (appRoles.includes(name)) fail(`${field}.appRoles[${i}]`, 'is listed twice');
      appRoles.push(name);
    });
  }
  return { identifier, appRoles };
}

function certificate(value: unknown, field: string): CertificateRegistration {
  const raw = object(value, field);
  onlyKeys(raw, field, ['authMethod', 'thumbprint', 'pem', 'subject', 'description']);
  const authMethod = raw['authMethod'];
  if (authMethod !== 'self_signed_tls_client_auth' && authMethod !== 'tls_client_auth') {
    fail(`${field}.authMethod`, 'must be "self_signed_tls_client_auth" or "tls_client_auth"');
  }
  const description = optionalString(raw['description'], `${field}.description`);
  const pem = optionalString(raw['pem'], `${field}.pem`, 64 * 1024);
  const parsed = pem === undefined ? undefined : parsePem(pem, `${field}.pem`);
  const extras = { ...(pem === undefined ? {} : { pem }), ...(description === undefined ? {} : { description }) };
  if (authMethod === 'self_signed_tls_client_auth') {
    if (raw['subject'] !== undefined) fail(`${field}.subject`, 'is for tls_client_auth; self_signed_tls_client_auth matches the certificate itself');
    if ((raw['thumbprint'] === undefined) === (pem === undefined)) fail(field, 'needs exactly one of "thumbprint" or "pem"');
    if (raw['thumbprint'] === undefined) return { authMethod, ...extras };
    const thumbprint = canonicalThumbprint(string(raw['thumbprint'], `${field}.thumbprint`));
    if (thumbprint === null) {
      fail(`${field}.thumbprint`, 'must be the x5t#S256 (base64url SHA-256 of the DER, 43 characters) or 64 hex digits of SHA-256');
    }
    return { authMethod, thumbprint, ...extras };
  }
  if (raw['thumbprint'] !== undefined) fail(`${field}.thumbprint`, 'is for self_signed_tls_client_auth; tls_client_auth matches the subject DN');
  const pemSubject = parsed === undefined ? undefined : parseNodeSubject(parsed.subject);
  if (parsed !== undefined && pemSubject === null) fail(`${field}.pem`, 'has a subject DN this matcher does not support (multi-valued RDN)');
  if (raw['subject'] === undefined) {
    if (pem === undefined) fail(field, 'tls_client_auth needs "subject" (or a "pem" to take it from)');
    return { authMethod, ...extras };
  }
  const subject = string(raw['subject'], `${field}.subject`, 1024);
  const rdns = parseRfc4514(subject);
  if (rdns === null) fail(`${field}.subject`, 'must be an RFC 4514 DN like "CN=client-a,O=Example" (single-valued RDNs)');
  if (pemSubject && !sameDistinguishedName(rdns, pemSubject)) fail(`${field}.subject`, 'differs from the subject of "pem"');
  return { authMethod, subject, ...extras };
}

function federatedCredential(value: unknown, field: string): FederatedCredentialConfig {
  const raw = object(value, field);
  onlyKeys(raw, field, ['issuer', 'subject', 'audience', 'name']);
  const issuer = string(raw['issuer'], `${field}.issuer`, 512);
  if (issuer !== 'self' && !/^https:\/\/[\x21-\x7e]+$/.test(issuer)) fail(`${field}.issuer`, 'must be "self" or an https URL');
  const subject = string(raw['subject'], `${field}.subject`, 600);
  const audience = raw['audience'] === undefined ? TOKEN_EXCHANGE_AUDIENCE : string(raw['audience'], `${field}.audience`);
  // docs/security.md rule 12: a Leg-2 assertion must carry the exchange audience, so no other audience can ever match.
  if (audience !== TOKEN_EXCHANGE_AUDIENCE) fail(`${field}.audience`, `must be "${TOKEN_EXCHANGE_AUDIENCE}"`);
  const name = optionalString(raw['name'], `${field}.name`);
  return { issuer, subject, audience, ...(name === undefined ? {} : { name }) };
}

function app(value: unknown, field: string, tenants: ReadonlySet<string>, resources: ReadonlyMap<string, ResourceConfig>): AppConfig {
  const raw = object(value, field);
  onlyKeys(raw, field, ['clientId', 'tenant', 'objectId', 'displayName', 'certificates', 'grants', 'federatedCredentials', 'boundTokens', 'tokenFormat']);
  const clientId = string(raw['clientId'], `${field}.clientId`, 128);
  if (!CLIENT_ID_PATTERN.test(clientId)) fail(`${field}.clientId`, 'must be a GUID or [A-Za-z0-9._:-], up to 128 characters');
  const tenantId = guid(raw['tenant'], `${field}.tenant`);
  if (!tenants.has(tenantId)) fail(`${field}.tenant`, 'is not one of the configured tenants');
  const objectId = guid(raw['objectId'], `${field}.objectId`);
  const displayName = optionalString(raw['displayName'], `${field}.displayName`);

  const certificates = raw['certificates'] === undefined ? [] : array(raw['certificates'], `${field}.certificates`).map((c, i) => certificate(c, `${field}.certificates[${i}]`));

  const grants: Record<string, string[]> = {};
  if (raw['grants'] !== undefined) {
    const rawGrants = object(raw['grants'], `${field}.grants`);
    for (const [identifier, roles] of Object.entries(rawGrants)) {
      const grantField = `${field}.grants["${identifier}"]`;
      const target = resources.get(identifier);
      if (target === undefined) fail(grantField, 'names a resource that is not configured');
      const granted: string[] = [];
      array(roles, grantField).forEach((role, i) => {
        const name = string(role, `${grantField}[${i}]`, 120);
        if (!(target.appRoles ?? []).includes(name)) fail(`${grantField}[${i}]`, 'is not an app role of that resource');
        if (!granted.includes(name)) granted.push(name);
      });
      grants[identifier] = granted;
    }
  }

  const federatedCredentials: FederatedCredentialConfig[] = [];
  if (raw['federatedCredentials'] !== undefined) {
    array(raw['federatedCredentials'], `${field}.federatedCredentials`).forEach((entry, i) => {
      const credential = federatedCredential(entry, `${field}.federatedCredentials[${i}]`);
      if (federatedCredentials.some((other) => other.issuer === credential.issuer && other.subject === credential.subject)) {
        fail(`${field}.federatedCredentials[${i}]`, 'repeats the issuer and subject of another federated credential');
      }
      federatedCredentials.push(credential);
    });
  }

  const boundTokens = raw['boundTokens'] ?? 'on-request';
  if (boundTokens !== 'on-request' && boundTokens !== 'always') fail(`${field}.boundTokens`, 'must be "on-request" or "always"');

  const tokenFormat = raw['tokenFormat'] ?? 'jwt';
  if (tokenFormat !== 'jwt' && tokenFormat !== 'opaque') fail(`${field}.tokenFormat`, 'must be "jwt" or "opaque"');

  return {
    clientId,
    tenant: tenantId,
    tokenFormat,
    objectId,
    ...(displayName === undefined ? {} : { displayName }),
    certificates,
    grants,
    federatedCredentials,
    boundTokens,
  };
}

function signing(value: unknown): SigningConfig {
  if (value === undefined) return { alg: 'RS256', typ: 'JWT' };
  const raw = object(value, 'signing');
  onlyKeys(raw, 'signing', ['alg', 'typ']);
  const alg = raw['alg'] ?? 'RS256';
  if (alg !== 'RS256' && alg !== 'PS256' && alg !== 'ES256' && alg !== 'EdDSA') fail('signing.alg', 'must be RS256, PS256, ES256 or EdDSA');
  const typ = raw['typ'] ?? 'JWT';
  if (typ !== 'JWT' && typ !== 'at+jwt') fail('signing.typ', 'must be "JWT" or "at+jwt"');
  return { alg, typ };
}

/**
 * Validate a registry (or a parsed configuration file) and return it normalised: defaults filled in, tenant and
 * object ids lower case, thumbprints in base64url form. Throws {@link AuthorityConfigError} naming the first
 * offending field. Unknown fields are refused; the CLI's own fields (`listen`, `tls`, `trustedClientCas`, `log`,
 * `admin`) are allowed and left out of the result.
 */
export function validateAuthorityConfig(value: unknown): AuthorityConfig {
  const raw = object(value, '(config)');
  onlyKeys(raw, '', ['tenants', 'apps', 'resources', 'signing', 'tokenLifetimeSeconds', 'refreshInSeconds', 'introspectionClients', ...SERVER_FILE_KEYS]);

  const tenants = array(raw['tenants'], 'tenants').map((t, i) => tenant(t, `tenants[${i}]`));
  if (tenants.length === 0) fail('tenants', 'must list at least one tenant');
  const tenantIds = new Set<string>();
  tenants.forEach((t, i) => {
    if (tenantIds.has(t.id)) fail(`tenants[${i}].id`, 'is listed twice');
    tenantIds.add(t.id);
  });

  const resources = raw['resources'] === undefined ? [] : array(raw['resources'], 'resources').map((r, i) => resource(r, `resources[${i}]`));
  const resourceMap = new Map<string, ResourceConfig>();
  resources.forEach((r, i) => {
    if (resourceMap.has(r.identifier)) fail(`resources[${i}].identifier`, 'is listed twice');
    resourceMap.set(r.identifier, r);
  });

  const apps = raw['apps'] === undefined ? [] : array(raw['apps'], 'apps').map((a, i) => app(a, `apps[${i}]`, tenantIds, resourceMap));
  const clientIds = new Set<string>();
  const objectIds = new Set<string>();
  apps.forEach((a, i) => {
    if (clientIds.has(a.clientId)) fail(`apps[${i}].clientId`, 'is used by another app');
    if (objectIds.has(a.objectId)) fail(`apps[${i}].objectId`, 'is used by another app');
    clientIds.add(a.clientId);
    objectIds.add(a.objectId);
  });

  const tokenLifetimeSeconds = raw['tokenLifetimeSeconds'] === undefined ? 3600 : integer(raw['tokenLifetimeSeconds'], 'tokenLifetimeSeconds', 60, 86_400);
  let refreshInSeconds: number | false;
  if (raw['refreshInSeconds'] === undefined) refreshInSeconds = Math.floor(tokenLifetimeSeconds / 2);
  else if (raw['refreshInSeconds'] === false) refreshInSeconds = false;
  else refreshInSeconds = integer(raw['refreshInSeconds'], 'refreshInSeconds', 1, tokenLifetimeSeconds - 1);

  const introspectionClients = raw['introspectionClients'] === undefined ? [] : array(raw['introspectionClients'], 'introspectionClients').map((entry, i) => {
    const field = `introspectionClients[${i}]`;
    const client = object(entry, field);
    onlyKeys(client, field, ['clientId', 'clientSecret']);
    const clientId = string(client['clientId'], `${field}.clientId`, 128);
    const clientSecret = string(client['clientSecret'], `${field}.clientSecret`, 512);
    if (clientSecret.length < 32) fail(`${field}.clientSecret`, 'must be at least 32 characters');
    return { clientId, clientSecret };
  });
  apps.forEach((a, i) => {
    if (a.tokenFormat === 'opaque' && introspectionClients.length === 0) fail(`apps[${i}].tokenFormat`, '"opaque" needs introspectionClients: nobody could read the tokens');
  });

  return { tenants, apps, resources, signing: signing(raw['signing']), tokenLifetimeSeconds, refreshInSeconds, introspectionClients };
}
