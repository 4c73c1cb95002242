import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { certbound, requireScopes, type CertboundEnv } from '@certbound/hono';
import { remoteKeys } from '@certbound/core';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const jwksCa = process.env['JWKS_CA']; // only for a private authority

const app = new Hono<CertboundEnv>();

// Every request needs a valid access token bound to the TLS client certificate it arrives with (RFC 8705).
app.use(
  certbound({
    issuer: env('ISSUER', 'https://login.microsoftonline.com/{tenantid}/v2.0'),
    audience: env('AUDIENCE', 'api://my-api'),
    algorithms: ['RS256', 'ES256'],
    tokenTypes: ['at+jwt', 'application/at+jwt', 'JWT'],
    keys: remoteKeys({
      uri: env('JWKS_URI', 'https://login.microsoftonline.com/common/discovery/v2.0/keys'),
      ...(jwksCa ? { ca: readFileSync(jwksCa, 'utf8') } : {}),
    }),
  }),
);
app.get('/orders', requireScopes('api.read'), (c) => {
  const auth = c.get('certbound'); // typed by CertboundEnv
  return c.json({ subject: auth.claims.sub, thumbprint: auth.thumbprint });
});

const server = serve(
  {
    fetch: app.fetch,
    hostname: '127.0.0.1',
    port: Number(env('PORT', '8443')),
    createServer,
    serverOptions: {
      cert: readFileSync(env('TLS_CERT', 'server.crt')),
      key: readFileSync(env('TLS_KEY', 'server.key')),
      requestCert: true, // ask every client for the certificate its tokens are bound to
      rejectUnauthorized: false, // RFC 8705 §6.2: self-signed client certificates are fine, the binding decides
    },
  },
  (info) => console.log(`listening on https://127.0.0.1:${info.port}`),
);
process.once('SIGTERM', () => server.close());
