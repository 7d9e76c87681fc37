// open(2) flags as the names events carry (file_open.flags, file_write.flags), shared
// by the sources that see the raw number (bpftrace, auditd).

// x86_64/aarch64 open(2) flag values (asm-generic; O_DIRECTORY/O_NOFOLLOW differ on arm,
// which names them the same way here: they are shown, not acted on)
const FLAG_NAMES: [number, string][] = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o2000000, 'O_CLOEXEC'],
  [0o10000000, 'O_PATH'],
];
const ACCESS = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'];

/** open flags as names, access mode first: 0o1101 → [O_WRONLY, O_CREAT, O_TRUNC] */
export function openFlagNames(flags: number): string[] {
  const names = [ACCESS[flags & 3]];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) names.push(name);
  return names;
}
