// OpenTelemetry for token requests (docs/observability.md), against the local authority (@certbound/authority)
// over real mTLS: a span per request named by its flow — the vanilla flow, or Leg 1 and Leg 2 of the FIC two-leg
// flow — and counters by flow and outcome, read back through the SDK's in-memory exporters.
import { startAuthority, type RunningAuthority } from '@certbound/authority';
import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTelemetry, runWithoutOtelApi, searchExported, type TestTelemetry } from '../../../test/support/otel.js';
import { createConfidentialClient, type ConfidentialClient, type ConfidentialClientOptions } from '../src/index.js';
import { flowOf } from '../src/telemetry.js';

const TENANT = '5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f';
const ORDERS = 'api://orders';
const EXCHANGE = 'api://AzureADTokenExchange/.default';
const APP = { clientId: '1a1a1a1a-0000-4000-8000-00000000001a', objectId: '1a1a1a1a-1111-4111-8111-00000000001a' };
const FEDERATED = { clientId: '1b1b1b1b-0000-4000-8000-00000000001b', objectId: '1b1b1b1b-1111-4111-8111-00000000001b' };
const GENERIC = { clientId: '1c1c1c1c-0000-4000-8000-00000000001c', objectId: '1c1c1c1c-1111-4111-8111-00000000001c' };

let pki: DevPki;
let authority: RunningAuthority;
const clients: ConfidentialClient[] = [];
const telemetries: TestTelemetry[] = [];
/** Every token, key and certificate of the run: the last test searches all exported telemetry for them. */
const secrets: (string | Uint8Array)[] = [];

