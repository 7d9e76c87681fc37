// Paths one container wrote, remembered for drift detection (running a file the
// container itself wrote). Every write event lands here, so it must be cheap:
//
// - Each path is kept as a 64-bit fingerprint (two 32-bit hashes) in flat typed
//   arrays with open addressing, not as a string in a Set. A Set holds every written
//   path string alive (most are temp and cache names, written once), which the garbage
//   collector copies and promotes; in a replay this cost ~0.5 µs per write event.
// - Two generations: when the young table holds its share, it becomes the old one
//   and the older is dropped. Bounded, O(1), and the newest half is never forgotten.
//
// Exactness: two different paths share a fingerprint with probability ~2^-64 per
// pair. The only effect of a collision is a drift alert on a file the container did
// not write (a false alert, never a missed one).

const EMPTY = 0;

/** FNV-1a and a second, differently seeded multiplicative hash, each finalised (murmur3 fmix32). */
function fingerprint(s: string, out: Uint32Array): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  out[0] = fmix(a ^ s.length) || 1; // 0 marks an empty slot
  out[1] = fmix(b);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A set of fingerprints: open addressing, linear probing, load ≤ 1/2, grows to a cap. */
class FingerprintTable {
  size = 0;
  private hi: Uint32Array;
  private lo: Uint32Array;

  constructor(slots = 16) {
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
  }

  has(h: number, l: number): boolean {
    const mask = this.hi.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = this.hi[i];
      if (x === EMPTY) return false;
      if (x === h && this.lo[i] === l) return true;
    }
  }

  add(h: number, l: number): void {
    if ((this.size + 1) * 2 > this.hi.length) this.grow();
    const mask = this.hi.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = this.hi[i];
      if (x === EMPTY) {
        this.hi[i] = h;
        this.lo[i] = l;
        this.size++;
        return;
      }
      if (x === h && this.lo[i] === l) return;
    }
  }

  private grow(): void {
    const { hi, lo } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(hi.length * 2);
    this.size = 0;
    for (let i = 0; i < hi.length; i++) if (hi[i] !== EMPTY) this.add(hi[i], lo[i]);
  }
}

const FP = new Uint32Array(2);

export class WrittenPaths {
  private young = new FingerprintTable();
  private old: FingerprintTable | undefined;

  /** @param max paths remembered at least (the newest max/2 always) */
  constructor(private readonly max: number) {}

  add(path: string): void {
    if (this.young.size >= this.max / 2) {
      this.old = this.young;
      this.young = new FingerprintTable();
    }
    fingerprint(path, FP);
    this.young.add(FP[0], FP[1]);
  }

  has(path: string): boolean {
    fingerprint(path, FP);
    const h = FP[0];
    const l = FP[1];
    return this.young.has(h, l) || (this.old !== undefined && this.old.has(h, l));
  }
}
