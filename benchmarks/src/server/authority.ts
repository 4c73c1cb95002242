import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { AuthorityConfig } from '@certbound/authority';
import type { RunningServer } from './frameworks.js';
import type { TlsMaterial } from './spec.js';

/**
 * @certbound/authority on 127.0.0.1 (logs off), plus a counter of requests reaching its token endpoint, read at the
 * server through Node's `http.server.request.start` diagnostics channel — so "1,000 concurrent acquisitions make
 * one token request" is counted where the requests arrive, not where the client says it sent them.
 */
export async function startAuthorityServer(tls: TlsMaterial, config: AuthorityConfig): Promise<RunningServer> {
  let tokenRequests = 0;
  subscribe('http.server.request.start', (message) => {
    const request = (message as { request?: IncomingMessage }).request;
    if (request?.method === 'POST' && request.url?.endsWith('/oauth2/v2.0/token')) tokenRequests++;
  });
  const { startAuthority } = await import('@certbound/authority');
  const authority = await startAuthority({ tls, config, logger: false });
  const tenant = config.tenants[0]!.id;
  const port = Number(new URL(authority.url).port);
  return {
    ready: { url: authority.url, port, info: { issuer: authority.issuer(tenant), jwks: authority.jwks() } },
    methods: { tokenRequests: () => tokenRequests },
    close: () => authority.close(),
  };
}
