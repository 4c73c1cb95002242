// `pnpm demo`: the whole loop, narrated, with a summary table; exit code 0 only if every step behaved as stated.
import { streamNarrator, summaryTable } from './narrate.js';
import { runLoop } from './loop.js';

const started = performance.now();
process.stdout.write('certbound demo — RFC 8705 certificate-bound tokens, end to end on this machine\n\n');
const watchdog = setTimeout(() => {
  process.stderr.write('demo: still running after 120 s — something is hanging; aborting (run `pnpm test --project test/e2e` for details)\n');
  process.exit(1);
}, 120_000);
watchdog.unref();

try {
  const report = await runLoop({ narrator: streamNarrator((text) => process.stdout.write(text)) });
  process.stdout.write(`\n${summaryTable(report.results)}\n\n`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (report.passed) {
    process.stdout.write(`all ${report.results.length} steps behaved as stated (${seconds} s); every server started has been stopped\n`);
  } else {
    const failed = report.results.filter((r) => !r.passed).map((r) => r.id);
    process.stdout.write(`steps ${failed.join(', ')} did not behave as stated (${seconds} s) — see the lines marked FAIL above\n`);
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`demo: could not set up the loop: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
}
