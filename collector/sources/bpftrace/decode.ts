// Field decoding for habitwatch.bt records: bpftrace's buffer formats, argv, numbers and
// open flags. The record layouts are in habitwatch.bt's header; parse.ts dispatches.

/** decodes bpftrace %r output: printable ASCII kept, \xNN escapes → bytes, UTF-8 */
export function decodeR(s: string): string {
  if (s.indexOf('\\x') < 0) return s;
  const latin = s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(latin, 'latin1').toString('utf8');
}

const HEX_BYTES = /^(?:[0-9a-f]{2}(?: [0-9a-f]{2})*)?$/;

/** decodes bpftrace %rh output (`2f 62 69 6e`): undefined when it is not that form */
export function decodeHexBytes(s: string): Buffer | undefined {
  if (!HEX_BYTES.test(s)) return undefined;
  return Buffer.from(s.replaceAll(' ', ''), 'hex');
}

/** a NUL-padded comm from buf(comm, 16) */
export function decodeComm(s: string): string {
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

export const isUint = (s: string | undefined): boolean => s !== undefined && s.length > 0 && s.length < 21 && /^\d+$/.test(s);
export const isInt = (s: string | undefined): boolean => s !== undefined && s.length > 0 && s.length < 21 && /^-?\d+$/.test(s);

export { openFlagNames } from '../../open-flags.ts';
