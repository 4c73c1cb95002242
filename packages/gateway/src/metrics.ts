import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '@certbound/core';

export type Protocol = 'nginx' | 'envoy' | 'traefik' | 'caddy' | 'haproxy';

/**
 * The gateway's Prometheus metrics, on a registry of its own (several gateways may share a process in tests). Names
 * and meanings are those of core's OpenTelemetry metrics as Prometheus spells them (docs/observability.md):
 * `certbound.verifications` is `certbound_verifications_total`, its `error.type` the `code` label.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Count one decision and its latency. `code` is the error code of a refusal, undefined for an accepted request. */
  observeDecision(protocol: Protocol, accepted: boolean, code: ErrorCode | 'ERR_IDENTITY_HEADER_SPELLING' | undefined, seconds: number): void;
  /** A certificate header arrived from a peer outside the trusted proxies and was ignored (SECURITY 7). */
  countUntrustedHeader(): void;
  /** Count one JWKS refresh: `cause` is undefined for a success, else the failure's cause (dns, tls, http, …). */
  countJwksRefresh(ok: boolean, cause: string | undefined): void;
}

export interface MetricsOptions {
  /** Also export Node.js process metrics (heap, event loop lag, GC), prefixed `certbound_gateway_`. Default true. */
  processMetrics?: boolean;
}

// Decisions take microseconds on a warm cache and milliseconds when a JWKS fetch is involved: the boundaries of
// core's certbound.verification.duration, so both histograms compare bucket for bucket.
const LATENCY_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createGatewayMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const decisions = new Counter({
    name: 'certbound_verifications_total',
    help: 'Verifications decided, by protocol, outcome (accepted|rejected) and, for a rejection, its error code.',
    labelNames: ['protocol', 'outcome', 'code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'certbound_verification_duration_seconds',
    help: 'Time from receiving an authorization request to the decision, in seconds.',
    labelNames: ['protocol', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const untrusted = new Counter({
    name: 'certbound_untrusted_certificate_headers_total',
    help: 'Certificate headers ignored because the peer is not a trusted proxy.',
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'certbound_jwks_refreshes_total',
    help: 'JWKS refresh attempts, by outcome (success|failure) and, for a failure, its cause.',
    labelNames: ['outcome', 'cause'] as const,
    registers: [registry],
  });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'certbound_gateway_' });
  return {
    registry,
    observeDecision(protocol, accepted, code, seconds) {
      const outcome = accepted ? 'accepted' : 'rejected';
      decisions.inc(code === undefined ? { protocol, outcome } : { protocol, outcome, code });
      latency.observe({ protocol, outcome }, seconds);
    },
    countUntrustedHeader() {
      untrusted.inc();
    },
    countJwksRefresh(ok, cause) {
      refreshes.inc(ok ? { outcome: 'success' } : { outcome: 'failure', cause: cause ?? 'other' });
    },
  };
}
