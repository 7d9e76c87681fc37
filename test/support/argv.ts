// Random argv with every byte class, and each source's encoding of an argv, written from
// the formats as the producers document or implement them (the kernel's audit and /proc
// formats, bpftrace's printf, Tetragon's ArgsDecoder, Falco's proc.args), for the
// round-trip property test (test/collector/argv-roundtrip.test.ts).

/** a small deterministic PRNG (mulberry32): the same seed, the same argv */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// byte classes: each piece is raw bytes (argv elements are bytes in the kernel; never NUL)
const PIECES: Buffer[] = [
  ...['a', 'b', 'f', 'x', 'Z', '0', '7', '-', '_', '.', '/', '=', ':'].map((s) => Buffer.from(s)),
  ...[',', '(', ')', '[', ']', '{', '}', '"', "'", '`', ' ', '  ', '\t', '\n', '\r', '\\', '\\x41', '\\n', '%', '$', '|', ';', '&', '*'].map((s) => Buffer.from(s)),
  ...['é', 'ü', '中', '😀', '\u00a0'].map((s) => Buffer.from(s, 'utf8')),
  Buffer.from([0xff]),
  Buffer.from([0xc3]), // a lead byte without its continuation
  Buffer.from([0x80]), // a lone continuation byte
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate (invalid in UTF-8)
  Buffer.from([0x01]),
  Buffer.from([0x7f]),
];

/** 1-8 arguments of 0-20 pieces each; some empty */
export function randomArgv(r: () => number): Buffer[] {
  const n = 1 + Math.floor(r() * 8);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const len = r() < 0.1 ? 0 : Math.floor(r() * 20);
    const parts: Buffer[] = [];
    for (let k = 0; k < len; k++) parts.push(PIECES[Math.floor(r() * PIECES.length)]);
    out.push(Buffer.concat(parts));
  }
  return out;
}

/** what any source must report for these bytes: each argument as UTF-8 (invalid → U+FFFD) */
export function asText(argv: Buffer[]): string[] {
  return argv.map((b) => b.toString('utf8'));
}

/** /proc/PID/cmdline: every argument NUL-terminated */
export function procCmdline(argv: Buffer[]): Buffer {
  return Buffer.concat(argv.flatMap((a) => [a, Buffer.from([0])]));
}

/** bpftrace habitwatch.bt: H records (the argument area in ≤180-byte %rh chunks), then X */
export function bpftraceExecLines(argv: Buffer[], o: { pid: number; cgroup: string; nsecs: number; exe: string }): string[] {
  const area = procCmdline(argv);
  const start = 140000000000000 + o.pid;
  const lines: string[] = [];
  for (let i = 0, c = 0; i < area.length && c < 8; i += 180, c++) {
    const chunk = area.subarray(i, Math.min(i + 180, area.length));
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(JSON.stringify({ type: 'printf', data: `H\t${o.pid}\t${start}\t${c}\t${hex}\n` }));
  }
  lines.push(JSON.stringify({ type: 'printf', data: `X\t${o.nsecs}\t${o.pid}\t${o.pid}\t1\t${o.cgroup}\t0\t${start}\t${area.length}\t${o.exe}\n` }));
  return lines;
}

/**
 * The kernel's EXECVE audit record (audit_log_execve_info): an argument with a byte
 * that is `"`, below 0x21 or above 0x7e is logged as upper-case hex, any other (the
 * empty one too) in double quotes.
 */
export function auditExecveFields(argv: Buffer[]): string {
  const parts = [`argc=${argv.length}`];
  argv.forEach((a, i) => {
    const control = [...a].some((b) => b === 0x22 || b < 0x21 || b > 0x7e);
    parts.push(control ? `a${i}=${a.toString('hex').toUpperCase()}` : `a${i}="${a.toString('latin1')}"`);
  });
  return parts.join(' ');
}

/** the records of one execve in the audit log (RAW format) */
export function auditExecLines(argv: Buffer[], o: { serial: number; pid: number; exe: string }): string[] {
  const msg = `msg=audit(1700000000.${String(o.serial % 1000).padStart(3, '0')}:${o.serial}):`;
  const title = procCmdline(argv).subarray(0, 128);
  return [
    `type=SYSCALL ${msg} arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=1 ppid=1 pid=${o.pid} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="${o.exe}" key="hw-exec"`,
    `type=EXECVE ${msg} ${auditExecveFields(argv)}`,
    `type=CWD ${msg} cwd="/"`,
    `type=PATH ${msg} item=0 name="${o.exe}" inode=1 dev=00:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`,
    `type=PROCTITLE ${msg} proctitle=${title.subarray(0, title.length - (title[title.length - 1] === 0 ? 1 : 0)).toString('hex').toUpperCase()}`,
  ];
}

/**
 * Tetragon's process.arguments (its ArgsDecoder): argv[1..] joined by one space; an
 * argument holding a space is wrapped in double quotes with a space before it, even when
 * it is the first. Nothing is escaped.
 */
export function tetragonArguments(args: string[]): string {
  let s = '';
  for (const a of args) {
    if (a.includes(' ')) s = s + ' "' + a + '"';
    else s = s === '' ? a : s + ' ' + a;
  }
  return s;
}

/** can Tetragon's string carry these arguments unambiguously? (empty ones vanish; see tetragon/argv.ts) */
export function tetragonCarries(args: string[]): boolean {
  return args.every((a) => a !== '' && (a.includes(' ') ? !a.includes('" ') : !a.startsWith('"')));
}

/** Falco's proc.args: argv[1..] joined by single spaces, nothing quoted */
export function falcoArgs(args: string[]): string {
  return args.join(' ');
}

/** can Falco's string carry these arguments? (no spaces inside, none empty) */
export function falcoCarries(args: string[]): boolean {
  return args.every((a) => a !== '' && !a.includes(' '));
}
