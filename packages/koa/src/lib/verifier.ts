import type { IncomingMessage } from 'node:http';
import type { RequestInput, Verifier, VerifySuccess } from '@certbound/core';

/** What the verifier needs from a Node request: headers, raw headers (duplicates), the socket and its peer. */
export function requestInput(req: IncomingMessage): RequestInput {
  const input: RequestInput = { headers: req.headers, rawHeaders: req.rawHeaders, socket: req.socket };
  // The immediate peer only: never an X-Forwarded-For the client could write (trusted proxies are core's call).
  const remoteAddress = req.socket.remoteAddress;
  if (remoteAddress !== undefined) input.remoteAddress = remoteAddress;
  if (req.url !== undefined) input.url = req.url;
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
