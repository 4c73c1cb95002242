// OpenTelemetry (docs/observability.md): a real verifier with a real remote JWKS over HTTPS and a real
// introspection endpoint, its metrics and spans read back through the SDK's in-memory exporters. Providers are
// injected through the `telemetry` option; the last test searches everything exported for tokens, keys and
// certificates.
import { Agent, get } from 'node:https';
import { createDevPki, type DevPki, type IssuedCertificate } from '@certbound/dev-pki';
import { metrics as otelMetrics, trace as otelTrace } from '@opentelemetry/api';
import { exportJWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHttpsServer } from '../../../test/support/https-server.js';
import { createTestTelemetry, exportedText, runWithoutOtelApi, searchExported, type TestTelemetry } from '../../../test/support/otel.js';
import { ConfigurationError, introspection, remoteKeys, staticKeys } from '../src/index.js';
import type { BindingPolicy, Verifier, VerifierOptions } from '../src/types.js';
import { createVerifier } from '../src/verify/verifier.js';
import { verifyRequestNow } from '../src/adapter.js';
import { startIntrospectionServer, type IntrospectionServer } from './helpers/introspection-server.js';
import { startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, ISSUER, NOW, bearer, claimsAt, createTestKey, jwksOf, signToken, type TestKey } from './helpers/tokens.js';

let pki: DevPki;
let a: IssuedCertificate;
let b: IssuedCertificate;
let key: TestKey;
let jwks: JwksServer;
let as: IntrospectionServer;
const SECRET = 'introspection client secret 0123456789';
const verifiers: Verifier[] = [];
/** Every provider set used here, and every token and key material: the last test searches the one for the other. */
const everyTelemetry: TestTelemetry[] = [];
const secrets: (string | Uint8Array)[] = [SECRET];

beforeAll(async () => {
  [pki, key] = await Promise.all([createDevPki(), createTestKey('RS256', 'otel-key')]);
  a = pki.clients['client-a']!;
  b = pki.clients['client-b']!;
  [jwks, as] = await Promise.all([startJwksServer(pki, jwksOf(key).keys), startIntrospectionServer(pki, { method: 'client_secret_basic', clientId: 'orders-api', secret: SECRET })]);
  const privateJwk = await exportJWK(key.privateKey);
  for (const certificate of [a, b, pki.server, pki.ca]) secrets.push(certificate.cert, certificate.der, certificate.key);
  secrets.push(a.thumbprint, b.thumbprint, Buffer.from(a.thumbprint, 'base64url').toString('hex'), key.publicJwk.n as string, privateJwk.d!, privateJwk.p!);
});

afterEach(async () => {
  jwks.setMode('ok');
  await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
});

afterAll(async () => {
  await Promise.all([jwks.close(), as.close(), ...everyTelemetry.map((telemetry) => telemetry.shutdown())]);
});

function observed(options: Partial<VerifierOptions> = {}, binding: BindingPolicy = 'required'): { verifier: Verifier; otel: TestTelemetry } {
  const otel = createTestTelemetry();
  everyTelemetry.push(otel);
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    keys: remoteKeys({ uri: jwks.url, ca: pki.ca.cert, cooldownMs: 0 }),
    currentTime: () => NOW * 1000,
    binding,
    telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    ...options,
  });
  verifiers.push(verifier);
  return { verifier, otel };
}

async function boundToken(certificate: IssuedCertificate = a): Promise<string> {
  const token = await signToken(key, claimsAt({ cnf: { 'x5t#S256': certificate.thumbprint } }));
  secrets.push(token);
  return token;
}

function spansNamed(otel: TestTelemetry, name: string) {
  return otel.spans().filter((span) => span.name === name);
}

