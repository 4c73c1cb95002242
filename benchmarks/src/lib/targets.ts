import type { Comparison, ScenarioResult, TargetOutcome } from './types.js';

/** The performance targets, numbered as in benchmarks/README.md "Targets". */
export const TARGETS: readonly { id: number; title: string; statement: string; scenarios: readonly string[] }[] = [
  {
    id: 1,
    title: 'Warm hot path',
    statement: "server CPU per request, bare ÷ adapter ≥ 0.95 (the adapter within 5% of the same framework's bare mTLS hello world), same token repeated, median of alternated rounds, every http-* scenario",
    scenarios: ['http-koa', 'http-express', 'http-fastify'],
  },
  { id: 2, title: 'Versus the peer', statement: 'Express adapter ≥ 2.0 × Express + express-oauth2-jwt-bearer (mTLS required), same token, same algorithm', scenarios: ['peer'] },
  { id: 3, title: 'Cold path', statement: 'verifications/s with a distinct valid token each time ≥ 0.8 × raw node:crypto.verify + parse of the same tokens (≥ 3 × jose.jwtVerify for RS256)', scenarios: ['verify'] },
  { id: 4, title: 'Memory', statement: 'one million distinct tokens grow the heap by no more than the documented cache cap allows', scenarios: ['memory'] },
  { id: 5, title: 'Gateway', statement: 'auth-service req/s ≥ 0.85 × a bare node:http server answering 200, same run', scenarios: ['gateway'] },
  { id: 6, title: 'Client', statement: 'a cache hit costs microseconds; 1,000 concurrent acquisitions for the same key make one token request', scenarios: ['client'] },
];

export function isMet(value: number, threshold: number, direction: '>=' | '<='): boolean {
  return direction === '>=' ? value >= threshold : value <= threshold;
}

/** The median of each targeted comparison, checked against its threshold; a target is met when all its checks are. */
export function evaluateTargets(scenarios: readonly ScenarioResult[]): TargetOutcome[] {
  const targeted: { scenario: ScenarioResult; comparison: Comparison }[] = [];
  for (const scenario of scenarios) {
    for (const comparison of scenario.comparisons) if (comparison.target !== undefined) targeted.push({ scenario, comparison });
  }
  return TARGETS.map((target) => {
    const checks = targeted
      .filter(({ comparison }) => comparison.target!.id === target.id)
      .map(({ comparison }) => {
        const { threshold, direction } = comparison.target!;
        const value = comparison.stat.median;
        const check: TargetOutcome['checks'][number] = { comparison: comparison.id, label: comparison.label, value, unit: comparison.unit, threshold, direction, met: isMet(value, threshold, direction) };
        if (comparison.detail !== undefined) check.detail = comparison.detail;
        if (comparison.note !== undefined) check.note = comparison.note;
        return check;
      });
    const outcome: TargetOutcome = {
      id: target.id,
      title: target.title,
      statement: target.statement,
      status: checks.length === 0 ? 'not measured' : checks.every((check) => check.met) ? 'met' : 'not met',
      checks,
    };
    if (checks.length === 0) {
      const owners = scenarios.filter((scenario) => target.scenarios.includes(scenario.name));
      const reasons = owners.filter((scenario) => scenario.status !== 'ok').map((scenario) => `${scenario.name} ${scenario.status}: ${scenario.reason ?? 'no reason given'}`);
      outcome.note = owners.length === 0 ? `scenario ${target.scenarios.join(', ')} not run` : reasons.length > 0 ? reasons.join('; ') : 'the scenario produced no figure for this target';
    }
    return outcome;
  });
}
