import type { ErrorCode, RequestInput, VerifierEvent } from '../types.js';

/** Peer address of the immediate connection: the adapter's value, else the socket's. */
export function peerAddressOf(input: RequestInput): string | undefined {
  if (typeof input.remoteAddress === 'string') return input.remoteAddress;
  const socket = input.socket as { remoteAddress?: unknown } | null | undefined;
  return typeof socket === 'object' && socket !== null && typeof socket.remoteAddress === 'string' ? socket.remoteAddress : undefined;
}

export interface EventFacts {
  readonly thumbprint: string | null;
  readonly scheme?: string | undefined;
  readonly remoteAddress?: string | undefined;
  /** Only from signature-verified claims: unverified token content never reaches logs. */
  readonly subject?: string | undefined;
  readonly clientId?: string | undefined;
}

export function buildEvent(type: VerifierEvent['type'], code: ErrorCode | undefined, facts: EventFacts, time: number): VerifierEvent {
  const event: VerifierEvent = { type, thumbprint: facts.thumbprint, time };
  if (code !== undefined) event.code = code;
  if (facts.subject !== undefined) event.subject = facts.subject;
  if (facts.clientId !== undefined) event.clientId = facts.clientId;
  if (facts.scheme !== undefined) event.scheme = facts.scheme;
  if (facts.remoteAddress !== undefined) event.remoteAddress = facts.remoteAddress;
  return event;
}
