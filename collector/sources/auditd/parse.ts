// Hand scanner for audit log lines: `[node=N ]type=T msg=audit(SECS.MMM:SERIAL): k=v …`
// (RAW) or the same followed by `\x1d` and interpreted UPPERCASE fields (ENRICHED).
// One regex per field would dominate the decode cost, so this walks char codes and
// keeps its results in a reusable object instead of allocating per record.

/** record types the event grouper uses; everything else is skipped */
export enum RecType {
  OTHER = 0,
  SYSCALL = 1,
  EXECVE = 2,
  CWD = 3,
  PATH = 4,
  SOCKADDR = 5,
  PROCTITLE = 6,
  EOE = 7,
  /** auditd's own DAEMON_* records: a separate serial sequence */
  DAEMON = 8,
}

const TYPE_BY_NAME: Record<string, RecType> = {
  'UNKNOWN[1300]': RecType.SYSCALL,
  'UNKNOWN[1309]': RecType.EXECVE,
  'UNKNOWN[1307]': RecType.CWD,
  'UNKNOWN[1302]': RecType.PATH,
  'UNKNOWN[1306]': RecType.SOCKADDR,
  'UNKNOWN[1327]': RecType.PROCTITLE,
  'UNKNOWN[1320]': RecType.EOE,
};

/** record type of line[s, e) without slicing it: most lines are types we skip */
function recType(line: string, s: number, e: number): RecType {
  const len = e - s;
  switch (line.charCodeAt(s)) {
    case 83: // S
      if (len === 7 && line.startsWith('SYSCALL', s)) return RecType.SYSCALL;
      if (len === 8 && line.startsWith('SOCKADDR', s)) return RecType.SOCKADDR;
      return RecType.OTHER;
    case 69: // E
      if (len === 6 && line.startsWith('EXECVE', s)) return RecType.EXECVE;
      if (len === 3 && line.startsWith('EOE', s)) return RecType.EOE;
      return RecType.OTHER;
    case 67: // C
      return len === 3 && line.startsWith('CWD', s) ? RecType.CWD : RecType.OTHER;
    case 80: // P
      if (len === 4 && line.startsWith('PATH', s)) return RecType.PATH;
      if (len === 9 && line.startsWith('PROCTITLE', s)) return RecType.PROCTITLE;
      return RecType.OTHER;
    case 68: // D
      return line.startsWith('DAEMON_', s) ? RecType.DAEMON : RecType.OTHER;
    case 85: // U: old userspace prints record types it does not know by number
      return line.startsWith('UNKNOWN[', s) ? (TYPE_BY_NAME[line.slice(s, e)] ?? RecType.OTHER) : RecType.OTHER;
    default:
      return RecType.OTHER;
  }
}

/** Header of the last parsed line. Reused: copy what you keep. */
export interface Header {
  type: RecType;
  node: string | undefined;
  /** `SECS.MMM:SERIAL`, the event key (with node); '' for record types we skip */
  stamp: string;
  timeMs: number;
  serial: number;
  /** index of the first field after `): ` */
  body: number;
  /** end of the line; the raw part also ends at the `\x1d` of ENRICHED lines (see FieldScanner) */
  end: number;
}

export type HeaderError = 'no_type' | 'no_msg' | 'bad_stamp';

const C_SPACE = 32;
const C_EQ = 61;
const C_QUOTE = 34;
const C_SQUOTE = 39;
const C_COLON = 58;
const C_DOT = 46;
const C_0 = 48;
const C_9 = 57;
const C_GS = 0x1d;

/**
 * Parse the header into `h`. Returns undefined on success or a reason token.
 * Does not look at the fields.
 */
export function parseHeader(line: string, h: Header): HeaderError | undefined {
  let p = 0;
  h.node = undefined;
  if (line.startsWith('node=')) {
    const sp = line.indexOf(' ', 5);
    if (sp < 0) return 'no_type';
    h.node = line.slice(5, sp);
    p = sp + 1;
  }
  if (!line.startsWith('type=', p)) return 'no_type';
  const tEnd = line.indexOf(' ', p + 5);
  if (tEnd < 0) return 'no_msg';
  h.type = recType(line, p + 5, tEnd);
  p = tEnd + 1;
  if (!line.startsWith('msg=audit(', p)) return 'no_msg';
  const s0 = p + 10;
  const close = line.indexOf(')', s0);
  if (close < 0) return 'bad_stamp';
  // SECS.MMM:SERIAL, digits only
  let secs = 0;
  let i = s0;
  let c = line.charCodeAt(i);
  if (c < C_0 || c > C_9) return 'bad_stamp';
  while (i < close && (c = line.charCodeAt(i)) >= C_0 && c <= C_9) {
    secs = secs * 10 + (c - C_0);
    i++;
  }
  if (c !== C_DOT) return 'bad_stamp';
  i++;
  let ms = 0;
  let digits = 0;
  while (i < close && (c = line.charCodeAt(i)) >= C_0 && c <= C_9) {
    if (digits < 3) ms = ms * 10 + (c - C_0);
    digits++;
    i++;
  }
  if (digits === 0 || c !== C_COLON) return 'bad_stamp';
  while (digits < 3) {
    ms *= 10;
    digits++;
  }
  i++;
  let serial = 0;
  const serStart = i;
  while (i < close && (c = line.charCodeAt(i)) >= C_0 && c <= C_9) {
    serial = serial * 10 + (c - C_0);
    i++;
  }
  if (i !== close || i === serStart || serial > 0xffffffff) return 'bad_stamp';
  h.timeMs = secs * 1000 + ms;
  h.serial = serial;
  // the key string only for records that get grouped (skipped types are most lines)
  h.stamp = h.type === RecType.OTHER || h.type === RecType.DAEMON ? '' : line.slice(s0, close);
  let b = close + 1;
  if (line.charCodeAt(b) === C_COLON) b++;
  h.body = b;
  // the ENRICHED part after \x1d is found by the field scanner, which stops there:
  // searching for it here would scan every line, also the ones we skip
  h.end = line.length;
  return undefined;
}

