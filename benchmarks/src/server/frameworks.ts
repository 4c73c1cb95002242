import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { getRequestListener } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import Koa from 'koa';
import { HELLO_BODY, HELLO_PATH, type Framework, type ServerReady, type TlsMaterial } from './spec.js';

/** A started server: where it listens and how to close it. */
export interface RunningServer {
  ready: ServerReady;
  /** Operations the runner may call (e.g. read a counter). */
  methods?: Record<string, (args: unknown) => unknown>;
  close(): Promise<void>;
}

/**
 * TLS options shared by every mTLS server in the benchmarks: ask for a client certificate, let the verifier (not
 * the handshake) decide — the default `verifyClientCertificate: false` of docs/configuration.md, RFC 8705 §6.2.
 */
export function mtlsOptions(tls: TlsMaterial): ServerOptions {
  return { cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: false };
}

export async function listen(server: HttpServer, scheme: 'http' | 'https'): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    ready: { url: `${scheme}://127.0.0.1:${port}`, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Middleware slot of each framework: `undefined` for the bare hello world, or the adapter, applied in front of the
 * one route. The route and its body are the same in every variant, so a ratio measures the middleware only.
 */
export type KoaMiddleware = (ctx: unknown, next: () => Promise<unknown>) => Promise<unknown>;
export type ExpressMiddleware = (req: unknown, res: unknown, next: (error?: unknown) => void) => unknown;
export type FastifyRegistration = (app: FastifyInstance) => Promise<void>;

export async function startKoa(tls: TlsMaterial, middleware?: KoaMiddleware): Promise<RunningServer> {
  const app = new Koa();
  if (middleware !== undefined) app.use(middleware as Parameters<typeof app.use>[0]);
  app.use((ctx) => {
    if (ctx.method === 'GET' && ctx.path === HELLO_PATH) ctx.body = HELLO_BODY;
  });
  return listen(createHttpsServer(mtlsOptions(tls), app.callback()), 'https');
}

export async function startExpress(tls: TlsMaterial, middleware?: ExpressMiddleware): Promise<RunningServer> {
  const app = express();
  if (middleware !== undefined) app.use(middleware as unknown as express.RequestHandler);
  app.get(HELLO_PATH, (_req, res) => {
    res.send(HELLO_BODY);
  });
  return listen(createHttpsServer(mtlsOptions(tls), app), 'https');
}

export async function startFastify(tls: TlsMaterial, register?: FastifyRegistration): Promise<RunningServer> {
  const app = Fastify({ logger: false, https: mtlsOptions(tls) });
  if (register !== undefined) await register(app);
  app.get(HELLO_PATH, async () => HELLO_BODY);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as AddressInfo;
  return {
    ready: { url: `https://127.0.0.1:${address.port}`, port: address.port },
    close: () => app.close(),
  };
}

/** Hono on @hono/node-server: its request listener on the same node:https server, the middleware on every route. */
export async function startHono(tls: TlsMaterial, middleware?: MiddlewareHandler): Promise<RunningServer> {
  const app = new Hono();
  if (middleware !== undefined) app.use(middleware);
  app.get(HELLO_PATH, (c) => c.text(HELLO_BODY));
  return listen(createHttpsServer(mtlsOptions(tls), getRequestListener(app.fetch)), 'https');
}

/** node:https hello world: the ceiling for any Node server here. */
export async function startNodeHttps(tls: TlsMaterial): Promise<RunningServer> {
  const server = createHttpsServer(mtlsOptions(tls), (req, res) => {
    res.writeHead(req.url === HELLO_PATH ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(HELLO_BODY);
  });
  return listen(server, 'https');
}

/** node:http answering 200 to everything (plain HTTP, behind nginx or as the gateway's baseline). */
export async function startHttp200(body = ''): Promise<RunningServer> {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  return listen(server, 'http');
}

export async function startBare(framework: Framework | 'node', tls: TlsMaterial): Promise<RunningServer> {
  switch (framework) {
    case 'koa':
      return startKoa(tls);
    case 'express':
      return startExpress(tls);
    case 'fastify':
      return startFastify(tls);
    case 'hono':
      return startHono(tls);
    case 'node':
      return startNodeHttps(tls);
  }
}
