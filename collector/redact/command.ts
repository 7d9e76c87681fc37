// Redaction of a shell command string (`sh -c "…"`, a proctitle, a script line):
// free-text patterns over the whole string, then each simple command's words as an argv
// (so `mysql -p'S3cret' db; curl -u a:b …` is judged per program, quotes and all), and
// `echo SECRET | docker login --password-stdin`: what is piped into a program reading a
// password from stdin.
import { REDACTED, redactText } from './text.ts';
import { redactArgs } from './argv.ts';
import { isBenignValue } from './shape.ts';

interface Word {
  /** span in the string */
  start: number;
  end: number;
  /** the word with quotes and escapes removed */
  value: string;
  /** the quote the raw word opens with, if any */
  quote: string;
}

interface Command {
  words: Word[];
  /** the separator after it (`|` pipes into the next command) */
  sep: string;
}

/** Split a shell string into simple commands of words (quotes, escapes, ; && || | & ( ) ` $( and newlines). */
export function shellCommands(s: string): Command[] {
  const cmds: Command[] = [];
  let words: Word[] = [];
  let cur: Word | undefined;
  const endWord = (at: number): void => {
    if (cur) {
      cur.end = at;
      words.push(cur);
      cur = undefined;
    }
  };
  const endCommand = (sep: string): void => {
    if (words.length > 0) cmds.push({ words, sep });
    words = [];
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "'" || ch === '"') {
      cur ??= { start: i, end: i, value: '', quote: ch };
      const close = ch === "'" ? s.indexOf("'", i + 1) : findDoubleQuoteEnd(s, i + 1);
      const inner = s.slice(i + 1, close < 0 ? s.length : close);
      cur.value += ch === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
      i = close < 0 ? s.length : close;
      continue;
    }
    if (ch === '\\' && i + 1 < s.length) {
      cur ??= { start: i, end: i, value: '', quote: '' };
      if (s[i + 1] !== '\n') cur.value += s[i + 1];
      i++;
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      endWord(i);
      continue;
    }
    if (ch === ';' || ch === '\n' || ch === '&' || ch === '|' || ch === '(' || ch === ')' || ch === '`' || (ch === '$' && s[i + 1] === '(')) {
      endWord(i);
      endCommand(ch === '|' && s[i + 1] !== '|' ? '|' : ch);
      if ((ch === '&' || ch === '|') && s[i + 1] === ch) i++;
      continue;
    }
    cur ??= { start: i, end: i, value: '', quote: '' };
    cur.value += ch;
  }
  endWord(s.length);
  endCommand('');
  return cmds;
}

function findDoubleQuoteEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** reads a secret from standard input: what is echoed into it is one */
const READS_SECRET = /--password-stdin|--token-stdin|--stdin-password|^chpasswd$|--with-token/;

/** Redact a shell command string. */
export function redactCommand(cmd: string): string {
  const text = redactText(cmd);
  const cmds = shellCommands(text);
  const edits: { start: number; end: number; text: string }[] = [];
  for (let k = 0; k < cmds.length; k++) {
    const ws = cmds[k].words;
    const values = ws.map((w) => w.value);
    let red = redactArgs(values, values[0]);
    // echo SECRET | docker login -u x --password-stdin
    const next = cmds[k + 1];
    if (cmds[k].sep === '|' && next && /^(?:echo|printf|cat)$/.test(values[0] ?? '') && next.words.some((w) => READS_SECRET.test(w.value))) {
      red = values.map((v, i) => (i === 0 || v.startsWith('-') || isBenignValue(v) || (values[0] === 'printf' && i === 1 && values.length > 2) ? v : REDACTED));
    }
    if (red === values) continue;
    for (let i = 0; i < ws.length; i++) {
      if (red[i] === values[i]) continue;
      const q = ws[i].quote;
      edits.push({ start: ws[i].start, end: ws[i].end, text: q ? `${q}${red[i]}${q}` : red[i] });
    }
  }
  if (edits.length === 0) return text;
  let out = text;
  for (let i = edits.length - 1; i >= 0; i--) out = out.slice(0, edits[i].start) + edits[i].text + out.slice(edits[i].end);
  return out;
}
