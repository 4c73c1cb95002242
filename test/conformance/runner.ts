/**
 * Runs the conformance cases against one target over real mutual TLS and judges each response. Target-agnostic:
 * it needs a base URL and the fixture whose PKI, issuer and JWKS the target was configured with.
 */
import type { AuthFixture, ClientName } from '../support/fixture.js';
import { rawHttpsRequest, type RawResponse } from '../support/mtls.js';
import {
  REFLECTION_MARKER,
  casesFor,
  type Capability,
  type CaseContext,
  type CaseRequest,
  type ConformanceCase,
  type Expectation,
  type Observation,
} from './cases.js';

/** A protected server under test. */
export interface ConformanceTarget {
  /** Shown in reports (e.g. "koa-api"). */
  name: string;
  /** Base URL, e.g. "https://127.0.0.1:8443". */
  url: string;
  /** Path guarded by certbound with the fixture's guards. Default "/whoami". */
  protectedPath?: string;
  /** Path open to anyone. Default "/healthz". */
  publicPath?: string;
  /** What the target supports beyond the basics (see `Capability`). Default: all of them. */
  capabilities?: readonly Capability[];
}

export const ALL_CAPABILITIES: readonly Capability[] = ['identity', 'method-routing', 'jwks-control', 'node-http-limits'];

/** What one case observed, in the form compared across targets. */
export interface CaseOutcome {
  id: string;
  status: number;
  /** The `WWW-Authenticate` value(s) joined, or null. */
  challenge: string | null;
  /** The JSON body when the response was JSON, else null. */
  json: unknown;
}

export interface CaseResult {
  case: ConformanceCase;
  outcome: CaseOutcome | null;
  /** Empty when the case passed. */
  problems: string[];
}

export interface ConformanceReport {
  target: string;
  results: CaseResult[];
  passed: number;
  failed: number;
}

/** One challenge of a `WWW-Authenticate` value: scheme and auth-params (RFC 9110 §11.6.1). */
export interface ParsedChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN_CHARS = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Parse a `WWW-Authenticate` value into challenges (auth-param syntax only; token68 challenges are not used here). */
export function parseChallenges(value: string): ParsedChallenge[] {
  const challenges: ParsedChallenge[] = [];
  let current: ParsedChallenge | undefined;
  let i = 0;
  const isSpace = (at: number) => value[at] === ' ' || value[at] === '\t';
  const token = () => {
    const start = i;
    while (i < value.length && TOKEN_CHARS.test(value[i]!)) i++;
    return value.slice(start, i);
  };
  while (i < value.length) {
    if (isSpace(i) || value[i] === ',') {
      i++;
      continue;
    }
    const name = token();
    if (name === '') {
      i++; // a stray character; the judge will notice the missing parameters
      continue;
    }
    let next = i;
    while (isSpace(next)) next++;
    if (value[next] !== '=' || current === undefined) {
      // A token not followed by "=" starts the next challenge.
      current = { scheme: name, params: {} };
      challenges.push(current);
      continue;
    }
    i = next + 1;
    while (isSpace(i)) i++;
    let paramValue = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\') i++;
        paramValue += value[i] ?? '';
        i++;
      }
      i++;
    } else {
      paramValue = token();
    }
    current.params[name.toLowerCase()] = paramValue;
  }
  return challenges;
}

// RFC 6750 §3: error_description and scope characters (no `"` and no `\`, visible ASCII and space).
const SAFE_PARAM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function expectationText(e: Expectation): string {
  return `${e.status} ${e.challenge === null ? 'no challenge' : `challenge error=${e.challenge.error ?? '(none)'}`}`;
}

