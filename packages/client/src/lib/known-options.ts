/** Edit distance between two names, case-insensitive (a wrong case is the commonest typo: `sendx5c`). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length] as number;
}

/** The known name closest to `name`, or undefined when none is close enough to be what was meant. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor((best?.length ?? 0) / 3)) ? best : undefined;
}

/**
 * Refuse properties the client does not know: a misspelt option (`hostOverride`) would otherwise be ignored and
 * its default used in silence. The `TypeError` names the field and the closest known name.
 */
export function assertKnownKeys(value: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    // The name is the caller's own object key, shown bounded and printable.
    const shown = JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
    const closest = closestName(key, known);
    throw new TypeError(`Unknown ${where} ${shown}: ${closest === undefined ? `known ones are ${known.join(', ')}` : `did you mean ${closest}?`}`);
  }
}
