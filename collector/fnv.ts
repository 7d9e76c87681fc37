// FNV-1a (32-bit): a cheap, well-spread hash for picking a shard or a table slot. Not
// an identity: callers that need one compare what they found.
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-16 code units of s[from, to), unsigned */
export function fnv1a(s: string, from = 0, to = s.length): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}