/** Check an observation against one expectation; returns the problems found. */
function judge(target: ConformanceTarget, fixture: AuthFixture, expected: Expectation, seen: Observation): string[] {
  const problems: string[] = [];
  if (seen.status !== expected.status) problems.push(`status ${seen.status}, expected ${expected.status}`);
  if (expected.challenge === null) {
    if (seen.challenges.length > 0) problems.push(`unexpected WWW-Authenticate: ${seen.challenges.join(' | ')}`);
  } else {
    if (seen.challenges.length !== 1) problems.push(`expected exactly one WWW-Authenticate header, got ${seen.challenges.length}`);
    const challenges = parseChallenges(seen.challenges[0] ?? '');
    const bearer = challenges.find((c) => c.scheme.toLowerCase() === 'bearer');
    if (!bearer) problems.push(`no Bearer challenge in ${JSON.stringify(seen.challenges[0])}`);
    else {
      if (challenges[0] !== bearer) problems.push(`the Bearer challenge is not first: ${JSON.stringify(seen.challenges[0])}`);
      for (const challenge of challenges) {
        const error = challenge.params['error'] ?? null;
        if (error !== expected.challenge.error) problems.push(`${challenge.scheme} challenge error=${error ?? '(none)'}, expected ${expected.challenge.error ?? '(none)'}`);
        for (const [name, value] of Object.entries(challenge.params)) {
          if (!SAFE_PARAM.test(value)) problems.push(`${challenge.scheme} ${name} has characters RFC 6750 §3 forbids`);
        }
        if (expected.challenge.scope !== undefined && !(challenge.params['scope'] ?? '').split(' ').includes(expected.challenge.scope)) {
          problems.push(`${challenge.scheme} challenge scope=${challenge.params['scope'] ?? '(none)'}, expected it to contain ${expected.challenge.scope}`);
        }
      }
    }
    // The body mirrors the challenge: { error, error_description }, nothing else (no stack, no internals).
    let body: unknown;
    try {
      body = JSON.parse(seen.body);
    } catch {
      problems.push(`refusal body is not JSON: ${JSON.stringify(seen.body.slice(0, 120))}`);
    }
    if (body !== undefined) {
      const keys = typeof body === 'object' && body !== null ? Object.keys(body).sort().join(',') : '';
      if (keys !== 'error,error_description') problems.push(`refusal body keys are ${JSON.stringify(keys)}, expected error,error_description`);
      const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
      if (typeof description !== 'string' || !SAFE_PARAM.test(description)) problems.push('error_description is not a safe string');
      if (expected.challenge.error !== null && error !== expected.challenge.error) problems.push(`body error ${String(error)}, expected ${expected.challenge.error}`);
      if (typeof error !== 'string') problems.push('body error is not a string');
    }
    if (!(seen.contentType ?? '').startsWith('application/json')) problems.push(`refusal content-type ${seen.contentType ?? '(none)'}`);
  }
  if (expected.identity && (target.capabilities ?? ALL_CAPABILITIES).includes('identity')) {
    let identity: Record<string, unknown> | undefined;
    try {
      identity = JSON.parse(seen.body) as Record<string, unknown>;
    } catch {
      problems.push('identity body is not JSON');
    }
    if (identity) {
      const want = { sub: fixture.issuer.claims(null)['sub'], client_id: expected.identity.clientId, thumbprint: fixture.thumbprint(expected.identity.client) };
      for (const [name, value] of Object.entries(want)) {
        if (identity[name] !== value) problems.push(`whoami ${name}=${JSON.stringify(identity[name])}, expected ${JSON.stringify(value)}`);
      }
      if (!Array.isArray(identity['scopes'])) problems.push('whoami scopes is not a list');
      if (!Array.isArray(identity['roles'])) problems.push('whoami roles is not a list');
    }
  }
  return problems;
}

/** Problems that are problems whatever the expectation: server errors and reflected input. */
function invariants(seen: Observation, request: CaseRequest, all: Observation[]): string[] {
  const problems: string[] = [];
  for (const observation of all) {
    if (observation.status >= 500 && observation.status !== 503) problems.push(`server error ${observation.status}`);
    const echoed = [...observation.challenges, observation.body].join('\n');
    if (echoed.includes(REFLECTION_MARKER)) problems.push('the response reflects attacker input (marker found)');
  }
  const authorization = request.headers?.find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const token = authorization?.split(' ')[1];
  if (token && token.length > 24 && [...seen.challenges, seen.body].join('\n').includes(token)) problems.push('the response reflects the token');
  return problems;
}

function observe(response: RawResponse): Observation {
  return {
    status: response.status,
    challenges: response.header('www-authenticate'),
    contentType: response.header('content-type')[0] ?? null,
    body: response.body,
  };
}

function caseContext(fixture: AuthFixture): CaseContext {
  return {
    fixture,
    token(changes = {}) {
      const { client = 'client-a', ...mint } = changes;
      return fixture.issuer.mint({ thumbprint: fixture.thumbprint(client), ...mint });
    },
    der: (client) => (client === 'other-ca' ? fixture.otherCaClient.der : fixture.pki.clients[client]!.der),
    now: () => Math.floor(Date.now() / 1000),
  };
}

