// RFC 3339 UTC timestamps (`2024-04-14T02:18:14.376304204Z`) → epoch ms. A stream's
// timestamps share their minute: remember the last minute's epoch and read only the
// seconds and fraction digits; anything else goes to Date.parse.
let lastMinute = '';
let lastMinuteMs = 0;

export function parseTime(s: string): number {
  // YYYY-MM-DDTHH:MM:SS[.fff…]Z
  const n = s.length;
  if (n < 20 || s.charCodeAt(n - 1) !== 90 || s.charCodeAt(16) !== 58) return Date.parse(s);
  const d1 = s.charCodeAt(17) - 48;
  const d2 = s.charCodeAt(18) - 48;
  if (d1 < 0 || d1 > 5 || d2 < 0 || d2 > 9) return Date.parse(s);
  let ms = 0;
  if (n > 20) {
    if (s.charCodeAt(19) !== 46) return Date.parse(s);
    let scale = 100;
    for (let i = 20; i < n - 1; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return Date.parse(s);
      ms += c * scale;
      scale /= 10;
    }
    if (n === 21) return Date.parse(s); // "…SS.Z"
    ms = Math.floor(ms);
  }
  if (!s.startsWith(lastMinute) || lastMinute === '') {
    const base = Date.parse(`${s.slice(0, 16)}:00Z`);
    if (Number.isNaN(base)) return NaN;
    lastMinute = s.slice(0, 17);
    lastMinuteMs = base;
  }
  return lastMinuteMs + (d1 * 10 + d2) * 1000 + ms;
}
