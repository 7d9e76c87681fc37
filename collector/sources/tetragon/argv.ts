// Tetragon's flattened argument string, read back into argv. Tetragon exports argv[1..]
// as ONE string (process.arguments), built by its ArgsDecoder: arguments joined by one
// space, and an argument that contains a space wrapped in double quotes, with a space
// before the quote even when it is the first argument (` "a b" c`). Nothing is escaped:
// tabs, newlines, backslashes, single quotes and double quotes inside an argument reach
// the string as they are.
//
// So this is that encoding inverted, not a shell parser: a shell reading would strip
// quotes and backslashes that were part of the arguments (`print('a')` → `print(a)`)
// and cut arguments at tabs and newlines. What the format cannot carry is lost at the
// source: empty arguments (they leave no trace, or a double space), and the rare
// argument without a space that starts with `"` where a later one ends with `"` (read as
// one quoted argument). Everything else round-trips exactly
// (test/collector/sources/tetragon/argv.test.ts runs random argv through both halves).

/** argv[1..] from Tetragon's arguments string */
export function splitArgs(s: string): string[] {
  return appendArgs(s, []);
}

/**
 * Push the arguments of `s` onto `out` (returned): callers that prepend argv[0] avoid a
 * second array. Arguments are sliced out between spaces; a `"` at the start of an
 * argument opens a quoted one when a closing `"` followed by a space (or the end) comes
 * after a space inside it — exactly the arguments the encoder quotes.
 */
export function appendArgs(s: string, out: string[]): string[] {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      i++;
      continue;
    }
    if (c === 34 /* " */) {
      const end = quotedEnd(s, i);
      if (end > 0) {
        out.push(s.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    let j = s.indexOf(' ', i + 1);
    if (j < 0) j = n;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

/** index of the quote closing a quoted argument opened at `open`, or -1 when it is not one */
function quotedEnd(s: string, open: number): number {
  const space = s.indexOf(' ', open + 1);
  if (space < 0) return -1; // a quoted argument always holds a space
  let k = s.indexOf('"', space + 1);
  while (k > 0) {
    if (k + 1 === s.length || s.charCodeAt(k + 1) === 32) return k;
    k = s.indexOf('"', k + 1);
  }
  return -1;
}