beforeAll(async () => {
  pki = await createDevPki({ clients: ['client-a', 'client-b'] });
  for (const issued of [pki.clients['client-a']!, pki.clients['client-b']!, pki.server]) secrets.push(issued.cert, issued.key, issued.der, issued.thumbprint);
  authority = await startAuthority({
    tls: { cert: pki.server.cert, key: pki.server.key },
    config: {
      tenants: [{ id: TENANT }],
      resources: [{ identifier: ORDERS, appRoles: ['Orders.Read'] }],
      apps: [
        { ...APP, tenant: TENANT, certificates: [{ authMethod: 'self_signed_tls_client_auth', pem: pki.clients['client-a']!.cert }], grants: { [ORDERS]: ['Orders.Read'] } },
        { ...FEDERATED, tenant: TENANT, grants: { [ORDERS]: ['Orders.Read'] }, federatedCredentials: [{ issuer: 'self', subject: APP.objectId, audience: 'api://AzureADTokenExchange' }] },
        { ...GENERIC, tenant: TENANT, boundTokens: 'always', certificates: [{ authMethod: 'self_signed_tls_client_auth', thumbprint: pki.clients['client-a']!.thumbprint }], grants: { [ORDERS]: ['Orders.Read'] } },
      ],
    },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await authority?.close();
  await Promise.all(telemetries.map((telemetry) => telemetry.shutdown()));
});

function observedClient(options: Pick<ConfidentialClientOptions, 'clientId' | 'credential'> & Partial<ConfidentialClientOptions>, otel: TestTelemetry): ConfidentialClient {
  const client = createConfidentialClient({
    authority: `https://login.microsoftonline.com/${TENANT}`,
    azureRegion: false,
    ca: pki.ca.cert,
    hostOverrides: { 'mtlsauth.microsoft.com': authority.url, 'login.microsoftonline.com': authority.url },
    telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    ...options,
  });
  clients.push(client);
  return client;
}

function telemetry(): TestTelemetry {
  const otel = createTestTelemetry();
  telemetries.push(otel);
  return otel;
}

const appCertificate = () => ({ certificate: pki.clients['client-a']!.cert, privateKey: pki.clients['client-a']!.key });

describe('token request spans and metrics', () => {
  it('the vanilla flow: one span named for the flow, with the server it went to and the status, and no legs', async () => {
    const otel = telemetry();
    const client = observedClient({ clientId: APP.clientId, credential: appCertificate() }, otel);
    const result = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    secrets.push(result.accessToken);
    // A cache hit sends nothing: no second span, no second count.
    expect((await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true })).source).toBe('cache');

    const spans = otel.spans();
    expect(spans.map((span) => span.name)).toEqual(['token request (vanilla flow)']);
    expect(spans[0]!.kind).toBe(2); // SpanKind.CLIENT
    expect(spans[0]!.attributes).toEqual({
      'certbound.client.flow': 'vanilla',
      'certbound.client.token_type': 'mtls_pop',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(authority.url).port),
      'http.response.status_code': 200,
    });
    expect(spans[0]!.instrumentationScope.name).toBe('@certbound/client');
    expect(await otel.sum('certbound.client.token_requests', { 'certbound.client.flow': 'vanilla', 'certbound.client.outcome': 'success' })).toBe(1);
    expect(await otel.sum('certbound.client.token_request.duration', { 'certbound.client.flow': 'vanilla' })).toBe(1);
  });

  it('the FIC two-leg flow: a "FIC Leg 1" span for the exchange token, then a "FIC Leg 2" span for the resource', async () => {
    const otel = telemetry();
    const leg1Client = observedClient({ clientId: APP.clientId, credential: appCertificate() }, otel);
    const leg2Client = observedClient(
      {
        clientId: FEDERATED.clientId,
        credential: {
          clientAssertion: async () => {
            const leg1 = await leg1Client.acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });
            secrets.push(leg1.accessToken);
            return { assertion: leg1.accessToken, tokenBindingCertificate: leg1.bindingCertificate! };
          },
        },
      },
      otel,
    );
    const leg2 = await leg2Client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    secrets.push(leg2.accessToken);
    expect(leg2.tokenType).toBe('mtls_pop');

    const spans = otel.spans();
    expect(spans.map((span) => span.name)).toEqual(['token request (FIC Leg 1)', 'token request (FIC Leg 2)']);
    expect(spans.map((span) => span.attributes['certbound.client.flow'])).toEqual(['fic_leg_1', 'fic_leg_2']);
    expect(spans.every((span) => span.attributes['http.response.status_code'] === 200)).toBe(true);
    expect(await otel.sum('certbound.client.token_requests', { 'certbound.client.flow': 'fic_leg_1', 'certbound.client.outcome': 'success' })).toBe(1);
    expect(await otel.sum('certbound.client.token_requests', { 'certbound.client.flow': 'fic_leg_2', 'certbound.client.outcome': 'success' })).toBe(1);
  });

  it('a Bearer request with a signed assertion is "client credentials"; a generic RFC 8705 server\'s request is "RFC 8705"', async () => {
    const otel = telemetry();
    const bearer = await observedClient({ clientId: APP.clientId, credential: appCertificate() }, otel).acquireTokenForClient({ scopes: [`${ORDERS}/.default`] });
    const generic = createConfidentialClient({
      clientId: GENERIC.clientId,
      authorityType: 'rfc8705',
      authority: authority.issuer(TENANT),
      credential: appCertificate(),
      ca: pki.ca.cert,
      telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    });
    clients.push(generic);
    const bound = await generic.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    secrets.push(bearer.accessToken, bound.accessToken);
    expect(otel.spans().map((span) => [span.name, span.attributes['certbound.client.token_type']])).toEqual([
      ['token request (client credentials)', 'bearer'],
      ['token request (RFC 8705)', 'mtls_pop'],
    ]);
  });

  it('a refused Leg 2 (certificate other than Leg 1 was bound to) is a failure with its error code and HTTP status', async () => {
    const otel = telemetry();
    const leg1 = await observedClient({ clientId: APP.clientId, credential: appCertificate() }, otel).acquireTokenForClient({ scopes: [EXCHANGE], mtlsProofOfPossession: true });
    secrets.push(leg1.accessToken);
    const other = { certificate: pki.clients['client-b']!.cert, privateKey: pki.clients['client-b']!.key };
    const leg2Client = observedClient({ clientId: FEDERATED.clientId, credential: { clientAssertion: () => ({ assertion: leg1.accessToken, tokenBindingCertificate: other }) } }, otel);
    await expect(leg2Client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true })).rejects.toMatchObject({ code: 'ERR_CLIENT_OAUTH_ERROR' });

    const failed = otel.spans().find((span) => span.name === 'token request (FIC Leg 2)');
    expect(failed?.attributes['error.type']).toBe('ERR_CLIENT_OAUTH_ERROR');
    expect(failed?.attributes['http.response.status_code']).toBeGreaterThanOrEqual(400);
    expect(failed?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(await otel.sum('certbound.client.token_requests', { 'certbound.client.flow': 'fic_leg_2', 'certbound.client.outcome': 'failure', 'error.type': 'ERR_CLIENT_OAUTH_ERROR' })).toBe(1);
  });
});

