// Field decoding for habitwatch.bt records: bpftrace's buffer formats, argv, numbers and
// open flags. The record layouts are in habitwatch.bt's header; parse.ts dispatches.

/** decodes bpftrace %r output: printable ASCII kept, \xNN escapes → bytes, UTF-8 */
export function decodeR(s: string): string {
  if (s.indexOf('\\x') < 0) return s;
  const latin = s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(latin, 'latin1').toString('utf8');
}

/** value of a lowercase hex digit's char code; -1 for any other character */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * decodes bpftrace %rh output (`2f 62 69 6e`: two lowercase hex digits a byte, one space
 * between bytes) in one pass; undefined when it is not that form
 */
export function decodeHexBytes(s: string): Buffer | undefined {
  if (s.length === 0) return Buffer.alloc(0);
  if ((s.length + 1) % 3 !== 0) return undefined;
  const n = (s.length + 1) / 3;
  const out = Buffer.allocUnsafe(n);
  for (let j = 0, i = 0; j < n; j++, i += 3) {
    const hi = hexDigit(s.charCodeAt(i));
    const lo = hexDigit(s.charCodeAt(i + 1));
    if (hi < 0 || lo < 0 || (j + 1 < n && s.charCodeAt(i + 2) !== 32)) return undefined;
    out[j] = (hi << 4) | lo;
  }
  return out;
}

/** a NUL-padded comm from buf(comm, 16) */
export function decodeComm(s: string): string {
  // the usual comm: printable ASCII, then its NUL padding printed as \x00 escapes
  const pad = s.indexOf('\\x00');
  const head = pad < 0 ? s : s.slice(0, pad);
  if (head.indexOf('\\') < 0) return head;
  const d = decodeR(s);
  const z = d.indexOf('\0');
  return z < 0 ? d : d.slice(0, z);
}

/**
 * argv from the NUL-separated bytes of the process's argument area; `complete` when
 * nothing was cut. Each argument is decoded as UTF-8 on its own (an invalid sequence
 * becomes U+FFFD, as in every source), so a cut inside a character spoils one argument.
 */
export function argvFromBytes(bytes: Buffer, complete: boolean): string[] {
  const args: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      args.push(bytes.toString('utf8', start, i));
      start = i + 1;
    }
  }
  // a complete argv ends with NUL; a cut one may end mid-argument
  if (start < bytes.length) args.push(bytes.toString('utf8', start));
  if (!complete && args.length > 0) args[args.length - 1] += '…';
  return args;
}

/** argv from %r chunks (recordings made before the program printed argv as hex) */
export function decodeArgv(raw: string, complete: boolean): string[] {
  const args = decodeR(raw).split('\0');
  if (args.length > 0 && args[args.length - 1] === '') args.pop();
  if (!complete && args.length > 0) args[args.length - 1] += '…';
  return args;
}

/**
 * A decimal field of a record as a number: NaN when it is not `[0-9]+` (`-?[0-9]+` for
 * intOf) of at most 20 digits. One pass, no regular expression: every record has
 * several. Exact up to 2^53 (larger values round as Number() rounds them).
 */
export function uintOf(s: string | undefined): number {
  if (s === undefined) return NaN;
  const n = s.length;
  if (n === 0 || n > 20) return NaN;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return n <= 15 ? v : Number(s);
}

export function intOf(s: string | undefined): number {
  if (s === undefined || s.charCodeAt(0) !== 45 /* - */) return uintOf(s);
  return s.length > 1 ? -uintOf(s.slice(1)) : NaN;
}

export const isUint = (s: string | undefined): boolean => !Number.isNaN(uintOf(s));
export const isInt = (s: string | undefined): boolean => !Number.isNaN(intOf(s));

export { openFlagNames } from '../../open-flags.ts';
