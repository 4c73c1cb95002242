import { adaptersMicroScenario } from './adapters-micro.js';
import type { Scenario } from './context.js';
import { clientScenario } from './client.js';
import { gatewayScenario } from './gateway.js';
import { httpScenario } from './http.js';
import { httpNestScenario } from './http-nestjs.js';
import { jwksHangingScenario } from './jwks-hanging.js';
import { memoryScenario } from './memory.js';
import { peerScenario } from './peer.js';
import { verifyScenario } from './verify.js';

/** Every scenario, in run order. */
export const SCENARIOS: readonly Scenario[] = [
  verifyScenario,
  adaptersMicroScenario,
  httpScenario('koa'),
  httpScenario('express'),
  httpScenario('fastify'),
  httpScenario('hono'),
  httpNestScenario,
  peerScenario,
  gatewayScenario,
  jwksHangingScenario,
  clientScenario,
  memoryScenario,
];

/** `--only` names that select several scenarios. */
export const GROUPS: Record<string, readonly string[]> = {
  http: ['http-koa', 'http-express', 'http-fastify', 'http-hono'],
};
