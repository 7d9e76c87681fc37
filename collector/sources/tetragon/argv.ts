// Shell-like splitting of a flattened argument string. Tetragon exports argv as ONE
// string and re-quotes arguments that contain spaces (`-c "curl https://…"`), so a
// plain split on spaces would cut `-c "a b"` into three words. The original argv
// cannot always be recovered (an argument that itself contained quotes is ambiguous);
// this is the closest honest reading.

/** Split `s` into words: whitespace separates, "…" and '…' group, backslash escapes. */
const NEEDS_PARSING = /["'\\\t\n\r]/;

export function splitArgs(s: string): string[] {
  // the common case has no quoting at all: a plain split is several times faster
  if (!NEEDS_PARSING.test(s)) {
    const words = s.split(' ');
    return words.includes('') ? words.filter((w) => w !== '') : words;
  }
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: 0 | 34 | 39 = 0; // 34 = ", 39 = '
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quote === 39) {
      if (c === 39) quote = 0;
      else cur += s[i];
      continue;
    }
    if (quote === 34) {
      if (c === 34) quote = 0;
      else if (c === 92 && i + 1 < s.length && (s.charCodeAt(i + 1) === 34 || s.charCodeAt(i + 1) === 92)) cur += s[++i];
      else cur += s[i];
      continue;
    }
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (inWord) {
        out.push(cur);
        cur = '';
        inWord = false;
      }
      continue;
    }
    inWord = true;
    if (c === 34 || c === 39) quote = c;
    else if (c === 92 && i + 1 < s.length) cur += s[++i];
    else cur += s[i];
  }
  // an unterminated quote keeps what was read: better a partial word than none
  if (inWord) out.push(cur);
  return out;
}
