// The one duration parser: "500ms", "30s", "5m", "2h", "1d" (decimals allowed), or a
// number of milliseconds. Config (agent/config, sink settings) and the API's relative
// times (`since=15m`) all read durations through it.
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
export const DURATION_PATTERN = DURATION.source;
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** true for a duration string like 15m */
export function isDuration(v: string): boolean {
  return DURATION.test(v.trim());
}

export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = DURATION.exec(v.trim());
  if (!m) throw new Error(`not a duration: ${v}`);
  return Math.round(Number(m[1]) * UNIT[m[2]]);
}

export const durationSchema: Record<string, unknown> = {
  anyOf: [{ type: 'string', pattern: DURATION_PATTERN }, { type: 'number', minimum: 0 }],
  errorMessage: 'a duration like 500ms, 30s, 5m, 2h',
};
