import assert from 'node:assert/strict';
import { appendArgs, splitArgs } from '../../../../collector/sources/tetragon/argv.ts';

describe('splitArgs (Tetragon flattened arguments)', () => {
  it('splits on whitespace and keeps quoted words together', () => {
    assert.deepEqual(splitArgs('-c "curl https://x/#a b"'), ['-c', 'curl https://x/#a b']);
    assert.deepEqual(splitArgs("  a  'b c'\td "), ['a', 'b c', 'd']);
    assert.deepEqual(splitArgs(''), []);
  });
  it('handles escapes, empty quotes and glued quotes', () => {
    assert.deepEqual(splitArgs('"a \\"q\\" b" c\\ d'), ['a "q" b', 'c d']);
    assert.deepEqual(splitArgs('x "" y'), ['x', '', 'y']);
    assert.deepEqual(splitArgs('--opt="a b"'), ['--opt=a b']);
  });
  it('an unterminated quote keeps the rest', () => {
    assert.deepEqual(splitArgs('sh -c "echo hi'), ['sh', '-c', 'echo hi']);
  });
});

// The splitter used to copy character by character; this is that version, kept as the
// reference the faster one (slices, one-pass plain case) must agree with.
function referenceSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: 0 | 34 | 39 = 0;
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
  if (inWord) out.push(cur);
  return out;
}

describe('splitArgs agrees with the character-by-character reference', () => {
  it('on edge cases', () => {
    const cases = ['', ' ', '   ', 'a', ' a', 'a ', 'a  b', 'a\tb', 'a\nb\r', '\\', 'a\\', '\\ ', '"', "'", '""', "''", '"\\"', '"\\\\"', '"a\\b"',
      "'a\\'b'", 'x"y"z', "x'y'z", '"a"\'b\'c', 'a "b c" d', '-c "curl https://x/#a b" --n 3', 'é ü', 'a\\\tb', '"\\', '"a\\"'];
    for (const c of cases) assert.deepEqual(splitArgs(c), referenceSplit(c), JSON.stringify(c));
  });
  it('on random strings', () => {
    let s = 7;
    const r = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const alphabet = ['a', 'b', 'x', ' ', ' ', '\t', '\n', '\r', '"', "'", '\\', 'é', '-'];
    for (let i = 0; i < 20000; i++) {
      let str = '';
      for (let n = Math.floor(r() * 14); n > 0; n--) str += alphabet[Math.floor(r() * alphabet.length)];
      assert.deepEqual(splitArgs(str), referenceSplit(str), JSON.stringify(str));
    }
  });
  it('appendArgs pushes after what the array holds, also when quoting takes over', () => {
    assert.deepEqual(appendArgs('a b', ['/bin/x']), ['/bin/x', 'a', 'b']);
    assert.deepEqual(appendArgs('a "b c"', ['/bin/x']), ['/bin/x', 'a', 'b c']);
    assert.deepEqual(appendArgs('', ['/bin/x']), ['/bin/x']);
  });
});
