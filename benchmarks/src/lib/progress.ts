/** Progress lines on stderr with the elapsed time, so a long run shows where it is. */
const started = Date.now();

function stamp(): string {
  const seconds = Math.floor((Date.now() - started) / 1000);
  return `[${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}]`;
}

export function progress(scope: string, message: string): void {
  process.stderr.write(`${stamp()} ${scope.padEnd(14)} ${message}\n`);
}

export function elapsedMs(): number {
  return Date.now() - started;
}
