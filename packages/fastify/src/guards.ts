import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigurationError } from '@certbound/core';
import { failure, requireRoles as coreRequireRoles, requireScopes as coreRequireScopes } from '@certbound/core/adapter';
import type { Verifier, VerifyFailure, VerifySuccess } from '@certbound/core';
import type { CertboundHook } from './plugin.js';
import { refuse } from './lib/refuse.js';
import { verifierOf } from './lib/verifier.js';

type Check = (verifier: Verifier, success: VerifySuccess, required: readonly string[]) => VerifyFailure | null;

function guard(name: string, check: Check, required: string[]): CertboundHook {
  if (required.length === 0 || required.some((entry) => typeof entry !== 'string' || entry.length === 0 || entry.includes(' '))) {
    throw new ConfigurationError(name, `${name}() needs at least one name, each a non-empty string without spaces`);
  }
  const list = [...required];
  // Let core judge the characters now (RFC 6750 §3 scope syntax), so a bad name fails at startup, not per request.
  failure('ERR_INSUFFICIENT_SCOPE', { scope: list.join(' ') });
  const hook = async function (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const auth = request.auth;
    const verifier = auth === null ? undefined : verifierOf(auth);
    // Wiring mistake, not client input: a guard that runs before the certbound hook must not let anything through.
    if (auth === null || verifier === undefined) throw new Error(`${name}() must run after the certbound hook: request.auth is not set`);
    const refusal = check(verifier, auth, list);
    return refusal === null ? undefined : refuse(reply, refusal);
  };
  Object.defineProperty(hook, 'name', { value: name });
  return hook;
}

/**
 * Route hook (`preHandler`, or `onRequest` after the certbound hook): every listed scope (`scp`/`scope`) must be
 * granted, else 403 `insufficient_scope`. @see RFC 6750 §3.1
 */
export function requireScopes(...scopes: string[]): CertboundHook {
  return guard('requireScopes', coreRequireScopes, scopes);
}

/** Route hook: every listed app role (Entra `roles`) must be granted, else 403 `insufficient_scope`. @see RFC 6750 §3.1 */
export function requireRoles(...roles: string[]): CertboundHook {
  return guard('requireRoles', coreRequireRoles, roles);
}
