import { createDevPki, type DevPki } from '@certbound/dev-pki';
import { createConfidentialClient, type ConfidentialClient, type ConfidentialClientOptions } from '../../src/index.js';
import { startRecordingServer, type RecordingServer } from './recording-server.js';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = 'd3adb33f-c0de-ed0c-c0de-deadb33fc0d3';
export const AUTHORITY = `https://login.microsoftonline.com/${TENANT}`;
export const GRAPH = 'https://graph.microsoft.com/.default';
export const EXCHANGE = 'api://AzureADTokenExchange/.default';

/** Client options for the fixture; `azureRegion: undefined` means "not configured" (MSAL_FORCE_REGION applies). */
export type FixtureClientOptions = Omit<Partial<ConfidentialClientOptions>, 'azureRegion'> &
  Pick<ConfidentialClientOptions, 'credential'> & { azureRegion?: string | false | undefined };

/** A dev PKI plus two recording servers: one requiring a client certificate (mTLS hosts), one plain TLS (login hosts). */
export interface WireFixture {
  pki: DevPki;
  mtls: RecordingServer;
  plain: RecordingServer;
  /** A client whose Entra token hosts are overridden to the recording servers (TLS verified with the dev CA). */
  client(options: FixtureClientOptions): ConfidentialClient;
  close(): Promise<void>;
}

export async function startWireFixture(): Promise<WireFixture> {
  const pki = await createDevPki({ clients: ['client-a', 'client-b'] });
  const mtls = await startRecordingServer({ cert: pki.server.cert, key: pki.server.key, clientCas: [pki.ca.cert] });
  const plain = await startRecordingServer({ cert: pki.server.cert, key: pki.server.key });
  const clients: ConfidentialClient[] = [];
  const hostOverrides = {
    'mtlsauth.microsoft.com': mtls.origin,
    'westus3.mtlsauth.microsoft.com': mtls.origin,
    'login.microsoftonline.com': plain.origin,
    'westus3.login.microsoft.com': plain.origin,
  };
  return {
    pki,
    mtls,
    plain,
    client(options) {
      const { azureRegion, ...rest } = options;
      const region = 'azureRegion' in options ? (azureRegion === undefined ? {} : { azureRegion }) : { azureRegion: false as const };
      const client = createConfidentialClient({
        clientId: CLIENT_ID,
        authority: AUTHORITY,
        ca: pki.ca.cert,
        hostOverrides,
        http: { retryBaseDelayMs: 1, maxAttempts: 3 },
        ...region,
        ...rest,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all([mtls.close(), plain.close()]);
    },
  };
}

/** PEM credential of a dev-pki certificate. */
export function pem(issued: { cert: string; key: string }): { certificate: string; privateKey: string } {
  return { certificate: issued.cert, privateKey: issued.key };
}

/** A manual clock in epoch ms, for the client's `now` option: tests move time instead of sleeping. */
export function clock(start = Date.now()): { now: () => number; advance: (seconds: number) => number } {
  let current = start;
  return { now: () => current, advance: (seconds: number) => (current += seconds * 1000) };
}
