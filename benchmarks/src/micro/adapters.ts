/**
 * The adapters' own code path without sockets or a framework server: each adapter's middleware (or hook) called on
 * a fake request and response, against an empty handler of the same calling convention. What is compared is data:
 * ADAPTERS lists what is measured (one line per adapter), SHAPES how each calling convention is driven.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { VerifierOptions } from '@certbound/core';

/** A handler under test (a function, or an object such as a NestJS guard), called through its shape's driver. */
export type Handler = object;

/** How one call ended: the request was let through, or refused with this status. */
export type Outcome = 'passed' | number;

/** The parts of a Node TLS socket the adapters read (core's tlsSource: getPeerCertificate(false).raw, getProtocol). */
export interface FakeSocket {
  remoteAddress: string;
  remotePort: number;
  encrypted: true;
  getPeerCertificate(detailed?: boolean): { raw: Buffer };
  getProtocol(): string;
}

/** An IncomingMessage-like request: what requestInputOf and the adapters read. */
export interface FakeRequest {
  method: 'GET';
  url: string;
  originalUrl: string;
  httpVersion: '1.1';
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  socket: FakeSocket;
}

export const MICRO_PATH = '/hello';

/**
 * One keep-alive TLS 1.3 connection presenting the client certificate `der`: every request made by the returned
 * function shares it (as requests on one connection do), and each call is a fresh request object.
 */
