// A string-keyed cache for what the decoder derives from fields that repeat across
// events (container ids, exec ids): a Map with a direct-mapped front.
//
// Why the front: every parsed line brings fresh string instances, and V8 hashes each
// fresh string in full on a Map lookup — for a 77-character container id that cost
// more than the rest of its event's lookups. The front picks a slot from a few
// characters and confirms the key by string equality (which stops at the first
// differing character); only a front miss pays the Map's hashing.

export class StringMemo<V> {
  private readonly keys: (string | undefined)[];
  private readonly values: (V | undefined)[];
  private readonly mask: number;
  private readonly map = new Map<string, V>();

  /** 2^bits front slots; the Map is cleared when it reaches `max` entries */
  constructor(
    bits: number,
    private readonly max: number,
  ) {
    this.mask = (1 << bits) - 1;
    this.keys = new Array<string | undefined>(1 << bits).fill(undefined);
    this.values = new Array<V | undefined>(1 << bits).fill(undefined);
  }

  get(key: string): V | undefined {
    const i = slot(key, this.mask);
    if (this.keys[i] === key) return this.values[i];
    const v = this.map.get(key);
    if (v !== undefined) {
      this.keys[i] = key;
      this.values[i] = v;
    }
    return v;
  }

  set(key: string, value: V): void {
    if (this.map.size >= this.max) {
      this.map.clear();
      this.keys.fill(undefined);
      this.values.fill(undefined);
    }
    this.map.set(key, value);
    const i = slot(key, this.mask);
    this.keys[i] = key;
    this.values[i] = value;
  }
}

/**
 * Slot of a key from its length and a few characters: the last ones (hex digests,
 * base64 of `node:ktime:pid`, where the pid ends up) and two inner ones.
 */
function slot(k: string, mask: number): number {
  const n = k.length;
  let h = Math.imul(n, 0x9e3779b1);
  if (n < 8) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  } else {
    h = Math.imul(h ^ k.charCodeAt(n - 1), 0x01000193);
    h = Math.imul(h ^ k.charCodeAt(n - 2), 0x01000193);
    h = Math.imul(h ^ k.charCodeAt(n - 3), 0x01000193);
    h = Math.imul(h ^ k.charCodeAt(n >> 1), 0x01000193);
    h = Math.imul(h ^ k.charCodeAt(n >> 2), 0x01000193);
  }
  return (h ^ (h >>> 15)) & mask;
}
