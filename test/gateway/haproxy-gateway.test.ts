// The gateway behind a real HAProxy (examples/haproxy/haproxy.cfg.gateway with certbound-auth.lua), with the cases
// every proxy shares (proxy-suite.ts). A missing haproxy fails the suite unless CERTBOUND_SKIP_PROXY_TESTS=1 outside CI.
import { fileURLToPath } from 'node:url';
import { base64Der, describeAppBehind, describeGatewayBehind } from './proxy-suite.js';

describeGatewayBehind({
  proxy: 'haproxy',
  template: fileURLToPath(new URL('../../examples/haproxy/haproxy.cfg.gateway', import.meta.url)),
  values: { LUA_SCRIPT: fileURLToPath(new URL('../../examples/haproxy/certbound-auth.lua', import.meta.url)) },
  certificate: { format: 'base64-der', header: 'x-ssl-client-der' },
  endpoint: { path: '/auth/haproxy', originalUriHeader: 'x-forwarded-uri' },
  encodeCertificate: base64Der,
  // certbound-auth.lua cannot reach the gateway: the configuration answers 503.
  gatewayDownStatus: 503,
});

for (const certificate of [{ format: 'rfc9440', header: 'client-cert' }, { format: 'base64-der', header: 'x-ssl-client-der' }] as const) {
  describeAppBehind({
    proxy: 'haproxy',
    template: fileURLToPath(new URL('../../examples/haproxy/haproxy.cfg', import.meta.url)),
    certificate,
    encodeCertificate: (pem) => (certificate.format === 'rfc9440' ? `:${base64Der(pem)}:` : base64Der(pem)),
    appDownStatus: 503,
  });
}