export function fakeConnection(der: Buffer, authorization: string): () => FakeRequest {
  const socket: FakeSocket = {
    remoteAddress: '127.0.0.1',
    remotePort: 50_000,
    encrypted: true,
    getPeerCertificate: () => ({ raw: der }),
    getProtocol: () => 'TLSv1.3',
  };
  const headers: IncomingHttpHeaders = { host: 'localhost', authorization, accept: '*/*' };
  const rawHeaders = ['Host', 'localhost', 'Authorization', authorization, 'Accept', '*/*'];
  return () => ({ method: 'GET', url: MICRO_PATH, originalUrl: MICRO_PATH, httpVersion: '1.1', headers, rawHeaders, socket });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** A response object recording what a refusal wrote; the accepted path never touches it. */
class FakeResponse {
  statusCode = 200;
  sent = false;
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  code(code: number): this {
    return this.status(code);
  }
  set(): this {
    return this;
  }
  header(): this {
    return this;
  }
  setHeader(): this {
    return this;
  }
  json(): this {
    this.sent = true;
    return this;
  }
  send(): this {
    this.sent = true;
    return this;
  }
  end(): this {
    this.sent = true;
    return this;
  }
}

/** A calling convention: how a handler of it is called on one fake request, and an empty handler of it. */
export interface Shape {
  /** The empty handler of this convention (it lets every request through): the floor an adapter is measured against. */
  baseline: Handler;
  /** Call `handler` on `req`; the outcome is known once the handler let the request through or answered it. */
  invoke(handler: Handler, req: FakeRequest): Outcome | Promise<Outcome>;
}

const RESOLVED = Promise.resolve();
const ACCEPTED = { ok: true } as const;

/**
 * `(context, next) => Promise` middleware (Koa, Hono): through when `next()` ran, else refused with the status
 * `refusedWith` reads from the context or from what the middleware returned.
 */
function contextNextShape<C>(makeContext: (req: FakeRequest) => C, refusedWith: (context: C, returned: unknown) => number): Shape {
  return {
    baseline: (async (_context: unknown, next: () => Promise<void>) => {
      await next();
    }) as Handler,
    invoke(handler, req) {
      let passed = false;
      const context = makeContext(req);
      const next = () => {
        passed = true;
        return RESOLVED;
      };
      const outcome = (returned: unknown): Outcome => (passed ? 'passed' : refusedWith(context, returned));
      const done = (handler as (c: C, n: typeof next) => unknown)(context, next);
      return isThenable(done) ? Promise.resolve(done).then(outcome) : outcome(done);
    },
  };
}

/** Koa: `ctx.req`, `ctx.state`, `ctx.status`, `ctx.set`, `ctx.body`. */
const koaShape = contextNextShape(
  (req) => ({ req, state: {} as Record<string, unknown>, status: 404, body: undefined as unknown, set(): void {} }),
  (ctx) => ctx.status,
);

/**
 * A callback convention: the handler gets `(first, response, callback)` and ends by calling `callback()` (through),
 * `callback(error)` (500) or by answering on the response (refused with its status).
 */
function callbackShape(firstArgument: (req: FakeRequest) => unknown): Shape {
  return {
    baseline: ((_first: unknown, _response: unknown, callback: () => void) => {
      callback();
    }) as Handler,
    invoke(handler, req) {
      const res = new FakeResponse();
      let outcome: Outcome | undefined;
      let wake: ((outcome: Outcome) => void) | undefined;
      const finish = (value: Outcome) => {
        outcome = value;
        wake?.(value);
      };
      const callback = (error?: unknown) => finish(error === undefined ? 'passed' : 500);
      res.json = res.send = res.end = function (this: FakeResponse) {
        this.sent = true;
        finish(this.statusCode);
        return this;
      };
      (handler as (first: unknown, rs: FakeResponse, n: typeof callback) => unknown)(firstArgument(req), res, callback);
      if (outcome !== undefined) return outcome;
      return new Promise<Outcome>((resolve) => (wake = resolve));
    },
  };
}

/** `(req, res, next) => void` middleware (Express, Connect). */
const connectShape = callbackShape((req) => req);

/** Fastify's callback-style `onRequest` hook `(request, reply, done)`, `request.raw` the Node request. */
const fastifyHookShape = callbackShape((req) => ({ raw: req, headers: req.headers, url: req.url, method: req.method, socket: req.socket, auth: null as unknown }));

/** A direct call `(req) => VerifyResult | Promise<VerifyResult>` (core's verifier, no framework). */
const callShape: Shape = {
  baseline: (async () => ACCEPTED) as Handler,
  invoke(handler, req) {
    const result = (handler as (rq: FakeRequest) => unknown)(req);
    if (!isThenable(result)) return outcomeOf(result);
    return Promise.resolve(result).then(outcomeOf);
  },
};

function outcomeOf(result: unknown): Outcome {
  const verified = result as { ok: boolean; status?: number };
  return verified.ok ? 'passed' : (verified.status ?? 500);
}

/** The Hono context the adapters read on @hono/node-server: `c.env.incoming` is the Node request. Answers record their status. */
function fakeHonoContext(req: FakeRequest) {
  const answer = (status: number) => ({ status });
  const context = {
    env: { incoming: req, outgoing: new FakeResponse() },
    req: { raw: { headers: req.headers, url: `https://localhost${req.url}`, method: req.method }, url: `https://localhost${req.url}`, method: req.method, path: req.url, header: (name: string) => req.headers[name.toLowerCase()] },
    var: {} as Record<string, unknown>,
    statusCode: 200,
    set(key: string, value: unknown): void {
      context.var[key] = value;
    },
    get: (key: string) => context.var[key],
    header(): void {},
    status(code: number): void {
      context.statusCode = code;
    },
    json: (_body: unknown, status?: number) => answer(status ?? context.statusCode),
    body: (_body: unknown, status?: number) => answer(status ?? context.statusCode),
    text: (_body: unknown, status?: number) => answer(status ?? context.statusCode),
    newResponse: (_body: unknown, status?: number) => answer(status ?? context.statusCode),
  };
  return context;
}

/** Hono middleware `(c, next) => Promise<Response | void>`: refused with the status of the answer it returned. */
const honoShape = contextNextShape(fakeHonoContext, (c, returned) => (returned as { status?: number } | undefined)?.status ?? c.statusCode);

function statusOfError(error: unknown): number {
  const thrown = error as { getStatus?: () => number; status?: number } | null;
  return thrown?.getStatus?.() ?? thrown?.status ?? 500;
}

/**
 * A NestJS guard `{ canActivate(context) }` on the Express platform: through when it answers true; refused with the
 * status it wrote on the response (answering false) or of the exception it threw.
 */
const nestGuardShape: Shape = {
  baseline: { canActivate: async () => true },
  invoke(handler, req) {
    const res = new FakeResponse();
    const route = () => undefined;
    class Controller {}
    const args = [req, res, () => undefined];
    const context = {
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res, getNext: () => args[2] }),
      getHandler: () => route,
      getClass: () => Controller,
      getType: () => 'http',
      getArgs: () => args,
      getArgByIndex: (index: number) => args[index],
    };
    const verdict = (allowed: unknown): Outcome => (allowed === true ? 'passed' : res.statusCode === 200 ? 403 : res.statusCode);
    try {
      const answer = (handler as { canActivate(context: unknown): unknown }).canActivate(context);
      return isThenable(answer) ? Promise.resolve(answer).then(verdict, statusOfError) : verdict(answer);
    } catch (error) {
      return statusOfError(error);
    }
  },
};