describe('flowOf', () => {
  it.each([
    [{ rfc8705: false, assertion: false, mtls: true, scopes: ['api://orders/.default'] }, 'vanilla'],
    [{ rfc8705: false, assertion: false, mtls: true, scopes: ['api://AzureADTokenExchangeUSGov/.default'] }, 'fic_leg_1'],
    [{ rfc8705: false, assertion: true, mtls: false, scopes: ['api://orders/.default'] }, 'fic_leg_2'],
    [{ rfc8705: false, assertion: false, mtls: false, scopes: ['api://orders/.default'] }, 'client_credentials'],
    [{ rfc8705: true, assertion: false, mtls: true, scopes: [EXCHANGE] }, 'rfc8705'],
  ])('names %j %s', (request, flow) => {
    expect(flowOf(request)).toBe(flow);
  });
});

describe('the telemetry option', () => {
  it('false records nothing and the token still comes', async () => {
    const otel = telemetry();
    const client = observedClient({ clientId: APP.clientId, credential: appCertificate(), telemetry: false }, otel);
    const result = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true });
    secrets.push(result.accessToken);
    expect(otel.spans()).toEqual([]);
    expect(await otel.sum('certbound.client.token_requests')).toBe(0);
  });

  it('a provider that throws does not fail the token request', async () => {
    const boom = (): never => {
      throw new Error('telemetry backend down');
    };
    const otel = telemetry();
    const client = observedClient(
      {
        clientId: APP.clientId,
        credential: appCertificate(),
        telemetry: { tracerProvider: { getTracer: () => ({ startSpan: boom }) }, meterProvider: { getMeter: () => ({ createCounter: () => ({ add: boom }), createHistogram: boom }) } },
      },
      otel,
    );
    const result = await client.acquireTokenForClient({ scopes: [`${ORDERS}/.default`], mtlsProofOfPossession: true, forceRefresh: true });
    secrets.push(result.accessToken);
    expect(result.tokenType).toBe('mtls_pop');
  });

  it.each([
    ['on', /telemetry must be false or/],
    [{ tracerProvider: {} }, /telemetry\.tracerProvider must be an OpenTelemetry provider/],
    [{ exporter: 'otlp' }, /Unknown telemetry option "exporter"/],
  ])('refuses %j with a TypeError at creation', (value, message) => {
    expect(() => createConfidentialClient({ clientId: APP.clientId, authority: `https://login.microsoftonline.com/${TENANT}`, credential: appCertificate(), telemetry: value as never })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
    );
  });

  it('without @opentelemetry/api installed, the client loads and works (a child that cannot resolve it)', async () => {
    const index = new URL('../src/index.ts', import.meta.url).href;
    const script = `
      const { createConfidentialClient } = await import(${JSON.stringify(index)});
      const client = createConfidentialClient({ clientId: 'app', authority: 'https://login.microsoftonline.com/${TENANT}', credential: { clientSecret: 'not-a-real-secret' } });
      const error = await client.acquireTokenForClient({ scopes: ['api://x/.default'], mtlsProofOfPossession: true }).catch((e) => e);
      await client.close();
      process.stdout.write(JSON.stringify({ code: error.code }));`;
    const stdout = await runWithoutOtelApi(script);
    expect(JSON.parse(stdout)).toEqual({ code: 'ERR_CLIENT_CERTIFICATE_REQUIRED' });
  });
});

describe('what is exported', () => {
  it('carries no token, key or certificate in any span or metric attribute, event or name', async () => {
    const search = await searchExported(telemetries, secrets);
    expect(search.texts).toBeGreaterThan(50);
    expect(search.forms).toBeGreaterThan(20);
    expect(search.found).toBeUndefined();
  });
});
