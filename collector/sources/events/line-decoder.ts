// Decodes lines of normalised events, parsing the part that every line of a container
// repeats only once.
//
// Every event of a container carries the same `,"workload":{…},"container":{…}` text:
// about 40% of a typical line and about 25% of its JSON.parse time. When a line holds
// text seen before, the decoder parses the line with that text replaced by two marker
// strings and puts back the objects decoded from it the first time. Those objects are
// shared by all the events of that container and frozen: nothing downstream may change
// them (an attempt throws instead of silently changing other events).
//
// Why the result is exactly what decoding the whole line gives:
// - an entry holds a text T = `,"workload":W` (optionally followed by `,"container":C`)
//   and the objects w and c, kept only when T equals JSON.stringify of w (and c) after
//   decoding: so T is valid JSON for w and c, and decoding left them as parsed;
// - the line is P + T + S; the decoder parses P + M + S, where M puts a marker string
//   in place of each object. The marker holds a random nonce no input can forge, so when
//   the parsed object's top-level `workload` (and `container`) is the marker, M was
//   parsed as those top-level members and nothing later in the line replaced them. T
//   parses as the same members in the same place, so P + T + S is the same object with w
//   and c in place of the markers;
// - otherwise (a marker elsewhere, a parse error, no entry) the whole line is parsed.
import { randomBytes } from 'node:crypto';
import { decodeEvent, type DecodeResult } from './decode.ts';
import { fnv1a } from '../../fnv.ts';
import type { ContainerRef, WorkloadRef } from '../../event.ts';

// searched for from its 'w' (2.5x faster than from the comma: commas and quotes are
// everywhere in JSON); the `,"` before it is checked apart
const NEEDLE = 'workload":{"id":"';
const WORKLOAD = ',"workload":';
const CONTAINER = ',"container":';
/** slots of the entry table (by a hash of the workload id) and entries per slot */
const SLOTS = 1024;
const PER_SLOT = 8;
/** after this many lookups with fewer than a quarter hits, stop looking for a while */
const WINDOW = 1024;
const PAUSE_LINES = 16_384;

interface Entry {
  text: string;
  workload: WorkloadRef;
  container: ContainerRef | undefined;
}

export class EventLineDecoder {
  private readonly slots: (Entry[] | undefined)[] = new Array<Entry[] | undefined>(SLOTS).fill(undefined);
  private readonly nonce = randomBytes(12).toString('base64');
  private readonly markW = `${WORKLOAD}"${this.nonce}"`;
  private readonly markWC = `${this.markW}${CONTAINER}"${this.nonce}"`;
  private lookups = 0;
  private hits = 0;
  private paused = 0;
  /** lines decoded with a remembered envelope (for tests and benchmarks) */
  reused = 0;

  constructor(private readonly defaults: { node: string; source?: string }) {}

  /** A line's event, or why it is not one (`invalid_json` with the line as detail: stats redact and shorten it). */
  decode(line: string): DecodeResult {
    if (this.paused > 0) {
      this.paused--;
      return this.whole(line, -1, 0);
    }
    const w = line.indexOf(NEEDLE);
    if (w < 2 || line.charCodeAt(w - 1) !== 34 /* " */ || line.charCodeAt(w - 2) !== 44 /* , */) return this.whole(line, -1, 0);
    const at = w - 2;
    // the slot: a hash of the id up to the next quote (an escaped quote only shortens
    // what is hashed: the comparison below checks every character)
    const id = w + NEEDLE.length;
    const q = line.indexOf('"', id);
    const slot = fnv1a(line, id, q === -1 ? line.length : q) % SLOTS;
    this.count();
    const entries = this.slots[slot];
    if (entries !== undefined) {
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (line.slice(at, at + e.text.length) === e.text) return this.withEntry(line, at, e);
      }
    }
    return this.whole(line, at, slot);
  }

  private withEntry(line: string, at: number, e: Entry): DecodeResult {
    let v: unknown;
    try {
      v = JSON.parse(line.slice(0, at) + (e.container === undefined ? this.markW : this.markWC) + line.slice(at + e.text.length));
    } catch {
      return this.whole(line, -1, 0); // the line's own error
    }
    const o = v as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || o.workload !== this.nonce || (e.container !== undefined && o.container !== this.nonce)) return this.whole(line, -1, 0);
    this.hits++;
    this.reused++;
    o.workload = e.workload;
    if (e.container !== undefined) o.container = e.container;
    return decodeEvent(v, this.defaults);
  }

  /** Parse the whole line; at ≥ 0: the needle's place, to remember the envelope of a good event. */
  private whole(line: string, at: number, slot: number): DecodeResult {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return { ok: false, reason: 'invalid_json', detail: line };
    }
    const r = decodeEvent(v, this.defaults);
    if (r.ok && at >= 0) this.learn(line, at, slot, r.event.workload, r.event.container);
    return r;
  }

  private learn(line: string, at: number, slot: number, w: WorkloadRef | undefined, c: ContainerRef | undefined): void {
    if (w === undefined) return;
    let text = WORKLOAD + JSON.stringify(w);
    if (line.slice(at, at + text.length) !== text) return;
    let container: ContainerRef | undefined;
    if (c !== undefined) {
      const withC = `${text}${CONTAINER}${JSON.stringify(c)}`;
      if (line.slice(at, at + withC.length) === withC) {
        text = withC;
        container = Object.freeze(c);
      }
    }
    const e: Entry = { text, workload: Object.freeze(w), container };
    const entries = this.slots[slot];
    if (entries === undefined) this.slots[slot] = [e];
    else {
      if (entries.length >= PER_SLOT) entries.pop();
      // a workload alone is a prefix of its envelopes with a container: tried last
      if (container === undefined) entries.push(e);
      else entries.unshift(e);
    }
  }

  private count(): void {
    if (++this.lookups < WINDOW) return;
    if (this.hits * 4 < this.lookups) this.paused = PAUSE_LINES;
    this.lookups = 0;
    this.hits = 0;
  }
}
