/** Edit distance (insert, delete, substitute) between two short words. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** " (did you mean stock-6.6?)" for the closest known word within a third of its length, else "". */
export function didYouMean(word: string, known: readonly string[]): string {
  const best = known
    .map((k) => ({ k, d: distance(word.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d > 0 && best.d <= Math.max(1, Math.floor(best.k.length / 3))
    ? ` (did you mean ${best.k}?)`
    : '';
}