export const SHAPES = { call: callShape, koa: koaShape, connect: connectShape, 'fastify-hook': fastifyHookShape, hono: honoShape, 'nest-guard': nestGuardShape } as const satisfies Record<string, Shape>;
export type ShapeName = keyof typeof SHAPES;

/** One adapter measured by the micro-benchmark. */
export interface AdapterEntry {
  id: string;
  label: string;
  shape: ShapeName;
  /** The workspace package it needs (its src/index.ts must be there; skipped with a note otherwise). */
  package: string;
  /** Build the handler from verifier options (static keys, binding required). */
  create(options: VerifierOptions): Promise<Handler>;
}

async function coreHandler(options: VerifierOptions): Promise<Handler> {
  const { createVerifier } = await import('@certbound/core');
  const { requestInputOf } = await import('@certbound/core/adapter');
  const verifier = createVerifier(options);
  return ((req: FakeRequest) => verifier.verifyRequest(requestInputOf(req as never))) as Handler;
}

/** What the adapters call: the Node request itself, a result without a promise when it is known at once. */
async function coreNowHandler(options: VerifierOptions): Promise<Handler> {
  const { createVerifier } = await import('@certbound/core');
  const { verifyRequestNow } = await import('@certbound/core/adapter');
  const verifier = createVerifier(options);
  return ((req: FakeRequest) => verifyRequestNow(verifier, req as never)) as Handler;
}

async function fastifyHook(options: VerifierOptions): Promise<Handler> {
  const { default: Fastify } = await import('fastify');
  const { certbound } = await import('@certbound/fastify');
  // Never listens: the app only registers the plugin so that its hook can be called directly.
  const app = Fastify({ logger: false });
  await app.register(certbound, { verifier: options, global: false });
  await app.ready();
  return app.certbound;
}

/** What the micro-benchmark measures, in order. A new adapter is one line here; a new calling convention needs a shape first. */
export const ADAPTERS: readonly AdapterEntry[] = [
  { id: 'core', label: 'core verifier.verifyRequest(requestInputOf(req))', shape: 'call', package: 'packages/core', create: coreHandler },
  { id: 'core-now', label: 'core verifyRequestNow(verifier, req)', shape: 'call', package: 'packages/core', create: coreNowHandler },
  { id: 'koa', label: '@certbound/koa middleware', shape: 'koa', package: 'packages/koa', create: async (options) => (await import('@certbound/koa')).certbound(options) },
  { id: 'express', label: '@certbound/express middleware', shape: 'connect', package: 'packages/express', create: async (options) => (await import('@certbound/express')).certbound(options) },
  { id: 'fastify', label: '@certbound/fastify hook (global: false)', shape: 'fastify-hook', package: 'packages/fastify', create: fastifyHook },
  { id: 'hono', label: '@certbound/hono middleware', shape: 'hono', package: 'packages/hono', create: async (options) => (await import('@certbound/hono')).certbound(options) },
];

/** CPU time of this process so far (user + system), µs. */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Call `handler` `iterations` times, each on a fresh request of one connection; returns the process's CPU time per
 * call in ns (CPU, not wall time: on a shared machine a descheduled process would otherwise be charged for the
 * wait). Throws if any call was not let through.
 */
export async function timeCalls(shape: Shape, handler: Handler, request: () => FakeRequest, iterations: number): Promise<number> {
  let refused = 0;
  const start = cpuMicros();
  for (let i = 0; i < iterations; i++) {
    let outcome = shape.invoke(handler, request());
    if (typeof outcome === 'object') outcome = await outcome;
    if (outcome !== 'passed') refused++;
  }
  const elapsedMicros = cpuMicros() - start;
  if (refused > 0) throw new Error(`${refused} of ${iterations} calls were not let through`);
  return (elapsedMicros * 1000) / iterations;
}

/**
 * Per round, each measured item's cost minus its baseline's, in ns: both ran in the same round, back to back, so
 * the difference is what the adapter adds to an empty handler of its calling convention.
 */
export function overheadPerRound(item: readonly number[], baseline: readonly number[]): number[] {
  const count = Math.min(item.length, baseline.length);
  if (count === 0) throw new RangeError('no paired rounds');
  return item.slice(0, count).map((value, i) => value - baseline[i]!);
}
