import { alternate, type Variant } from '../lib/alternate.js';
import { installedVersion } from '../lib/machine.js';
import { expectStatus } from '../lib/probe.js';
import { HELLO_PATH } from '../server/spec.js';
import type { Scenario } from './context.js';
import { benchVerifier, clientCert, loadVariant, serverTls } from './shared.js';

/**
 * Scenario 3: the only Node peer that checks `x5t#S256` — Express + express-oauth2-jwt-bearer with mTLS binding
 * required — against the Express adapter, same RS256 token, same certificate, same route.
 */
export const peerScenario: Scenario = {
  name: 'peer',
  title: 'Express: certbound vs express-oauth2-jwt-bearer (mTLS required)',
  async run(context, recorder) {
    const { fixtures, settings } = context;
    const tls = serverTls(fixtures);
    const cert = clientCert(fixtures);
    const verifier = benchVerifier(fixtures, ['RS256']);
    const token = fixtures.warmToken.RS256;

    const peer = await recorder.server('peer', { kind: 'peer', tls, verifier, tokenSigningAlg: 'RS256' });
    const adapter = await recorder.server('adapter', { kind: 'adapter', framework: 'express', tls, verifier });
    const bare = settings.peerWithBare ? await recorder.server('bare', { kind: 'bare', framework: 'express', tls }) : undefined;

    // Both sides must enforce the binding, or the comparison is meaningless.
    const probeOptions = { clientCert: cert, ca: fixtures.pki.ca.cert, headers: { authorization: `Bearer ${token}` } };
    const stolen = { clientCert: clientCert(fixtures, 'client-b'), ca: fixtures.pki.ca.cert, headers: { authorization: `Bearer ${token}` } };
    for (const [label, url] of [
      ['express-oauth2-jwt-bearer', peer.ready.url],
      ['certbound Express adapter', adapter.ready.url],
    ] as const) {
      await expectStatus(`${label} with the bound token`, 200, url, HELLO_PATH, probeOptions);
      await expectStatus(`${label} with the token on another certificate`, 401, url, HELLO_PATH, stolen);
      await expectStatus(`${label} without a token`, 401, url, HELLO_PATH, { clientCert: cert, ca: fixtures.pki.ca.cert });
    }

    const headers = { authorization: `Bearer ${token}` };
    const variants: Variant[] = [
      loadVariant('peer', 'express-oauth2-jwt-bearer', context, { url: peer.ready.url, path: HELLO_PATH, headers, clientCert: cert, server: peer }),
      loadVariant('adapter', 'certbound Express', context, { url: adapter.ready.url, path: HELLO_PATH, headers, clientCert: cert, server: adapter }),
    ];
    if (bare !== undefined) variants.push(loadVariant('bare', 'bare Express', context, { url: bare.ready.url, path: HELLO_PATH, headers, clientCert: cert, server: bare }));

    const samples = await alternate(variants, { scope: 'peer', rounds: settings.rounds, roundSeconds: settings.roundSeconds, warmupSeconds: settings.warmupSeconds });
    recorder.variantFigures('peer', variants, samples);
    recorder.compare(samples, {
      id: 'peer.adapter-vs-peer',
      label: 'certbound Express ÷ peer',
      candidate: 'adapter',
      baseline: 'peer',
      names: ['certbound Express adapter', 'Express + express-oauth2-jwt-bearer (RS256, same token)'],
      rateTarget: { id: 2, threshold: 2, direction: '>=' },
    });
    if (bare !== undefined) {
      recorder.compare(samples, { id: 'peer.peer-vs-bare', label: 'peer ÷ bare Express', candidate: 'peer', baseline: 'bare', names: ['express-oauth2-jwt-bearer', 'bare Express (reference throughput ratio: 0.39)'] });
    }
    recorder.note(
      `Peer: express-oauth2-jwt-bearer ${installedVersion('express-oauth2-jwt-bearer')} with its built-in RFC 8705 check, \`mtls: { enabled: true, required: true }\`, \`getCertificate: req => req.socket.getPeerCertificate(false).raw\` (the library hashes it and compares with cnf["x5t#S256"] itself — nothing wrapped around it), \`publicKey\` = the same static JWKS, \`tokenSigningAlg: 'RS256'\`, \`strict: true\` (typ at+jwt and iat required, like certbound). Probed first: bound token → 200, same token on client-b → 401, no token → 401, for both.`,
    );
  },
};
