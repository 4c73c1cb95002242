// The admin endpoint answers loopback peers only (the server may be told to listen elsewhere).
import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../src/lib/loopback.js';

describe('isLoopbackAddress', () => {
  it('accepts IPv4 127/8, ::1 and IPv4-mapped loopback', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address), address).toBe(true);
  });

  it('refuses every other address, including look-alikes', () => {
    for (const address of [undefined, '', '10.0.0.1', '0.0.0.0', '::', '::ffff:10.0.0.1', '128.0.0.1', '127.0.0.1.evil', 'fe80::1', '::2', '1127.0.0.1']) {
      expect(isLoopbackAddress(address), String(address)).toBe(false);
    }
  });
});
