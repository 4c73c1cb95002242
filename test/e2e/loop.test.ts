// The demo's loop, imported (not copied) from examples/e2e, run inside `pnpm test`.
import { describe, expect, it } from 'vitest';
import { runLoop } from '@certbound-examples/e2e';

describe('end-to-end loop (pnpm demo)', () => {
  it('runs all seven steps of the demo, each behaving as stated', async () => {
    const report = await runLoop();
    const table = report.results.map((r) => ({ step: r.id, passed: r.passed, observed: r.observed }));
    expect(table).toEqual([1, 2, 3, 4, 5, 6, 7].map((id) => ({ step: id, passed: true, observed: expect.any(String) })));
    expect(report.passed).toBe(true);
  }, 90_000);
});
