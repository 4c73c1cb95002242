import type { Guard } from '@certbound/core/adapter';

// What the decorators record, kept beside the decorated functions rather than in reflect-metadata: the guard reads
// it by identity, and no other code can overwrite it under the same key.
const requirements = new WeakMap<object, readonly Guard[]>();
const open = new WeakSet<object>();

/** Record a scope or role guard on a controller class or a route handler; several add up. */
export function addRequirement(target: object, guard: Guard): void {
  requirements.set(target, [...(requirements.get(target) ?? []), guard]);
}

/** Mark a controller class or a route handler as open to requests without a token. */
export function markPublic(target: object): void {
  open.add(target);
}

/** Every guard recorded on the controller and on the handler: all must pass. */
export function requirementsOf(controller: object, handler: object): readonly Guard[] {
  const onController = requirements.get(controller) ?? [];
  const onHandler = requirements.get(handler) ?? [];
  return onController.length === 0 ? onHandler : onHandler.length === 0 ? onController : [...onController, ...onHandler];
}

export function isPublic(controller: object, handler: object): boolean {
  return open.has(handler) || open.has(controller);
}
