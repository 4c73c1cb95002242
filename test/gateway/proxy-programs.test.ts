// When a real-proxy suite runs, fails or is skipped (proxy-programs.ts): decided from the environment alone.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { proxyProgram, SKIP_VARIABLE } from './proxy-programs.js';

describe('proxyProgram: a missing proxy fails unless the developer opted out outside CI', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });
  const quiet = () => vi.spyOn(console, 'warn').mockImplementation(() => undefined);

  it('installed: runs, whatever the environment', () => {
    vi.stubEnv('CI', 'true');
    vi.stubEnv(SKIP_VARIABLE, '1');
    const program = proxyProgram('caddy', '/usr/bin/caddy', 'apt-get install caddy');
    expect(program.skip).toBe(false);
    expect(program.require()).toBe('/usr/bin/caddy');
  });

  it.each(['true', '1', 'yes', 'false'])('missing under CI=%s: not skipped, require() throws naming the install command', (ci) => {
    vi.stubEnv('CI', ci);
    vi.stubEnv(SKIP_VARIABLE, '1');
    const program = proxyProgram('haproxy', null, 'apt-get install haproxy');
    expect(program.skip).toBe(false);
    expect(() => program.require()).toThrow(/haproxy is not installed .*apt-get install haproxy/);
  });

  it('missing locally without the opt-out: not skipped, and the error says how to opt out', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv(SKIP_VARIABLE, '');
    const program = proxyProgram('nginx', null, 'apt-get install nginx-light');
    expect(program.skip).toBe(false);
    expect(() => program.require()).toThrow(new RegExp(`${SKIP_VARIABLE}=1`));
  });

  it('missing locally with the opt-out: skipped, and it says so', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv(SKIP_VARIABLE, '1');
    const warn = quiet();
    const program = proxyProgram('nginx', null, 'apt-get install nginx-light');
    expect(program.skip).toBe(true);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`nginx is not installed and ${SKIP_VARIABLE}=1`));
  });
});
