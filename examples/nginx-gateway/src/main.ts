// `pnpm --dir examples/nginx-gateway start`: run the example until Ctrl-C (or SIGTERM), then clean up.
import { join } from 'node:path';
import { startNginxGateway } from './start.js';

const stack = await startNginxGateway().catch((error: unknown) => {
  console.error(`nginx-gateway example: ${(error as Error).message}`);
  process.exit(1);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  stack.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`nginx-gateway example: cleanup failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

// Handlers first, then the ready line (below): whoever reads it may signal at once.
const clientA = stack.files.clients['client-a'];
const token = clientA && stack.demo ? stack.demo.mintToken(clientA.thumbprint, { subject: 'client-a' }) : undefined;
console.log(`
nginx (mTLS)  ${stack.url}
gateway       ${stack.gatewayUrl}   (/metrics, /healthz)
upstream      ${stack.upstreamUrl}
files         ${stack.dir}  (nginx.conf, gateway.json, pki/, error.log)
`);
if (clientA && token) {
  const pki = join(stack.dir, 'pki');
  console.log(`A token bound to client-a's certificate (valid for an hour):

  TOKEN=${token}

  # accepted: the certificate on the connection is the one the token is bound to
  curl --cacert ${pki}/ca.crt --cert ${pki}/client-a.crt --key ${pki}/client-a.key \\
       -H "Authorization: Bearer $TOKEN" ${stack.url}/whoami

  # refused (401 invalid_token): the same token replayed with client-b's certificate
  curl -i --cacert ${pki}/ca.crt --cert ${pki}/client-b.crt --key ${pki}/client-b.key \\
       -H "Authorization: Bearer $TOKEN" ${stack.url}/whoami
`);
}
console.log('Ctrl-C stops everything and removes the directory.');
// The machine-readable ready line comes last, once everything above has been printed.
console.log(JSON.stringify({ ready: true, url: stack.url }));

