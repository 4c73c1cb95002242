// Start real gateways on 127.0.0.1 for the tests, and send them real HTTP requests (undici).
import { tmpdir } from 'node:os';
import { Agent, request } from 'undici';
import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { parseGatewayConfig, startGateway, type Gateway, type StartGatewayOptions } from '../../src/index.js';
import { AUDIENCE, createTestTokens, ISSUER, type TestTokens } from './tokens.js';

export interface TestSetup {
  readonly pki: DevPki;
  readonly tokens: TestTokens;
}

export async function createTestSetup(): Promise<TestSetup> {
  return { pki: await createDevPki(), tokens: createTestTokens() };
}

/** A docs/configuration.md document for a gateway behind a proxy on 127.0.0.1, with `changes` merged on top. */
export function gatewayDocument(setup: TestSetup, certificateSource: Record<string, unknown>, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: setup.tokens.jwks,
    algorithms: ['ES256'],
    binding: 'required',
    certificateSource: { type: 'header', trustedProxies: ['127.0.0.1/32'], ...certificateSource },
    ...changes,
  };
}

export function startTestGateway(document: Record<string, unknown>, options: StartGatewayOptions = {}): Promise<Gateway> {
  return startGateway(parseGatewayConfig(document, tmpdir()), { logLevel: 'silent', processMetrics: false, ...options });
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** One header's value (first of several). */
  header(name: string): string | undefined;
}

/**
 * Send one request. `headers` is a list of [name, value] pairs sent as given (order and duplicates kept), the way
 * a proxy's recorded request looks on the wire. `localAddress` picks the source address (127.0.0.2 = untrusted).
 */
export async function send(
  url: string,
  init: { method?: string; headers?: ReadonlyArray<readonly [string, string]>; localAddress?: string; body?: string } = {},
): Promise<Reply> {
  const dispatcher = new Agent(init.localAddress === undefined ? {} : { localAddress: init.localAddress });
  try {
    const response = await request(url, {
      dispatcher,
      method: (init.method ?? 'GET') as 'GET',
      headers: (init.headers ?? []).flatMap(([name, value]) => [name, value]),
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const body = await response.body.text();
    const headers = response.headers;
    return {
      status: response.statusCode,
      headers,
      body,
      header(name) {
        const value = headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      },
    };
  } finally {
    await dispatcher.close();
  }
}

/** nginx's `$ssl_client_escaped_cert`: the PEM, URL-encoded (ngx_escape_uri, component mode). */
export function nginxEscapedPem(pem: string): string {
  return encodeURIComponent(pem);
}
