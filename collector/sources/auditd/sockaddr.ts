// SOCKADDR saddr=<hex struct sockaddr> decoding. The family is 2 bytes in host
// order (little-endian on x86_64/aarch64, so AF_INET reads `0200`); port and
// addresses are network order. Big-endian hosts print `0002`, handled too.

export type SockAddr =
  | { family: 'inet' | 'inet6'; addr: string; port: number }
  | { family: 'unix'; path: string }
  | { family: 'netlink' | 'other'; code: number };

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;

export function decodeSockaddr(hex: string): SockAddr | undefined {
  if (hex.length < 4 || hex.length % 2 !== 0) return undefined;
  const b = Buffer.from(hex, 'hex');
  if (b.length * 2 !== hex.length) return undefined; // not all hex
  let fam = b.readUInt16LE(0);
  if (fam > 255 && b.readUInt16BE(0) <= 255) fam = b.readUInt16BE(0);
  switch (fam) {
    case AF_INET: {
      if (b.length < 8) return undefined;
      return { family: 'inet', port: b.readUInt16BE(2), addr: `${b[4]}.${b[5]}.${b[6]}.${b[7]}` };
    }
    case AF_INET6: {
      if (b.length < 24) return undefined;
      return { family: 'inet6', port: b.readUInt16BE(2), addr: formatIPv6(b.subarray(8, 24)) };
    }
    case AF_UNIX: {
      if (b.length <= 2) return { family: 'unix', path: '' };
      // abstract sockets start with a NUL byte; shown as @name like ss(8)
      if (b[2] === 0) {
        let end = b.length;
        while (end > 3 && b[end - 1] === 0) end--;
        return { family: 'unix', path: '@' + b.toString('utf8', 3, end) };
      }
      let end = b.indexOf(0, 2);
      if (end < 0) end = b.length;
      return { family: 'unix', path: b.toString('utf8', 2, end) };
    }
    case AF_NETLINK:
      return { family: 'netlink', code: fam };
    default:
      return { family: 'other', code: fam };
  }
}

/** RFC 5952 text form: lower case, longest zero run collapsed, v4-mapped as ::ffff:a.b.c.d */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i] << 8) | b[i + 1]);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}
