import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';

/** One request outside the load generator: does the server answer what the scenario relies on? */
export async function probe(
  url: string,
  path: string,
  options: { headers?: Record<string, string>; clientCert?: { cert: string; key: string }; ca?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const target = new URL(path, url);
  return new Promise((resolve, reject) => {
    const common = { method: 'GET', headers: options.headers ?? {}, timeout: 10_000 };
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req =
      target.protocol === 'https:'
        ? httpsRequest(target, { ...common, servername: 'localhost', ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }), ...(options.clientCert ?? {}), agent: false }, onResponse)
        : httpRequest(target, { ...common, agent: false }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`probe ${target.href}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Fail fast, with the server's answer, when a probe's status is not the expected one. */
export async function expectStatus(
  what: string,
  expected: number,
  url: string,
  path: string,
  options: Parameters<typeof probe>[2] = {},
): Promise<void> {
  const answer = await probe(url, path, options);
  if (answer.status !== expected) {
    throw new Error(`${what}: expected ${expected}, got ${answer.status} ${answer.body.slice(0, 200)} ${JSON.stringify(answer.headers['www-authenticate'] ?? '')}`);
  }
}
