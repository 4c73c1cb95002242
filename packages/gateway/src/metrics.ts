import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '@certbound/core';

export type Protocol = 'nginx' | 'envoy' | 'traefik' | 'caddy' | 'haproxy';

/** The gateway's Prometheus metrics, on a registry of its own (several gateways may share a process in tests). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Count one decision and its latency. `reason` is the error code of a refusal, "OK" for an accepted request. */
  observeDecision(protocol: Protocol, accepted: boolean, reason: ErrorCode | 'OK' | 'ERR_IDENTITY_HEADER_SPELLING', seconds: number): void;
  /** A certificate header arrived from a peer outside the trusted proxies and was ignored (SECURITY 7). */
  countUntrustedHeader(): void;
  /** Count one JWKS refresh: `cause` is "none" for a success, else the failure's cause (dns, tls, http, …). */
  countJwksRefresh(ok: boolean, cause: string): void;
}

export interface MetricsOptions {
  /** Prefix for every metric name. Default "certbound_gateway_". */
  prefix?: string;
  /** Also export Node.js process metrics (heap, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

// Decisions take microseconds on a warm cache and milliseconds when a JWKS fetch is involved.
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createGatewayMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const prefix = options.prefix ?? 'certbound_gateway_';
  const registry = new Registry();
  const decisions = new Counter({
    name: `${prefix}decisions_total`,
    help: 'Authorization decisions, by protocol, result (accepted|refused) and reason (error code, or OK).',
    labelNames: ['protocol', 'result', 'reason'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: `${prefix}decision_duration_seconds`,
    help: 'Time from receiving an authorization request to the decision, in seconds.',
    labelNames: ['protocol', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const untrusted = new Counter({
    name: `${prefix}untrusted_certificate_headers_total`,
    help: 'Certificate headers ignored because the peer is not a trusted proxy.',
    registers: [registry],
  });
  const refreshes = new Counter({
    name: `${prefix}jwks_refresh_total`,
    help: 'JWKS refreshes, by result (success|failure) and cause of failure (none for a success).',
    labelNames: ['result', 'cause'] as const,
    registers: [registry],
  });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });
  return {
    registry,
    observeDecision(protocol, accepted, reason, seconds) {
      const result = accepted ? 'accepted' : 'refused';
      decisions.inc({ protocol, result, reason });
      latency.observe({ protocol, result }, seconds);
    },
    countUntrustedHeader() {
      untrusted.inc();
    },
    countJwksRefresh(ok, cause) {
      refreshes.inc({ result: ok ? 'success' : 'failure', cause });
    },
  };
}
