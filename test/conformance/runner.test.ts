/**
 * The suite checks itself: run against deliberately broken servers, it must fail the cases those servers get
 * wrong. A conformance runner that passes everything would prove nothing about the adapters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthFixture, startHttpsServer, type AuthFixture, type TestHttpsServer } from '../support/index.js';
import { CLIENT_ID, conformanceCases, type ConformanceCase } from './cases.js';
import { compareOutcomes, parseChallenges, runConformance, type CaseOutcome } from './runner.js';

let fixture: AuthFixture;
const servers: TestHttpsServer[] = [];

beforeAll(async () => {
  fixture = await createAuthFixture();
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await fixture?.close();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = await startHttpsServer(fixture.pki.server, (req, res) => {
    req.resume();
    req.once('end', () => handler(req, res));
  });
  servers.push(server);
  return server.url;
}

const expectedStatuses = (c: ConformanceCase) => (Array.isArray(c.expect) ? c.expect : [c.expect]).map((e) => e.status);

describe('conformance runner: parsing challenges', () => {
  it('splits challenges and reads quoted parameters with commas and escapes', () => {
    expect(parseChallenges('Bearer error="invalid_token", error_description="a, b \\"c\\"", mtls_pop error="invalid_token"')).toEqual([
      { scheme: 'Bearer', params: { error: 'invalid_token', error_description: 'a, b "c"' } },
      { scheme: 'mtls_pop', params: { error: 'invalid_token' } },
    ]);
    expect(parseChallenges('Bearer realm="api", mtls_pop')).toEqual([
      { scheme: 'Bearer', params: { realm: 'api' } },
      { scheme: 'mtls_pop', params: {} },
    ]);
    expect(parseChallenges('Bearer')).toEqual([{ scheme: 'Bearer', params: {} }]);
  });
});

describe('conformance runner: negative controls', () => {
  it('an open door (200 with an identity for everything) fails every case that expects a refusal', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sub: CLIENT_ID, client_id: CLIENT_ID, thumbprint: fixture.thumbprint('client-a'), scopes: [], roles: [] }));
    });
    const report = await runConformance({ name: 'open-door', url }, fixture);
    const refusals = report.results.filter((r) => !expectedStatuses(r.case).includes(200) && r.case.id !== 'http-headers-beyond-node-limit');
    expect(refusals.length).toBeGreaterThanOrEqual(90);
    expect(refusals.filter((r) => r.problems.length === 0).map((r) => r.case.id)).toEqual([]);
  });

  it('a server that always answers invalid_request fails the invalid_token, no-credentials and scope cases', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_request", error_description="no"' });
      res.end(JSON.stringify({ error: 'invalid_request', error_description: 'no' }));
    });
    const report = await runConformance({ name: 'always-invalid-request', url }, fixture);
    const byId = new Map(report.results.map((r) => [r.case.id, r]));
    for (const id of ['binding-other-certificate', 'http-no-credentials', 'guard-missing-scope', 'jose-alg-none', 'http-duplicate-authorization']) {
      expect(byId.get(id)?.problems.length, id).toBeGreaterThan(0);
    }
  });

  it('a server that reflects the Authorization header is caught (SECURITY 9)', async () => {
    const url = await serve((req, res) => {
      const echoed = (req.headers.authorization ?? '').replace(/["\\\r\n]/g, '');
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token", error_description="${echoed}"` });
      res.end(JSON.stringify({ error: 'invalid_token', error_description: echoed }));
    });
    const report = await runConformance({ name: 'reflector', url }, fixture);
    const problems = report.results.find((r) => r.case.id === 'binding-other-certificate')!.problems;
    expect(problems.some((p) => p.includes('reflects the token'))).toBe(true);
    const marker = report.results.find((r) => r.case.id === 'http-token-with-space')!.problems;
    expect(marker.some((p) => p.includes('marker'))).toBe(true);
  });

  it('a server that errors (500) or drops the body shape is caught', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Error: boom\n    at verify (/app/verifier.js:1:1)');
    });
    const report = await runConformance({ name: 'crasher', url }, fixture);
    expect(report.passed).toBe(1); // only the 431 produced by Node's own header limit
    expect(report.results.find((r) => r.case.id === 'claims-payload-not-json')!.problems).toContain('server error 500');
  });
});

describe('conformance runner: comparing targets', () => {
  const outcome = (id: string, status: number, challenge: string | null, json: unknown): CaseOutcome => ({ id, status, challenge, json });

  it('reports differing statuses, challenges and certbound bodies, and ignores framework-made bodies', () => {
    const a = new Map([
      ['x', outcome('x', 401, 'Bearer error="invalid_token"', { error: 'invalid_token' })],
      ['y', outcome('y', 431, null, null)],
      ['z', outcome('z', 200, null, { sub: 'a' })],
    ]);
    const b = new Map([
      ['x', outcome('x', 400, 'Bearer error="invalid_request"', { error: 'invalid_request' })],
      ['y', outcome('y', 431, null, { error: 'Request Header Fields Too Large' })],
      ['z', outcome('z', 200, null, { sub: 'b' })],
    ]);
    const differences = compareOutcomes([
      { target: 'a', outcomes: a },
      { target: 'b', outcomes: b },
    ]);
    expect(differences).toHaveLength(4);
    expect(differences.join('\n')).toMatch(/x: status a=401 b=400/);
    expect(differences.join('\n')).toMatch(/z: body/);
    expect(differences.join('\n')).not.toMatch(/^y:/m);
  });

  it('the case list covers every class of docs/security.md with at least 40 hostile cases', () => {
    const classes = new Set(conformanceCases.map((c) => c.class));
    expect([...classes].sort()).toEqual(
      [
        'happy path',
        'binding mismatches and encodings',
        'certificate headers',
        'JOSE header tricks',
        'claim types and edge values',
        'HTTP framing',
        'JWKS outages and floods',
        'malformed encodings',
        'resource exhaustion',
        'scope and role guards',
      ].sort(),
    );
    expect(conformanceCases.filter((c) => c.class !== 'happy path').length).toBeGreaterThanOrEqual(40);
    expect(new Set(conformanceCases.map((c) => c.id)).size).toBe(conformanceCases.length);
  });
});
