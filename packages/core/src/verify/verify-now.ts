import type { RequestInput, Verifier, VerifyResult } from '../types.js';
import { requestInputOf } from '../http/request-input.js';
import { internalsOf } from './registry.js';
import type { IncomingMessage } from 'node:http';

/**
 * `verifier.verifyRequest` for adapters, on the Node request itself: the result directly when it is known at once
 * (a token the connection presented before, keys and times still good; or any refusal that needs no I/O), a
 * Promise only when a key fetch or introspection must be waited for. Adapters then answer without a promise turn
 * and without building a RequestInput. Never throws; a verifier from another copy of the package goes the public
 * way. `url` replaces `req.url` for the query-token check (Express: `req.originalUrl`).
 * @see docs/architecture.md
 */
export function verifyRequestNow(verifier: Verifier, req: IncomingMessage, url: string | undefined = req.url): VerifyResult | Promise<VerifyResult> {
  const internals = internalsOf(verifier);
  // An IncomingMessage is a RequestInput: headers, rawHeaders, socket (its remoteAddress is the peer).
  if (internals !== undefined) return internals.verifyNow(req as RequestInput, url);
  return verifier.verifyRequest(requestInputOf(req, url));
}
