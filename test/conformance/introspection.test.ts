/**
 * Token introspection (RFC 7662, RFC 8705 §3.2) on every protected server certbound ships: the example APIs
 * and the gateway (Traefik ForwardAuth, certificate forwarded by the proxy), started from one configuration file
 * with `introspection`, against a real HTTPS introspection endpoint on loopback that can be made to misbehave.
 * Every case gives the same status and OAuth error on every target.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  ISSUER,
  REQUIRED_ROLE,
  REQUIRED_SCOPE,
  TENANT_ID,
  createAuthFixture,
  mtlsRequest,
  startChild,
  stopAllChildren,
  tsxArgs,
  type AuthFixture,
} from '../support/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'conformance introspection secret';
type Mode = 'ok' | 'hang' | 'huge' | 'not-json' | 'down';

/** The introspection endpoint: answers from a token table, or misbehaves as told; counts nothing, judges nothing. */
let mode: Mode = 'ok';
const answers = new Map<string, Record<string, unknown>>();
let as: Server;
let fixture: AuthFixture;
const urls = new Map<string, string>();

function startAs(pkiCert: string, pkiKey: string): Promise<Server> {
  const server = createServer({ cert: pkiCert, key: pkiKey }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const expected = `Basic ${Buffer.from(`orders-api:${SECRET.replace(/ /g, '+')}`).toString('base64')}`;
      if (request.headers.authorization !== expected) return void response.writeHead(401).end();
      if (mode === 'hang') return;
      if (mode === 'down') return void response.writeHead(503).end();
      if (mode === 'not-json') return void response.writeHead(200, { 'content-type': 'application/json' }).end('<html>');
      if (mode === 'huge') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ active: true, pad: 'x'.repeat(1 << 20) }));
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token') ?? '';
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answers.get(token) ?? { active: false }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** An active answer for a token bound to client-a that passes every guard of the conformance config. */
function active(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    active: true,
    iss: ISSUER,
    tid: TENANT_ID,
    aud: AUDIENCE,
    sub: 'conformance-subject',
    client_id: 'conformance-client',
    scope: REQUIRED_SCOPE,
    roles: [REQUIRED_ROLE],
    exp: now + 600,
    iat: now - 5,
    cnf: { 'x5t#S256': fixture.thumbprint('client-a') },
    ...overrides,
  };
}

const TARGETS = ['koa-api', 'express-api', 'fastify-api', 'hono-api', 'gateway'] as const;

beforeAll(async () => {
  fixture = await createAuthFixture();
  as = await startAs(fixture.pki.server.cert, fixture.pki.server.key);
  const introspection = {
    endpoint: `https://127.0.0.1:${(as.address() as AddressInfo).port}/introspect`,
    clientId: 'orders-api',
    clientAuth: 'client_secret_basic',
    clientSecret: SECRET,
    tls: { ca: 'pki/ca.crt' },
    cacheMaxSeconds: 0,
  };
  const apiConfig = await fixture.writeConfig('introspection.json', { introspection });
  const gatewayConfig = await fixture.writeConfig('introspection-gateway.json', {
    introspection,
    certificateSource: { type: 'header', format: 'traefik', trustedProxies: ['127.0.0.1/32'] },
  });
  await Promise.all(
    TARGETS.map(async (name) => {
      const main = name === 'gateway' ? 'packages/gateway/src/cli.ts' : `examples/${name}/src/main.ts`;
      const child = await startChild({ args: tsxArgs(main), cwd: root, env: { CERTBOUND_CONFIG: name === 'gateway' ? gatewayConfig : apiConfig } });
      urls.set(name, child.url);
    }),
  );
});

afterAll(async () => {
  await stopAllChildren();
  as?.closeAllConnections();
  await new Promise((resolve) => as?.close(resolve));
  await fixture?.close();
});

/** One request to a target: /whoami over mTLS with `client`'s certificate, or the gateway with it forwarded. */
async function ask(target: (typeof TARGETS)[number], token: string, client: 'client-a' | 'client-b'): Promise<string> {
  const url = urls.get(target)!;
  const authorization = { authorization: `Bearer ${token}` };
  const response =
    target === 'gateway'
      ? await mtlsRequest(`${url}/auth/traefik`, fixture.tls('none'), {
          headers: { ...authorization, 'x-forwarded-tls-client-cert': fixture.pki.clients[client]!.der.toString('base64') },
        })
      : await mtlsRequest(`${url}/whoami`, fixture.tls(client), { headers: authorization });
  const error = /error="([^"]+)"/.exec(String(response.headers['www-authenticate'] ?? ''))?.[1] ?? '';
  return `${response.status}${error === '' ? '' : ` ${error}`}`;
}

let serial = 0;
const cases: [string, Mode, (() => Record<string, unknown>) | null, 'client-a' | 'client-b', string][] = [
  ['active, bound to the certificate presented', 'ok', () => active(), 'client-a', '200'],
  ['inactive', 'ok', () => ({ active: false }), 'client-a', '401 invalid_token'],
  ['unknown to the AS', 'ok', null, 'client-a', '401 invalid_token'],
  ['expired', 'ok', () => active({ exp: Math.floor(Date.now() / 1000) - 600 }), 'client-a', '401 invalid_token'],
  ['for another audience', 'ok', () => active({ aud: 'api://another' }), 'client-a', '401 invalid_token'],
  ['unbound, under binding "required"', 'ok', () => active({ cnf: undefined }), 'client-a', '401 invalid_token'],
  ['bound to another certificate', 'ok', () => active(), 'client-b', '401 invalid_token'],
  ['AS answering 503', 'down', () => active(), 'client-a', '503 temporarily_unavailable'],
  ['AS answering 1 MiB', 'huge', () => active(), 'client-a', '503 temporarily_unavailable'],
  ['AS answering malformed JSON', 'not-json', () => active(), 'client-a', '503 temporarily_unavailable'],
  ['AS too slow (the 5 s deadline)', 'hang', () => active(), 'client-a', '503 temporarily_unavailable'],
];

describe(`conformance: introspection on ${TARGETS.join(', ')}`, () => {
  for (const [name, caseMode, answer, client, expected] of cases) {
    it(`opaque token ${name} → ${expected} everywhere`, async () => {
      const token = `opaque-conformance-${++serial}`;
      const body = answer?.();
      if (body !== undefined) answers.set(token, JSON.parse(JSON.stringify(body)) as Record<string, unknown>);
      mode = caseMode;
      try {
        const outcomes = await Promise.all(TARGETS.map(async (target) => `${target}: ${await ask(target, token, client)}`));
        expect(outcomes).toEqual(TARGETS.map((target) => `${target}: ${expected}`));
      } finally {
        mode = 'ok';
      }
    });
  }
});
