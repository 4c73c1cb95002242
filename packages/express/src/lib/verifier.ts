import type { IncomingMessage } from 'node:http';
import { createVerifier } from '@certbound/core';
import type { RequestInput, Verifier, VerifierOptions, VerifySuccess } from '@certbound/core';

function isVerifier(value: unknown): value is Verifier {
  return typeof value === 'object' && value !== null && typeof (value as Verifier).verifyRequest === 'function';
}

/**
 * A ready verifier from the factory's argument. Options are validated by `createVerifier` now, at startup, so a
 * misconfiguration throws a TypeError here and never on the first request.
 */
export function resolveVerifier(optionsOrVerifier: VerifierOptions | Verifier, caller: string): { verifier: Verifier; owned: boolean } {
  if (typeof optionsOrVerifier !== 'object' || optionsOrVerifier === null || Array.isArray(optionsOrVerifier)) {
    throw new TypeError(`${caller} expects verifier options or a Verifier from createVerifier()`);
  }
  if (isVerifier(optionsOrVerifier)) return { verifier: optionsOrVerifier, owned: false };
  return { verifier: createVerifier(optionsOrVerifier), owned: true };
}

/** What the verifier needs from a Node request: headers, raw headers (duplicates), the socket and its peer. */
export function requestInput(req: IncomingMessage & { originalUrl?: string }): RequestInput {
  const input: RequestInput = { headers: req.headers, rawHeaders: req.rawHeaders, socket: req.socket };
  // The immediate peer only: never an X-Forwarded-For the client could write (trusted proxies are core's call).
  const remoteAddress = req.socket.remoteAddress;
  if (remoteAddress !== undefined) input.remoteAddress = remoteAddress;
  // Routers rewrite req.url below their mount point; the query string is what matters, and originalUrl keeps it.
  const url = req.originalUrl ?? req.url;
  if (url !== undefined) input.url = url;
  return input;
}

// Which verifier accepted a result, so guards can ask the same verifier to format their refusals.
const acceptedBy = new WeakMap<VerifySuccess, Verifier>();

export function remember(success: VerifySuccess, verifier: Verifier): void {
  acceptedBy.set(success, verifier);
}

export function verifierOf(success: VerifySuccess): Verifier | undefined {
  return acceptedBy.get(success);
}
