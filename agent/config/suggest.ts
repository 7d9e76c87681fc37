// "Did you mean …?" for a mistyped key or id: the known word nearest by edit distance,
// when it is close enough to be a plausible typo.

/** Levenshtein distance, bounded: stops counting past max (returns max + 1). */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (cur[j] < best) best = cur[j];
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** The known word nearest to `word`, if within a third of its length (or one contains the other). */
export function nearest(word: string, known: readonly string[]): string | undefined {
  const max = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestD = max + 1;
  for (const k of known) {
    const d = k.includes(word) || word.includes(k) ? Math.abs(k.length - word.length) / 100 : distance(word, k, max);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or '' */
export function didYouMean(word: string, known: readonly string[]): string {
  const n = nearest(word, known);
  return n === undefined ? '' : ` (did you mean ${JSON.stringify(n)}?)`;
}
