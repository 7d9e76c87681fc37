// Durations in config: "500ms", "30s", "5m", "2h", "1d", or a number of milliseconds.
export const DURATION_PATTERN = '^\\d+(?:\\.\\d+)?(?:ms|s|m|h|d)$';
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim());
  if (!m) throw new Error(`not a duration: ${v}`);
  return Math.round(Number(m[1]) * UNIT[m[2]]);
}

export const durationSchema = {
  anyOf: [{ type: 'string', pattern: DURATION_PATTERN }, { type: 'number', minimum: 0 }],
  errorMessage: 'a duration like 500ms, 30s, 5m, 2h',
};
