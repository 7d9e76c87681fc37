// Syscall number → name by audit arch (SYSCALL arch=…). Numbers differ per ABI:
// execve is 59 on x86_64, 221 on aarch64, 11 for 32-bit tasks on x86_64.
import { AARCH64, I386, X86_64 } from './syscall-tables.ts';

export const ARCH_X86_64 = 'c000003e';
export const ARCH_AARCH64 = 'c00000b7';
export const ARCH_I386 = '40000003';

function load(table: string): string[] {
  const out: string[] = [];
  for (const pair of table.split(' ')) {
    if (pair === '') continue;
    const colon = pair.indexOf(':');
    out[Number(pair.slice(0, colon))] = pair.slice(colon + 1);
  }
  return out;
}

const TABLES: Record<string, string[]> = {
  [ARCH_X86_64]: load(X86_64),
  [ARCH_AARCH64]: load(AARCH64),
  [ARCH_I386]: load(I386),
};

/** the syscall's name, or `syscall_<nr>` when the arch or number is not in the tables */
export function syscallName(arch: string, nr: number): string {
  const t = TABLES[arch] ?? TABLES[arch.toLowerCase()];
  return t?.[nr] ?? `syscall_${nr}`;
}

/** human name of an audit arch value, for logs and tests */
export function archName(arch: string): string {
  switch (arch.toLowerCase()) {
    case ARCH_X86_64:
      return 'x86_64';
    case ARCH_AARCH64:
      return 'aarch64';
    case ARCH_I386:
      return 'i386';
    default:
      return arch;
  }
}
