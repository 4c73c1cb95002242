/**
 * Server child process: started by the runner (lib/child.ts), it starts one server from a ServerSpec on
 * 127.0.0.1, reports its URL, and exits when told to (or when the runner goes away).
 */
import { serveChild } from '../lib/child-runtime.js';
import { startAdapter, startSideBySide, verifierOptions } from './adapters.js';
import { startAuthorityServer } from './authority.js';
import { startExampleApi } from './example.js';
import { startBare, startEmptyMiddleware, startHttp200, type RunningServer } from './frameworks.js';
import { startGatewayServer } from './gateway.js';
import { startNest } from './nestjs.js';
import { startPeer } from './peer.js';
import type { ServerSpec } from './spec.js';

async function start(spec: ServerSpec): Promise<RunningServer> {
  switch (spec.kind) {
    case 'bare':
      return startBare(spec.framework, spec.tls);
    case 'empty-middleware':
      return startEmptyMiddleware(spec.framework, spec.tls);
    case 'adapter':
      return startAdapter(spec.framework, spec.tls, spec.verifier);
    case 'side-by-side':
      return startSideBySide(spec.framework, spec.tls, spec.verifier);
    case 'example':
      return startExampleApi(spec.framework, spec.configFile);
    case 'peer':
      return startPeer(spec.tls, spec.verifier, spec.tokenSigningAlg);
    case 'http-200':
      return startHttp200(spec.body);
    case 'gateway':
      return startGatewayServer(spec.configFile);
    case 'nest':
      return startNest(spec.platform, spec.tls, spec.verifier === undefined ? undefined : verifierOptions(spec.verifier));
    case 'authority':
      return startAuthorityServer(spec.tls, spec.config);
  }
}

serveChild(async (init) => {
  const server = await start(init as ServerSpec);
  return { ready: server.ready, ...(server.methods === undefined ? {} : { methods: server.methods }), close: () => server.close() };
});