describe('verifications', () => {
  it('counts accepted and refused requests by outcome and code, times them, and traces each one', async () => {
    const { verifier, otel } = observed();
    const token = await boundToken();
    expect((await verifier.verifyToken(token, a.cert)).ok).toBe(true);
    expect((await verifier.verifyToken(token, a.cert)).ok).toBe(true);
    expect(await verifier.verifyToken(token, b.cert)).toMatchObject({ ok: false, code: 'ERR_BINDING_MISMATCH' });
    expect(await verifier.verifyRequest({ headers: {} })).toMatchObject({ ok: false, code: 'ERR_NO_CREDENTIALS' });
    expect(await verifier.verifyRequest(bearer('not-a-jwt'))).toMatchObject({ ok: false, code: 'ERR_JWT_MALFORMED' });

    expect(await otel.sum('certbound.verifications', { 'certbound.verification.outcome': 'accepted' })).toBe(2);
    expect(await otel.sum('certbound.verifications', { 'certbound.verification.outcome': 'rejected', 'error.type': 'ERR_BINDING_MISMATCH' })).toBe(1);
    expect(await otel.sum('certbound.verifications', { 'certbound.verification.outcome': 'rejected', 'error.type': 'ERR_NO_CREDENTIALS' })).toBe(1);
    expect(await otel.sum('certbound.verifications', { 'certbound.verification.outcome': 'rejected', 'error.type': 'ERR_JWT_MALFORMED' })).toBe(1);
    const accepted = (await otel.points('certbound.verifications')).find((point) => point.attributes['certbound.verification.outcome'] === 'accepted');
    expect(accepted?.attributes).toEqual({ 'certbound.verification.outcome': 'accepted' });

    const durations = await otel.points('certbound.verification.duration');
    expect(await otel.sum('certbound.verification.duration')).toBe(5);
    const metric = (await otel.metrics()).find((candidate) => candidate.descriptor.name === 'certbound.verification.duration');
    expect(metric?.descriptor.unit).toBe('s');
    for (const point of durations) expect((point.value as { sum: number }).sum).toBeGreaterThan(0);

    const spans = spansNamed(otel, 'certbound.verify');
    expect(spans.map((span) => span.attributes)).toEqual([
      { 'certbound.verification.outcome': 'accepted', 'certbound.binding.result': 'matched', 'certbound.authorization.scheme': 'Bearer' },
      { 'certbound.verification.outcome': 'accepted', 'certbound.binding.result': 'matched', 'certbound.authorization.scheme': 'Bearer' },
      { 'certbound.verification.outcome': 'rejected', 'error.type': 'ERR_BINDING_MISMATCH', 'certbound.binding.result': 'mismatch' },
      { 'certbound.verification.outcome': 'rejected', 'error.type': 'ERR_NO_CREDENTIALS' },
      { 'certbound.verification.outcome': 'rejected', 'error.type': 'ERR_JWT_MALFORMED' },
    ]);
    // A refusal is a normal answer, not a failed operation: the span status stays unset.
    expect(spans.every((span) => span.status.code === 0)).toBe(true);
    expect(spans[0]!.instrumentationScope.name).toBe('@certbound/core');
    // Started at the verification's start (performance time), so the span sits at the real wall-clock time.
    const startedMs = spans[0]!.startTime[0] * 1000 + spans[0]!.startTime[1] / 1e6;
    expect(Math.abs(startedMs - Date.now())).toBeLessThan(60_000);
  });

  it('records the adapters\' path (verifyRequestNow) too: a fresh verification, then repeats answered from the connection', async () => {
    const { verifier, otel } = observed();
    const token = await boundToken();
    let synchronous = 0;
    const server = await startHttpsServer(pki.server, (req, res) => {
      const result = verifyRequestNow(verifier, req);
      if (!(result instanceof Promise)) synchronous++;
      void Promise.resolve(result).then((settled) => res.writeHead(settled.ok ? 200 : 401).end());
    });
    // One keep-alive connection: the second and third requests repeat what it presented before.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca.cert, cert: a.cert, key: a.key });
    const status = () =>
      new Promise<number | undefined>((resolve, reject) => {
        get(server.url, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => response.resume().on('end', () => resolve(response.statusCode))).on('error', reject);
      });
    try {
      for (let i = 0; i < 3; i++) expect(await status()).toBe(200);
    } finally {
      agent.destroy();
      await server.close();
    }
    expect(synchronous).toBeGreaterThan(0);
    expect(await otel.sum('certbound.verifications', { 'certbound.verification.outcome': 'accepted' })).toBe(3);
    expect(await otel.sum('certbound.verification.duration')).toBe(3);
    expect(spansNamed(otel, 'certbound.verify').map((span) => span.attributes['certbound.binding.result'])).toEqual(['matched', 'matched', 'matched']);
  });

  it('reports an accepted mismatch under report-only as report_only with the code it would have refused', async () => {
    const { verifier, otel } = observed({}, 'report-only');
    const token = await boundToken();
    expect((await verifier.verifyToken(token, b.cert)).ok).toBe(true);
    expect((await verifier.verifyToken(token, null)).ok).toBe(true);
    expect(spansNamed(otel, 'certbound.verify').map((span) => span.attributes)).toEqual([
      { 'certbound.verification.outcome': 'report_only', 'error.type': 'ERR_BINDING_MISMATCH', 'certbound.binding.result': 'mismatch', 'certbound.authorization.scheme': 'Bearer' },
      { 'certbound.verification.outcome': 'report_only', 'error.type': 'ERR_CERTIFICATE_MISSING', 'certbound.binding.result': 'certificate_missing', 'certbound.authorization.scheme': 'Bearer' },
    ]);
    expect(await otel.sum('certbound.verifications', { 'certbound.verification.outcome': 'report_only' })).toBe(2);
  });

  it('counts verified-token cache hits and misses and reports its size', async () => {
    const { verifier, otel } = observed();
    const first = await boundToken();
    const second = await signToken(key, claimsAt({ sub: 'subject-2', cnf: { 'x5t#S256': a.thumbprint } }));
    secrets.push(second);
    for (const token of [first, first, first, second]) expect((await verifier.verifyToken(token, a.cert)).ok).toBe(true);
    expect(await otel.sum('certbound.token_cache.lookups', { 'certbound.token_cache.result': 'hit' })).toBe(2);
    expect(await otel.sum('certbound.token_cache.lookups', { 'certbound.token_cache.result': 'miss' })).toBe(2);
    expect(await otel.sum('certbound.token_cache.entries')).toBe(2);
  });
});

