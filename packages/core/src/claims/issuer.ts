import { invalidOption } from '../errors.js';

/** Placeholder for the tenant in an Entra issuer template (matched case-insensitively in the option). */
const PLACEHOLDER = /\{tenantid\}/i;
/**
 * What a `tid` may look like to be substituted into a template: Entra tenant ids are GUIDs; letters, digits and
 * `-` leave room for other issuers while keeping `/`, `.`, `?`, `#` and `%` (path or host tricks) out.
 */
const TENANT_ID = /^[A-Za-z0-9-]{1,64}$/;

export interface IssuerMatcher {
  matches(claims: Record<string, unknown>): boolean;
}

/**
 * Exact issuers, plus templates such as `https://login.microsoftonline.com/{tenantid}/v2.0` (Entra v2) or
 * `https://sts.windows.net/{tenantid}/` (Entra v1) where `{tenantid}` is replaced by the token's own string `tid`
 * and the result must equal `iss` exactly.
 * @see RFC 9068 §4 — iss exact match; docs/protocol.md §2 (Entra issuer forms)
 */
export function createIssuerMatcher(issuers: readonly string[]): IssuerMatcher {
  const exact = new Set<string>();
  const templates: { prefix: string; suffix: string }[] = [];
  for (const issuer of issuers) {
    const match = PLACEHOLDER.exec(issuer);
    if (match === null) {
      exact.add(issuer);
    } else {
      templates.push({ prefix: issuer.slice(0, match.index), suffix: issuer.slice(match.index + match[0].length) });
    }
  }
  return {
    matches(claims) {
      const iss = claims['iss'];
      if (typeof iss !== 'string') return false;
      if (exact.has(iss)) return true;
      if (templates.length === 0) return false;
      const tid = claims['tid'];
      if (typeof tid !== 'string' || !TENANT_ID.test(tid)) return false;
      for (const { prefix, suffix } of templates) {
        if (iss.length === prefix.length + tid.length + suffix.length && iss === prefix + tid + suffix) return true;
      }
      return false;
    },
  };
}

/** Throws a ConfigurationError unless `issuer` holds at most one `{tenantid}` placeholder. */
export function assertIssuerTemplate(issuer: string, field: string): void {
  const first = issuer.search(PLACEHOLDER);
  if (first >= 0 && PLACEHOLDER.test(issuer.slice(first + '{tenantid}'.length))) {
    invalidOption(field, 'may contain "{tenantid}" at most once');
  }
}
