/**
 * Readiness and JWKS diagnostics the example APIs share: `/readyz` answers from the verifier's key state, and the JWKS
 * refresh events are logged once per state change (not per request, not per refresh).
 */
import type { Verifier, VerifierEvent } from '@certbound/core';

/** What `/readyz` answers: 200 once usable keys are loaded, 503 before and while an outage leaves none. */
export function readiness(verifier: Verifier): { status: 200 | 503; body: Record<string, unknown> } {
  // Reading the state starts the first JWKS load, so a probe makes the server ready before any token arrives.
  const state = verifier.state();
  if (state.ready) return { status: 200, body: { status: 'ready', keys: state.keyCount } };
  return { status: 503, body: { status: 'not ready', reason: state.lastError === null ? 'keys not loaded yet' : `JWKS ${state.lastError.cause} failure` } };
}

/** Where log lines go: one JSON object per line. */
export type LogWriter = (line: string) => void;

const toStderr: LogWriter = (line) => process.stderr.write(line);

/**
 * An `onEvent` handler that writes one JSON line when the JWKS state changes: keys loaded (or a different key count),
 * or a failure with another cause or detail than the last one. Repeated identical outcomes stay silent, so an outage
 * logs once, not once per request or per refresh attempt.
 */
export function jwksStateLogger(name: string, write: LogWriter = toStderr): (event: VerifierEvent) => void {
  let last: string | undefined;
  return (event) => {
    if (event.type !== 'jwks-refresh') return;
    const failure = event.jwksFailure;
    const state = failure === undefined ? `ok ${event.keyCount ?? 0}` : `failed ${failure.cause} ${failure.detail}`;
    if (state === last) return;
    last = state;
    const line =
      failure === undefined
        ? { level: 'info', name, msg: 'JWKS keys loaded', keyCount: event.keyCount }
        : { level: 'warn', name, msg: 'JWKS refresh failed', cause: failure.cause, detail: failure.detail, keyCount: event.keyCount };
    write(`${JSON.stringify(line)}\n`);
  };
}
