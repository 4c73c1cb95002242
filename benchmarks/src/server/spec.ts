/** What the runner asks a server child to start. Plain data: it crosses the IPC channel. */
import type { AuthorityConfig } from '@certbound/authority';
import type { Jwk, JwsAlgorithm } from '@certbound/core';

export type Framework = 'koa' | 'express' | 'fastify' | 'hono';

/** The Nest platform a NestJS server runs on. */
export type NestPlatform = 'express' | 'fastify';

export interface TlsMaterial {
  cert: string;
  key: string;
}

/** The verifier configuration of every protected server in the benchmarks (static JWKS, binding required). */
export interface BenchVerifierOptions {
  issuer: string;
  audience: string;
  algorithms: JwsAlgorithm[];
  jwks: { keys: Jwk[] };
  /** Allowed JOSE `typ` values when not the verifier's default (the local authority issues Entra-style `JWT`). */
  tokenTypes?: string[];
}

export type ServerSpec =
  /** The framework's hello world over mTLS (`requestCert`, no auth). */
  | { kind: 'bare'; framework: Framework | 'node'; tls: TlsMaterial }
  /** The same hello world behind one empty middleware (hook) of the framework: what any middleware costs. */
  | { kind: 'empty-middleware'; framework: Framework; tls: TlsMaterial }
  /**
   * Bare, empty middleware and adapter in one process, each on its own port (info.urls): the three are compared
   * with the same process's CPU time, so what differs between processes (code layout, JIT timing) cancels out.
   */
  | { kind: 'side-by-side'; framework: Framework; tls: TlsMaterial; verifier: BenchVerifierOptions }
  /** The same hello world behind the certbound adapter. */
  | { kind: 'adapter'; framework: Framework; tls: TlsMaterial; verifier: BenchVerifierOptions }
  /** The framework's example API (examples/<framework>-api) from a configuration file (docs/configuration.md). */
  | { kind: 'example'; framework: Framework; configFile: string }
  /** Express + express-oauth2-jwt-bearer with mTLS binding required. */
  | { kind: 'peer'; tls: TlsMaterial; verifier: BenchVerifierOptions; tokenSigningAlg: JwsAlgorithm }
  /** Plain node:http answering 200 with an empty body (the gateway's baseline, and nginx's upstream). */
  | { kind: 'http-200'; body?: string }
  /** @certbound/gateway from a configuration file (docs/configuration.md). */
  | { kind: 'gateway'; configFile: string }
  /** A NestJS hello world over mTLS on one platform; with `verifier`, behind CertboundGuard (@certbound/nestjs). */
  | { kind: 'nest'; platform: NestPlatform; tls: TlsMaterial; verifier?: BenchVerifierOptions }
  /** @certbound/authority with the given registry (its token requests counted). */
  | { kind: 'authority'; tls: TlsMaterial; config: AuthorityConfig };

export interface ServerReady {
  url: string;
  port: number;
  /** Extra facts the server reports (e.g. the gateway's auth path). */
  info?: Record<string, unknown>;
}

/** The route every hello-world variant serves. */
export const HELLO_PATH = '/hello';
export const HELLO_BODY = 'hello world';
