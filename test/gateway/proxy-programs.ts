// Whether a suite that needs a real proxy program (nginx, HAProxy, Caddy) runs, fails or is skipped. A missing
// program fails the suite — in CI always, locally too — unless the developer opted out explicitly with
// CERTBOUND_SKIP_PROXY_TESTS=1 outside CI; a skip then says so, naming the program and how to install it.

/** The opt-out variable: `1` skips the real-proxy suites whose program is missing (never in CI). */
export const SKIP_VARIABLE = 'CERTBOUND_SKIP_PROXY_TESTS';

export interface ProxyProgram {
  /** Absolute path of the executable, or null when it is not installed. */
  readonly binary: string | null;
  /** True only when the program is missing and the developer opted out outside CI. */
  readonly skip: boolean;
  /** The path, or throws the explanation of why the suite cannot run (call it in beforeAll). */
  require(): string;
}

/** Decide for one program; `install` is the command that installs it (shown in messages). */
export function proxyProgram(name: string, binary: string | null, install: string): ProxyProgram {
  // Any CI value counts as CI (CI=1, CI=yes, …): a silent skip there would hide a broken install step.
  const inCi = (process.env['CI'] ?? '') !== '';
  const optedOut = process.env[SKIP_VARIABLE] === '1';
  const skip = binary === null && optedOut && !inCi;
  if (skip) console.warn(`test/gateway: ${name} is not installed and ${SKIP_VARIABLE}=1, so its real-proxy tests are skipped. Install it with \`${install}\`.`);
  return {
    binary,
    skip,
    require() {
      if (binary !== null) return binary;
      const why = inCi ? `CI=${process.env['CI']}` : `${SKIP_VARIABLE} is not 1`;
      throw new Error(`${name} is not installed (${why}): install it with \`${install}\` (CI: .ci/run installs it)${inCi ? '' : `, or set ${SKIP_VARIABLE}=1 to skip these tests locally`}`);
    },
  };
}