export function newHeader(): Header {
  return { type: RecType.OTHER, node: undefined, stamp: '', timeMs: 0, serial: 0, body: 0, end: 0 };
}

/**
 * Walks `key=value` fields of one record. After next() returns true, the key is
 * line[ks, ke) and the raw value line[vs, ve) — without quotes when `quoted`.
 */
export class FieldScanner {
  line = '';
  pos = 0;
  end = 0;
  ks = 0;
  ke = 0;
  vs = 0;
  ve = 0;
  quoted = false;

  reset(line: string, start: number, end: number): void {
    this.line = line;
    this.pos = start;
    this.end = end;
  }

  next(): boolean {
    const line = this.line;
    const end = this.end;
    let p = this.pos;
    for (;;) {
      while (p < end && line.charCodeAt(p) === C_SPACE) p++;
      if (p >= end || line.charCodeAt(p) === C_GS) {
        // end of the raw fields (ENRICHED lines continue with interpreted ones)
        this.pos = this.end = p;
        return false;
      }
      const ks = p;
      let c = 0;
      while (p < end) {
        c = line.charCodeAt(p);
        if (c === C_EQ || c === C_SPACE || c === C_GS) break;
        p++;
      }
      if (p >= end || c !== C_EQ) {
        // a bare word (e.g. AVC text "denied { read }"): skip it
        continue;
      }
      this.ks = ks;
      this.ke = p;
      p++;
      const q = line.charCodeAt(p);
      if (q === C_QUOTE || q === C_SQUOTE) {
        const close = line.indexOf(q === C_QUOTE ? '"' : "'", p + 1);
        const ve = close < 0 || close > end ? end : close;
        this.vs = p + 1;
        this.ve = ve;
        this.quoted = true;
        this.pos = ve + 1;
        return true;
      }
      const vs = p;
      while (p < end) {
        const v = line.charCodeAt(p);
        if (v === C_SPACE || v === C_GS) break;
        p++;
      }
      this.vs = vs;
      this.ve = p;
      this.quoted = false;
      this.pos = p;
      return true;
    }
  }

  keyIs(k: string): boolean {
    return this.ke - this.ks === k.length && this.line.startsWith(k, this.ks);
  }

  rawValue(): string {
    return this.line.slice(this.vs, this.ve);
  }

  /** the value of a string field: quoted = literal, unquoted hex = decoded, (null) = undefined */
  stringValue(): string | undefined {
    if (this.quoted) return this.line.slice(this.vs, this.ve);
    return decodeUnquoted(this.line, this.vs, this.ve);
  }

  /** decimal integer value (optionally negative), NaN when not a number */
  intValue(): number {
    return parseDecimal(this.line, this.vs, this.ve);
  }
}

export function parseDecimal(s: string, start: number, end: number): number {
  let i = start;
  let neg = false;
  if (s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  if (i >= end) return NaN;
  let n = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < C_0 || c > C_9) return NaN;
    n = n * 10 + (c - C_0);
  }
  return neg ? -n : n;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

export function isHex(s: string, start = 0, end = s.length): boolean {
  if (end <= start || (end - start) % 2 !== 0) return false;
  for (let i = start; i < end; i++) if (hexVal(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** unquoted string field: `(null)`/`(none)`/`?` → undefined, even-length hex → decoded bytes, else literal */
export function decodeUnquoted(s: string, start: number, end: number): string | undefined {
  if (end <= start) return undefined;
  const c = s.charCodeAt(start);
  if (c === 40 /* ( */ && (s.startsWith('(null)', start) || s.startsWith('(none)', start)) && end - start === 6) return undefined;
  if (isHex(s, start, end)) return hexDecode(s.slice(start, end));
  return s.slice(start, end);
}

/** hex → UTF-8 text (invalid sequences become U+FFFD) */
export function hexDecode(hex: string): string {
  return Buffer.from(hex, 'hex').toString('utf8');
}

/** hex → bytes, or undefined when not valid hex */
export function hexBytes(hex: string): Buffer | undefined {
  if (!isHex(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

/** Parse a hex integer string (SYSCALL a0..a3), up to 2^53; undefined when not hex */
export function parseHexInt(s: string): number | undefined {
  if (s.length === 0 || s.length > 16) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const v = hexVal(s.charCodeAt(i));
    if (v < 0) return undefined;
    n = n * 16 + v;
  }
  return n;
}
