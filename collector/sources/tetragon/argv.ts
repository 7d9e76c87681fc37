// Shell-like splitting of a flattened argument string. Tetragon exports argv as ONE
// string and re-quotes arguments that contain spaces (`-c "curl https://…"`), so a
// plain split on spaces would cut `-c "a b"` into three words. The original argv
// cannot always be recovered (an argument that itself contained quotes is ambiguous);
// this is the closest honest reading.
//
// Rules: space, tab, CR and LF separate words; "…" and '…' group (and may be glued to
// a word: --opt="a b"); outside quotes a backslash takes the next character literally;
// inside "…" only \" and \\ are escapes; an unterminated quote keeps what was read.

/** Split `s` into words: whitespace separates, "…" and '…' group, backslash escapes. */
export function splitArgs(s: string): string[] {
  return appendArgs(s, []);
}

/**
 * Push the words of `s` onto `out` (returned): callers that prepend argv[0] avoid a
 * second array. One pass over the characters: the common case (no quoting, single
 * spaces) slices the words out; the first quote, backslash or non-space whitespace
 * hands the whole string to the quoting parser.
 */
export function appendArgs(s: string, out: string[]): string[] {
  const base = out.length;
  const n = s.length;
  let k = base; // out[k++] = … rather than push: push was not inlined here (a builtin call per word)
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      if (i > start) out[k++] = s.slice(start, i);
      start = i + 1;
    } else if (c === 34 || c === 39 || c === 92 || c === 9 || c === 10 || c === 13) {
      out.length = base;
      return appendQuoted(s, out);
    }
  }
  if (n > start) out[k++] = s.slice(start);
  return out;
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

/** The quoting parser: copies runs of plain characters as slices, not one by one. */
function appendQuoted(s: string, out: string[]): string[] {
  const n = s.length;
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      if (inWord) {
        out.push(cur);
        cur = '';
        inWord = false;
      }
      i++;
      continue;
    }
    inWord = true;
    if (c === 39) {
      // '…': everything up to the next ' is literal
      const j = s.indexOf("'", i + 1);
      const end = j < 0 ? n : j;
      cur += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === 34) {
      // "…": only \" and \\ are escapes
      let run = ++i;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 34) break;
        if (d === 92 && i + 1 < n) {
          const e = s.charCodeAt(i + 1);
          if (e === 34 || e === 92) {
            cur += s.slice(run, i) + s[i + 1];
            i += 2;
            run = i;
            continue;
          }
        }
        i++;
      }
      cur += s.slice(run, i);
      i++; // the closing quote (or past the end)
    } else if (c === 92) {
      // outside quotes a backslash takes the next character; a trailing one is kept
      cur += i + 1 < n ? s[i + 1] : '\\';
      i += 2;
    } else {
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (isSpace(d) || d === 34 || d === 39 || d === 92) break;
        j++;
      }
      cur += s.slice(i, j);
      i = j;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