/** Run one case against a target; never throws for a failing case (the problems say why). */
export async function runCase(target: ConformanceTarget, fixture: AuthFixture, testCase: ConformanceCase): Promise<CaseResult> {
  const ctx = caseContext(fixture);
  const observations: Observation[] = [];
  let lastRequest: CaseRequest = {};
  const send = async (request: CaseRequest): Promise<Observation> => {
    lastRequest = request;
    const client: ClientName = request.client ?? 'client-a';
    const path = request.route === 'public' ? (target.publicPath ?? '/healthz') : (target.protectedPath ?? '/whoami');
    const response = await rawHttpsRequest(target.url, fixture.tls(client), {
      method: request.method ?? 'GET',
      path: request.query === undefined ? path : `${path}?${request.query}`,
      headers: request.headers ?? [],
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const observation = observe(response);
    observations.push(observation);
    return observation;
  };
  let seen: Observation;
  try {
    if (testCase.script) seen = await testCase.script(ctx, send);
    else if (testCase.request) seen = await send(await testCase.request(ctx));
    else throw new Error('a case needs request or script');
  } catch (error) {
    return { case: testCase, outcome: null, problems: [`the exchange failed: ${(error as Error).message}`] };
  }
  const expectations = Array.isArray(testCase.expect) ? testCase.expect : [testCase.expect];
  const verdicts = expectations.map((expected) => judge(target, fixture, expected, seen));
  const matching = verdicts.find((problems) => problems.length === 0);
  const problems =
    matching !== undefined
      ? []
      : verdicts.length === 1
        ? verdicts[0]!
        : [`matched none of: ${expectations.map(expectationText).join('; ')} — ${verdicts.map((v) => v.join(', ')).join(' / ')}`];
  problems.push(...invariants(seen, lastRequest, observations));
  let json: unknown = null;
  if ((seen.contentType ?? '').startsWith('application/json')) {
    try {
      json = JSON.parse(seen.body);
    } catch {
      json = null;
    }
  }
  return { case: testCase, outcome: { id: testCase.id, status: seen.status, challenge: seen.challenges.length ? seen.challenges.join(' | ') : null, json }, problems };
}

/** Run every case the target can run, one after another (cases that toggle the JWKS must not overlap). */
export async function runConformance(target: ConformanceTarget, fixture: AuthFixture): Promise<ConformanceReport> {
  const results: CaseResult[] = [];
  for (const testCase of casesFor(target.capabilities ?? ALL_CAPABILITIES)) results.push(await runCase(target, fixture, testCase));
  const failed = results.filter((r) => r.problems.length > 0).length;
  return { target: target.name, results, passed: results.length - failed, failed };
}

/**
 * Compare outcomes of several targets case by case: status and full challenge must be identical, and so must the
 * JSON body of certbound's own answers (refusals with a challenge, and accepted requests). Responses the HTTP
 * stack makes before certbound runs (e.g. 431 for oversized headers) differ in body by framework and are compared
 * by status and challenge only. Returns one line per difference.
 */
export function compareOutcomes(tables: ReadonlyArray<{ target: string; outcomes: ReadonlyMap<string, CaseOutcome> }>): string[] {
  const differences: string[] = [];
  const [reference, ...others] = tables;
  if (!reference) return differences;
  const ids = new Set(tables.flatMap((t) => [...t.outcomes.keys()]));
  for (const id of ids) {
    const base = reference.outcomes.get(id);
    for (const other of others) {
      const outcome = other.outcomes.get(id);
      if (!base || !outcome) {
        differences.push(`${id}: missing in ${!base ? reference.target : other.target}`);
        continue;
      }
      if (base.status !== outcome.status) differences.push(`${id}: status ${reference.target}=${base.status} ${other.target}=${outcome.status}`);
      if (base.challenge !== outcome.challenge) differences.push(`${id}: challenge ${reference.target}=${JSON.stringify(base.challenge)} ${other.target}=${JSON.stringify(outcome.challenge)}`);
      const certboundAnswered = base.challenge !== null || base.status < 300;
      if (certboundAnswered && JSON.stringify(base.json) !== JSON.stringify(outcome.json)) differences.push(`${id}: body ${reference.target}=${JSON.stringify(base.json)} ${other.target}=${JSON.stringify(outcome.json)}`);
    }
  }
  return differences;
}
