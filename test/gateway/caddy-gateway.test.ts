// The gateway behind a real Caddy (examples/caddy/Caddyfile.gateway, forward_auth), with the cases every proxy
// shares (proxy-suite.ts). A missing caddy fails the suite unless CERTBOUND_SKIP_PROXY_TESTS=1 outside CI.
import { fileURLToPath } from 'node:url';
import { base64Der, describeAppBehind, describeGatewayBehind } from './proxy-suite.js';

describeGatewayBehind({
  proxy: 'caddy',
  template: fileURLToPath(new URL('../../examples/caddy/Caddyfile.gateway', import.meta.url)),
  certificate: { format: 'base64-der', header: 'x-ssl-client-der' },
  endpoint: { path: '/auth/caddy', originalUriHeader: 'x-forwarded-uri' },
  encodeCertificate: base64Der,
  // forward_auth cannot reach the gateway: 502 Bad Gateway.
  gatewayDownStatus: 502,
});

describeAppBehind({
  proxy: 'caddy',
  template: fileURLToPath(new URL('../../examples/caddy/Caddyfile', import.meta.url)),
  certificate: { format: 'rfc9440', header: 'client-cert' },
  encodeCertificate: (pem) => `:${base64Der(pem)}:`,
  appDownStatus: 502,
});
