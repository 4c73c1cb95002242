import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alternate } from '../lib/alternate.js';
import { packageSourceReady } from '../lib/available.js';
import { freePort, nginxMain, startNginx, type NginxHandle } from '../lib/nginx.js';
import { expectStatus } from '../lib/probe.js';
import { progress } from '../lib/progress.js';
import { HELLO_BODY, HELLO_PATH } from '../server/spec.js';
import { ScenarioSkipped, type Scenario } from './context.js';
import { clientCert, loadVariant } from './shared.js';

/** nginx's auth_request endpoint of the gateway (packages/gateway/src/start-gateway.ts). */
const AUTH_PATH = '/auth/nginx';
const CERT_HEADER = 'x-ssl-client-cert';

/**
 * Scenario 4: the gateway as an auth service. (a) Straight at it — the request nginx's auth_request would send
 * (Authorization + the URL-encoded client certificate in `x-ssl-client-cert`, from 127.0.0.1, a trusted proxy) —
 * against a bare node:http server answering 200 to the same request. (b) Through nginx over mTLS: nginx →
 * gateway (auth_request) → upstream, against nginx → upstream, one nginx worker serving both on two ports.
 */
export const gatewayScenario: Scenario = {
  name: 'gateway',
  title: 'Gateway: auth service and behind nginx',
  async run(context, recorder) {
    if (!packageSourceReady('packages/gateway')) throw new ScenarioSkipped('@certbound/gateway has no src/index.ts yet');
    const { fixtures, settings } = context;
    const token = fixtures.warmToken.RS256;
    const cert = clientCert(fixtures);
    const gatewayConfig = {
      listen: { host: '127.0.0.1', port: 0 },
      issuer: fixtures.issuer,
      audience: fixtures.audience,
      jwks: { keys: [fixtures.keys.RS256.publicJwk] },
      algorithms: ['RS256'],
      certificateSource: { type: 'header', format: 'nginx', header: CERT_HEADER, trustedProxies: ['127.0.0.1/32'] },
    };
    const configFile = join(fixtures.dir, 'gateway.json');
    await writeFile(configFile, JSON.stringify(gatewayConfig, null, 2));

    const gateway = await recorder.server('gateway', { kind: 'gateway', configFile });
    const bare = await recorder.server('http-200', { kind: 'http-200' });
    const forwarded = { authorization: `Bearer ${token}`, [CERT_HEADER]: encodeURIComponent(fixtures.pki.clients['client-a']!.cert) };
    const stolen = { authorization: `Bearer ${token}`, [CERT_HEADER]: encodeURIComponent(fixtures.pki.clients['client-b']!.cert) };
    await expectStatus('gateway, bound token + matching forwarded certificate', 200, gateway.ready.url, AUTH_PATH, { headers: forwarded });
    await expectStatus('gateway, token + another forwarded certificate', 401, gateway.ready.url, AUTH_PATH, { headers: stolen });
    await expectStatus('gateway, no token', 401, gateway.ready.url, AUTH_PATH, { headers: { [CERT_HEADER]: forwarded[CERT_HEADER] } });

    const directVariants = [
        loadVariant('bare', 'bare node:http 200 (plain HTTP)', context, { url: bare.ready.url, path: AUTH_PATH, headers: forwarded, server: bare }),
        loadVariant('gateway', `gateway ${AUTH_PATH} (plain HTTP, forwarded certificate)`, context, { url: gateway.ready.url, path: AUTH_PATH, headers: forwarded, server: gateway }),
    ];
    const direct = await alternate(directVariants, { scope: 'gateway', rounds: settings.rounds, roundSeconds: settings.roundSeconds, warmupSeconds: settings.warmupSeconds });
    recorder.variantFigures('gateway', directVariants, direct);
    recorder.compare(direct, {
      id: 'gateway.vs-bare',
      label: 'gateway ÷ bare node:http',
      candidate: 'gateway',
      baseline: 'bare',
      names: [`gateway ${AUTH_PATH}`, 'node:http answering 200, same headers'],
      rateTarget: { id: 5, threshold: 0.85, direction: '>=' },
    });
    recorder.note(
      `Direct: both servers get the same request (GET ${AUTH_PATH}, Authorization: Bearer <RS256 token>, ${CERT_HEADER}: URL-encoded PEM of client-a as nginx's $ssl_client_escaped_cert), ${settings.connections} keep-alive connections from 127.0.0.1 (a trusted proxy in the gateway's config). The gateway runs with its defaults (Prometheus metrics on), logger silenced. Server CPU per request: each server process's own CPU time (process.cpuUsage()) across a round ÷ the responses counted in it.`,
    );

    if (!existsSync(context.nginxBinary)) {
      recorder.note(`nginx → gateway → upstream not measured: no nginx at ${context.nginxBinary} (Debian: apt-get install nginx-light).`);
      return;
    }
    const upstream = await recorder.server('upstream', { kind: 'http-200', body: HELLO_BODY });
    // A second gateway that lets nginx cache accepted decisions (X-Accel-Expires), for the cached server block.
    const cachedConfigFile = join(fixtures.dir, 'gateway-cached.json');
    await writeFile(cachedConfigFile, JSON.stringify({ ...gatewayConfig, gateway: { authCacheSeconds: 30 } }, null, 2));
    const cachedGateway = await recorder.server('gateway-cached', { kind: 'gateway', configFile: cachedConfigFile });
    const prefix = join(fixtures.dir, 'nginx');
    await mkdir(prefix, { recursive: true });
    const [directPort, gatedPort, cachedPort] = [await freePort(), await freePort(), await freePort()];
    const files = fixtures.files;
    type Auth = 'none' | 'gateway' | 'cached';
    const location = (auth: Auth) => `
    location / {
${auth === 'none' ? '' : '      auth_request /_certbound;\n'}      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header ${CERT_HEADER} "";
    }`;
    // The cache lines of examples/nginx-gateway/nginx.conf.template's auth location.
    const cacheLines = `
      proxy_cache certbound_auth;
      proxy_cache_key "$http_authorization|$ssl_client_escaped_cert";
      proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;`;
    const tlsServer = (port: number, auth: Auth) => `
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${files.serverCert};
    ssl_certificate_key ${files.serverKey};
    ssl_client_certificate ${files.caCert};
    ssl_verify_client optional_no_ca;
${
  auth === 'none'
    ? ''
    : `    location = /_certbound {
      internal;
      proxy_pass http://${auth === 'cached' ? 'certbound_cached' : 'certbound'}${AUTH_PATH};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header ${CERT_HEADER} $ssl_client_escaped_cert;${auth === 'cached' ? cacheLines : ''}
    }`
}${location(auth)}
  }`;
    const config = nginxMain(
      prefix,
      `  upstream app { server 127.0.0.1:${upstream.ready.port}; keepalive 64; }
  upstream certbound { server 127.0.0.1:${gateway.ready.port}; keepalive 64; }
  upstream certbound_cached { server 127.0.0.1:${cachedGateway.ready.port}; keepalive 64; }
  proxy_cache_path ${join(prefix, 'tmp', 'auth_cache')} levels=1:2 keys_zone=certbound_auth:10m max_size=64m inactive=10m use_temp_path=off;
${tlsServer(directPort!, 'none')}
${tlsServer(gatedPort!, 'gateway')}
${tlsServer(cachedPort!, 'cached')}`,
    );
    let nginx: NginxHandle | undefined;
    try {
      nginx = await startNginx(context.nginxBinary, prefix, config, [directPort!, gatedPort!, cachedPort!], context.placement);
      progress('gateway', `nginx on ${directPort} (→ upstream), ${gatedPort} (auth_request → gateway → upstream) and ${cachedPort} (the same with the auth cache)`);
      const nginxUrl = (port: number) => `https://127.0.0.1:${port}`;
      const probe = { clientCert: cert, ca: fixtures.pki.ca.cert };
      await expectStatus('nginx → gateway → upstream, bound token', 200, nginxUrl(gatedPort!), HELLO_PATH, { ...probe, headers: { authorization: `Bearer ${token}` } });
      await expectStatus('nginx → gateway → upstream, token on another certificate', 401, nginxUrl(gatedPort!), HELLO_PATH, {
        clientCert: clientCert(fixtures, 'client-b'),
        ca: fixtures.pki.ca.cert,
        headers: { authorization: `Bearer ${token}` },
      });
      await expectStatus('nginx → upstream', 200, nginxUrl(directPort!), HELLO_PATH, { ...probe, headers: { authorization: `Bearer ${token}` } });
      await expectStatus('nginx (auth cache) → gateway → upstream, bound token', 200, nginxUrl(cachedPort!), HELLO_PATH, { ...probe, headers: { authorization: `Bearer ${token}` } });
      await expectStatus('nginx (auth cache) → gateway → upstream, token on another certificate', 401, nginxUrl(cachedPort!), HELLO_PATH, {
        clientCert: clientCert(fixtures, 'client-b'),
        ca: fixtures.pki.ca.cert,
        headers: { authorization: `Bearer ${token}` },
      });
      const headers = { authorization: `Bearer ${token}` };
      const proxied = await alternate(
        [
          loadVariant('nginx', 'nginx → upstream', context, { url: nginxUrl(directPort!), path: HELLO_PATH, headers, clientCert: cert }),
          loadVariant('nginx-gateway', 'nginx → gateway → upstream', context, { url: nginxUrl(gatedPort!), path: HELLO_PATH, headers, clientCert: cert }),
          loadVariant('nginx-gateway-cached', 'nginx (auth cache) → gateway → upstream', context, { url: nginxUrl(cachedPort!), path: HELLO_PATH, headers, clientCert: cert }),
        ],
        { scope: 'gateway+nginx', rounds: settings.rounds, roundSeconds: settings.roundSeconds, warmupSeconds: settings.warmupSeconds },
      );
      recorder.figure('gateway.nginx', 'nginx → upstream (mTLS)', 'req/s', proxied.rate.get('nginx')!);
      recorder.figure('gateway.nginx-gateway', 'nginx → gateway → upstream (mTLS)', 'req/s', proxied.rate.get('nginx-gateway')!);
      recorder.figure('gateway.nginx-gateway-cached', 'nginx (auth cache) → gateway → upstream (mTLS)', 'req/s', proxied.rate.get('nginx-gateway-cached')!);
      recorder.ratio('gateway.nginx-vs-nginx', 'nginx + gateway ÷ nginx', 'nginx → gateway (auth_request) → upstream ÷ nginx → upstream', proxied.rate.get('nginx-gateway')!, proxied.rate.get('nginx')!);
      recorder.ratio(
        'gateway.nginx-cached-vs-nginx',
        'nginx + gateway, auth cache ÷ nginx',
        'nginx → gateway (auth_request, proxy_cache, gateway.authCacheSeconds 30) → upstream ÷ nginx → upstream; goal ≥ 0.8',
        proxied.rate.get('nginx-gateway-cached')!,
        proxied.rate.get('nginx')!,
      );
      recorder.note(
        `nginx: one worker process (${context.placement.pinned ? 'on the server core with the gateway and the upstream' : 'unpinned'}), TLS with the dev-PKI server certificate, ssl_verify_client optional_no_ca, keep-alive upstreams; auth_request forwards Authorization and $ssl_client_escaped_cert; the upstream is node:http answering "hello world". The auth-cache block caches accepted decisions as examples/nginx-gateway/nginx.conf.template does (key: Authorization + escaped certificate; lifetime: the gateway's X-Accel-Expires, 30 s capped by the token's exp); every request of the load reuses one token, so nearly all are cache hits. Server CPU per request is read for the direct comparison only: behind nginx the server side is three processes.`,
      );
    } finally {
      await nginx?.stop();
    }
  },
};
