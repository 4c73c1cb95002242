import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { certbound, requireScopes } from '@certbound/fastify';
import { remoteKeys } from '@certbound/core';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const jwksCa = process.env['JWKS_CA']; // only for a private authority

const app = Fastify({
  https: {
    cert: readFileSync(env('TLS_CERT', 'server.crt')),
    key: readFileSync(env('TLS_KEY', 'server.key')),
    requestCert: true, // ask every client for the certificate its tokens are bound to
    rejectUnauthorized: false, // RFC 8705 §6.2: self-signed client certificates are fine, the binding decides
  },
});

app.get('/healthz', async () => ({ status: 'ok' }));

// Routes registered in this context need a valid access token bound to the TLS client certificate (RFC 8705).
await app.register(async (api) => {
  await api.register(certbound, {
    verifier: {
      issuer: env('ISSUER', 'https://login.microsoftonline.com/{tenantid}/v2.0'),
      audience: env('AUDIENCE', 'api://my-api'),
      algorithms: ['RS256', 'ES256'],
      tokenTypes: ['at+jwt', 'application/at+jwt', 'JWT'],
      keys: remoteKeys({
        uri: env('JWKS_URI', 'https://login.microsoftonline.com/common/discovery/v2.0/keys'),
        ...(jwksCa ? { ca: readFileSync(jwksCa, 'utf8') } : {}),
      }),
    },
  });
  api.get('/orders', { preHandler: requireScopes('api.read') }, async (request) => ({
    subject: request.auth?.claims.sub,
    thumbprint: request.auth?.thumbprint,
  }));
});

const url = await app.listen({ host: '127.0.0.1', port: Number(env('PORT', '8443')) });
console.log(`listening on ${url}`);
process.once('SIGTERM', () => void app.close());