describe('JWKS', () => {
  it('traces the fetch as an HTTP client span and counts the refresh', async () => {
    const { verifier, otel } = observed();
    expect((await verifier.verifyToken(await boundToken(), a.cert)).ok).toBe(true);
    const [fetch] = spansNamed(otel, 'GET');
    expect(fetch?.kind).toBe(2); // SpanKind.CLIENT
    const url = new URL(jwks.url);
    expect(fetch?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.full': jwks.url,
      'server.address': '127.0.0.1',
      'server.port': Number(url.port),
      'http.response.status_code': 200,
    });
    expect(await otel.sum('certbound.jwks.refreshes', { 'certbound.jwks.refresh.outcome': 'success' })).toBe(1);
  });

  it('leaves the query out of url.full', async () => {
    const { verifier, otel } = observed({ keys: remoteKeys({ uri: `${jwks.url}?api-key=do-not-export-this-value`, ca: pki.ca.cert }) });
    expect((await verifier.verifyToken(await boundToken(), a.cert)).ok).toBe(true);
    expect(spansNamed(otel, 'GET')[0]?.attributes['url.full']).toBe(jwks.url);
    expect((await exportedText(otel)).join('\n')).not.toContain('do-not-export-this-value');
  });

  it('during an outage counts the failure with its cause and marks the fetch span and the 503 as errors', async () => {
    jwks.setMode('error');
    const { verifier, otel } = observed();
    expect(await verifier.verifyToken(await boundToken(), a.cert)).toMatchObject({ ok: false, code: 'ERR_JWKS_UNAVAILABLE', status: 503 });
    expect(await otel.sum('certbound.jwks.refreshes', { 'certbound.jwks.refresh.outcome': 'failure', 'error.type': 'http' })).toBe(1);
    const [fetch] = spansNamed(otel, 'GET');
    expect(fetch?.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
    expect(fetch?.status.code).toBe(2); // SpanStatusCode.ERROR
    const [verify] = spansNamed(otel, 'certbound.verify');
    expect(verify?.attributes['error.type']).toBe('ERR_JWKS_UNAVAILABLE');
    expect(verify?.status.code).toBe(2);
  });

  it('names a timeout as the fetch span error type', async () => {
    jwks.setMode('hang');
    const { verifier, otel } = observed({ keys: remoteKeys({ uri: jwks.url, ca: pki.ca.cert, timeoutMs: 300 }) });
    expect(await verifier.verifyToken(await boundToken(), a.cert)).toMatchObject({ ok: false, code: 'ERR_JWKS_UNAVAILABLE' });
    const deadline = Date.now() + 5000;
    while (spansNamed(otel, 'GET').length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(spansNamed(otel, 'GET')[0]?.attributes).toMatchObject({ 'error.type': 'timeout' });
    expect(spansNamed(otel, 'GET')[0]?.attributes['http.response.status_code']).toBeUndefined();
  });
});

describe('introspection', () => {
  function introspecting(): { verifier: Verifier; otel: TestTelemetry } {
    return observed({
      keys: staticKeys(jwksOf(key)),
      introspection: introspection({ endpoint: as.url, clientId: 'orders-api', clientAuth: 'client_secret_basic', clientSecret: SECRET, tls: { ca: pki.ca.cert } }),
    });
  }

  it('traces each request as an HTTP client span and counts it by outcome', async () => {
    const { verifier, otel } = introspecting();
    const active = `opaque-active-${'x'.repeat(24)}`;
    const inactive = `opaque-inactive-${'y'.repeat(24)}`;
    const elsewhere = `opaque-elsewhere-${'v'.repeat(24)}`;
    secrets.push(active, inactive, elsewhere);
    as.setToken(active, claimsAt({ active: true, token_type: 'Bearer', cnf: { 'x5t#S256': a.thumbprint } }));
    as.setToken(elsewhere, claimsAt({ active: true, token_type: 'Bearer', aud: 'api://another-api', cnf: { 'x5t#S256': a.thumbprint } }));
    expect((await verifier.verifyToken(active, a.cert)).ok).toBe(true);
    expect(await verifier.verifyToken(inactive, a.cert)).toMatchObject({ ok: false, code: 'ERR_TOKEN_INACTIVE' });
    expect(await verifier.verifyToken(elsewhere, a.cert)).toMatchObject({ ok: false, code: 'ERR_AUDIENCE_MISMATCH' });
    // The second verification of the active token is answered from the introspection cache: no request.
    expect((await verifier.verifyToken(active, a.cert)).ok).toBe(true);

    const posts = spansNamed(otel, 'POST');
    expect(posts.map((span) => span.attributes['certbound.introspection.outcome'])).toEqual(['active', 'inactive', 'refused']);
    // The endpoint answered: a refusal of its answer is no error of the HTTP exchange.
    expect(posts.map((span) => span.attributes['error.type'])).toEqual([undefined, undefined, undefined]);
    expect(posts[0]?.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.full': as.url, 'server.address': '127.0.0.1', 'http.response.status_code': 200 });
    expect(posts[0]?.kind).toBe(2);
    expect(await otel.sum('certbound.introspection.requests', { 'certbound.introspection.outcome': 'active' })).toBe(1);
    expect(await otel.sum('certbound.introspection.requests', { 'certbound.introspection.outcome': 'inactive', 'error.type': 'ERR_TOKEN_INACTIVE' })).toBe(1);
    expect(await otel.sum('certbound.introspection.requests', { 'certbound.introspection.outcome': 'refused', 'error.type': 'ERR_AUDIENCE_MISMATCH' })).toBe(1);
  });

  it('counts an unreachable endpoint as unavailable, with the HTTP status as the error type', async () => {
    as.setMode('error');
    try {
      const { verifier, otel } = introspecting();
      expect(await verifier.verifyToken(`opaque-down-${'z'.repeat(24)}`, a.cert)).toMatchObject({ ok: false, code: 'ERR_INTROSPECTION_UNAVAILABLE' });
      expect(spansNamed(otel, 'POST')[0]?.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500', 'certbound.introspection.outcome': 'unavailable' });
      expect(await otel.sum('certbound.introspection.requests', { 'certbound.introspection.outcome': 'unavailable' })).toBe(1);
    } finally {
      as.setMode('ok');
    }
  });
});

describe('the telemetry option', () => {
  it('uses the global providers by default, picks up a tracer registered later, and false records nothing', async () => {
    const otel = createTestTelemetry();
    everyTelemetry.push(otel);
    const create = (options: Partial<VerifierOptions> = {}): Verifier => {
      const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: staticKeys(jwksOf(key)), currentTime: () => NOW * 1000, ...options });
      verifiers.push(verifier);
      return verifier;
    };
    const token = await boundToken();
    const early = create();
    try {
      expect((await early.verifyToken(token, a.cert)).ok).toBe(true);
      expect(otel.spans()).toEqual([]);
      otelTrace.setGlobalTracerProvider(otel.tracerProvider);
      otelMetrics.setGlobalMeterProvider(otel.meterProvider);
      expect((await early.verifyToken(token, a.cert)).ok).toBe(true);
      expect(spansNamed(otel, 'certbound.verify')).toHaveLength(1);

      const off = create({ telemetry: false });
      expect(off.options.telemetry).toBe(false);
      expect((await off.verifyToken(token, a.cert)).ok).toBe(true);
      expect(spansNamed(otel, 'certbound.verify')).toHaveLength(1);
      expect(await otel.sum('certbound.verifications')).toBe(0);

      // Instruments are made when the verifier is: one created after the SDK registered counts.
      expect((await create().verifyToken(token, a.cert)).ok).toBe(true);
      expect(await otel.sum('certbound.verifications', { 'certbound.verification.outcome': 'accepted' })).toBe(1);
      expect(spansNamed(otel, 'certbound.verify')).toHaveLength(2);
    } finally {
      otelTrace.disable();
      otelMetrics.disable();
    }
  });

  it('a provider that throws changes no decision: JWKS fetch, cache, introspection and refusals work as without it', async () => {
    const boom = (): never => {
      throw new Error('telemetry backend down');
    };
    const meter = { createCounter: () => ({ add: boom }), createHistogram: () => ({ record: boom }), createObservableGauge: () => ({}), createObservableCounter: () => ({}), addBatchObservableCallback: boom, removeBatchObservableCallback: boom };
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      keys: remoteKeys({ uri: jwks.url, ca: pki.ca.cert }),
      introspection: introspection({ endpoint: as.url, clientId: 'orders-api', clientAuth: 'client_secret_basic', clientSecret: SECRET, tls: { ca: pki.ca.cert } }),
      currentTime: () => NOW * 1000,
      telemetry: { tracerProvider: { getTracer: () => ({ startSpan: boom }) }, meterProvider: { getMeter: () => meter } },
    });
    verifiers.push(verifier);
    const token = await boundToken();
    const opaque = `opaque-hostile-${'w'.repeat(24)}`;
    secrets.push(opaque);
    as.setToken(opaque, claimsAt({ active: true, token_type: 'Bearer', cnf: { 'x5t#S256': a.thumbprint } }));
    expect((await verifier.verifyToken(token, a.cert)).ok).toBe(true);
    expect((await verifier.verifyToken(token, a.cert)).ok).toBe(true);
    expect(await verifier.verifyToken(token, b.cert)).toMatchObject({ ok: false, code: 'ERR_BINDING_MISMATCH' });
    expect((await verifier.verifyToken(opaque, a.cert)).ok).toBe(true);
    expect(await verifier.verifyRequest({ headers: {} })).toMatchObject({ ok: false, code: 'ERR_NO_CREDENTIALS' });
    await expect(verifier.close()).resolves.toBeUndefined();
  });

  it.each([
    ['yes', 'telemetry'],
    [null, 'telemetry'],
    [{ tracerProvider: {} }, 'telemetry.tracerProvider'],
    [{ meterProvider: { getTracer: () => undefined } }, 'telemetry.meterProvider'],
    [{ exporter: 'otlp' }, 'telemetry.exporter'],
  ])('refuses %j at creation, naming %s', (value, field) => {
    const create = () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], keys: staticKeys(jwksOf(key)), telemetry: value as never });
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(expect.objectContaining({ field }));
  });

  it('without @opentelemetry/api installed, the verifier loads and verifies (a child that cannot resolve it)', async () => {
    const otel = new URL('../src/telemetry/otel.ts', import.meta.url).href;
    const index = new URL('../src/index.ts', import.meta.url).href;
    const script = `
      const { otelApi } = await import(${JSON.stringify(otel)});
      const { createVerifier, staticKeys } = await import(${JSON.stringify(index)});
      const verifier = createVerifier({ issuer: 'https://issuer.example', audience: 'api://x', algorithms: ['ES256'],
        keys: staticKeys({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k' }] }) });
      const result = await verifier.verifyRequest({ headers: {} });
      process.stdout.write(JSON.stringify({ api: otelApi !== null, code: result.code }));`;
    const stdout = await runWithoutOtelApi(script);
    expect(JSON.parse(stdout)).toEqual({ api: false, code: 'ERR_NO_CREDENTIALS' });
  });
});

describe('what is exported', () => {
  it('carries no token, key or certificate in any span or metric attribute, event or name', async () => {
    const search = await searchExported(everyTelemetry, secrets);
    expect(search.texts).toBeGreaterThan(100);
    expect(search.forms).toBeGreaterThan(20);
    expect(search.found).toBeUndefined();
  });
});
