import { describe, expect, it } from 'vitest';
import { ADAPTERS, SHAPES, fakeConnection, overheadPerRound, timeCalls, type Handler, type ShapeName } from '../src/micro/adapters.js';

const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]);

/** A handler of each shape that refuses with 401 the way the adapters do, and one that lets the request through synchronously. */
const refusing: Record<ShapeName, Handler> = {
  call: (() => ({ ok: false, status: 401 })) as Handler,
  koa: (async (ctx: { status: number; body: unknown; set(name: string, value: string): void }) => {
    ctx.status = 401;
    ctx.set('WWW-Authenticate', 'Bearer');
    ctx.body = { error: 'invalid_token' };
  }) as Handler,
  connect: ((_req: unknown, res: { status(code: number): { set(name: string, value: string): { json(body: unknown): void } } }) => {
    queueMicrotask(() => res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'invalid_token' }));
  }) as Handler,
  'fastify-hook': (async (_request: unknown, reply: { code(code: number): { header(name: string, value: string): { send(body: unknown): unknown } } }) =>
    reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'invalid_token' })) as Handler,
  hono: (async (c: { json(body: unknown, status: number): unknown }) => c.json({ error: 'invalid_token' }, 401)) as Handler,
  'nest-guard': {
    canActivate(context: { switchToHttp(): { getResponse(): { status(code: number): { json(body: unknown): void } } } }) {
      context.switchToHttp().getResponse().status(401).json({ error: 'invalid_token' });
      return false;
    },
  },
};

describe('adapter micro-benchmark harness', () => {
  it('fakes one TLS 1.3 connection: a fresh request object each time, one socket presenting the certificate', () => {
    const next = fakeConnection(der, 'Bearer abc');
    const [a, b] = [next(), next()];
    expect(a).not.toBe(b);
    expect(a.socket).toBe(b.socket);
    expect(a.socket.getPeerCertificate(false).raw).toBe(der);
    expect(a.socket.getProtocol()).toBe('TLSv1.3');
    expect(a.headers.authorization).toBe('Bearer abc');
    expect(a.rawHeaders).toContain('Bearer abc');
  });

  it.each(Object.keys(SHAPES) as ShapeName[])('the empty %s handler lets the request through; a refusing one is seen as its status', async (name) => {
    const shape = SHAPES[name];
    const request = fakeConnection(der, 'Bearer abc');
    expect(await shape.invoke(shape.baseline, request())).toBe('passed');
    expect(await shape.invoke(refusing[name], request())).toBe(401);
  });

  it('a handler answering synchronously is not turned into a promise (a synchronous fast path shows as one)', () => {
    const request = fakeConnection(der, 'Bearer abc');
    expect(SHAPES.call.invoke((() => ({ ok: true })) as Handler, request())).toBe('passed');
    expect(SHAPES.connect.invoke(((_req: unknown, _res: unknown, next: () => void) => next()) as Handler, request())).toBe('passed');
    expect(SHAPES.koa.invoke(((_ctx: unknown, next: () => unknown) => void next()) as Handler, request())).toBe('passed');
  });

  it('a timed run refuses to report a figure when any call was refused', async () => {
    const request = fakeConnection(der, 'Bearer abc');
    await expect(timeCalls(SHAPES.koa, refusing.koa, request, 10)).rejects.toThrow('10 of 10 calls were not let through');
    expect(Number.isFinite(await timeCalls(SHAPES.koa, SHAPES.koa.baseline, request, 10))).toBe(true);
  });

  it('a guard that throws is refused with the exception\'s status', async () => {
    const request = fakeConnection(der, 'Bearer abc');
    const thrown = Object.assign(new Error('Unauthorized'), { getStatus: () => 401 });
    expect(
      SHAPES['nest-guard'].invoke(
        {
          canActivate: () => {
            throw thrown;
          },
        },
        request(),
      ),
    ).toBe(401);
    expect(await SHAPES['nest-guard'].invoke({ canActivate: () => Promise.reject(thrown) }, request())).toBe(401);
  });

  it('overhead is the adapter minus its baseline of the same round', () => {
    expect(overheadPerRound([3000, 3500, 2900], [500, 700, 400])).toEqual([2500, 2800, 2500]);
    expect(() => overheadPerRound([], [1])).toThrow(RangeError);
  });

  it('lists each adapter once, with a known calling convention', () => {
    const ids = ADAPTERS.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['core', 'koa', 'express', 'fastify']));
    for (const entry of ADAPTERS) expect(Object.keys(SHAPES)).toContain(entry.shape);
  });
});
