import assert from 'node:assert/strict';
import { EventLineDecoder } from '../../../../collector/sources/events/line-decoder.ts';
import { decodeEvent, type DecodeResult } from '../../../../collector/sources/events/decode.ts';

const defaults = { node: 'n1' };
const W = { id: 'shop/Deployment/web', namespace: 'shop', kind: 'Deployment', name: 'web', container: 'nginx', pod: 'web-1' };
const C = { id: 'a'.repeat(64), runtime: 'containerd', image: 'nginx:1.27' };
const proc = (pid: number) => ({ pid, exe: '/usr/sbin/nginx', args: ['nginx', '-g', 'daemon off;'] });
const line = (i: number, extra: Record<string, unknown> = {}, w: unknown = W, c: unknown = C) =>
  JSON.stringify({ time: 1700000000000 + i, node: 'n1', process: proc(i), workload: w, container: c, kind: 'file_write', path: `/var/log/${i}.log`, ...extra });

/** what decoding the whole line gives: the reference the decoder must match */
function reference(l: string): DecodeResult {
  let v: unknown;
  try {
    v = JSON.parse(l);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: l };
  }
  return decodeEvent(v, defaults);
}

// results as plain JSON trees: the decoder's events must equal the reference's exactly
function same(d: EventLineDecoder, l: string): DecodeResult {
  const got = d.decode(l);
  assert.deepEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(reference(l))), l);
  return got;
}

describe('events line decoder: the repeated workload and container are parsed once', () => {
  it('decodes repeated envelopes to the same events as JSON.parse, sharing frozen objects', () => {
    const d = new EventLineDecoder(defaults);
    const a = same(d, line(1));
    const b = same(d, line(2));
    const c = same(d, line(3, { kind: 'connect', path: undefined, dstAddr: '10.0.0.5', dstPort: 80 }));
    assert.equal(d.reused, 2);
    assert.ok(a.ok && b.ok && c.ok);
    assert.equal(b.event.workload, a.event.workload, 'one workload object for the container');
    assert.equal(c.event.container, a.event.container);
    assert.ok(Object.isFrozen(b.event.workload) && Object.isFrozen(b.event.container));
    // a change would reach every event of the container: it throws instead
    assert.throws(() => {
      (b.event.workload as { name: string }).name = 'other';
    }, TypeError);
    // the rest of each event is its own
    assert.notEqual(b.event.process, a.event.process);
  });

  it('a different pod, container or field order is a different envelope, decoded in full', () => {
    const d = new EventLineDecoder(defaults);
    same(d, line(1));
    same(d, line(2, {}, { ...W, pod: 'web-2' }));
    same(d, line(3, {}, W, { ...C, image: 'nginx:1.28' }));
    same(d, line(4, {}, { name: W.name, id: W.id, namespace: W.namespace, kind: W.kind }));
    same(d, line(5, {}, W, { runtime: 'containerd', id: C.id }));
    assert.equal(d.reused, 0);
    // a workload without a (valid) container is remembered on its own
    same(d, line(6, {}, W, null));
    same(d, line(7, {}, W, null));
    same(d, line(8, {}, W, { ...C, runtime: 'rkt' }));
    const r = same(d, line(9));
    assert.ok(r.ok && Object.isFrozen(r.event.container), 'the whole envelope is preferred to the workload alone');
    assert.equal(d.reused, 3, 'lines 7 and 8 reuse the workload of line 6, line 9 the envelope of line 1');
  });

  it('only what decoding leaves unchanged is remembered', () => {
    const d = new EventLineDecoder(defaults);
    // a bad optional workload field is dropped by decoding: never remembered, so the
    // next line is decoded in full (a frozen object could not have it dropped)
    const badW = { ...W, namespace: 5 };
    same(d, line(1, {}, badW));
    same(d, line(2, {}, badW));
    // an unknown runtime becomes `unknown`: the workload is remembered, not the container
    const badC = { ...C, runtime: 'rkt' };
    same(d, line(3, {}, W, badC));
    const r = same(d, line(4, {}, W, badC));
    assert.ok(r.ok && !Object.isFrozen(r.event.container) && Object.isFrozen(r.event.workload));
    assert.equal(d.reused, 1);
  });

  it('an envelope that is not the top-level one, or is overridden later, decodes as JSON.parse does', () => {
    const d = new EventLineDecoder(defaults);
    same(d, line(1));
    const env = `,"workload":${JSON.stringify(W)},"container":${JSON.stringify(C)}`;
    const other = { ...W, id: 'shop/Deployment/api', name: 'api' };
    // the same text nested inside another object, before the real workload
    same(d, `{"time":1700000000002,"kind":"exec","cgroup":{"path":"/x"${env}},"process":{"pid":2,"exe":"/x"},"workload":${JSON.stringify(other)}}`);
    // a later duplicate key wins in JSON.parse, and here
    same(d, `{"time":1700000000003,"kind":"exec","process":{"pid":3,"exe":"/x"}${env},"workload":${JSON.stringify(other)}}`);
    // a marker-looking string in the line cannot stand in for the envelope
    same(d, `{"time":1700000000004,"kind":"exec","process":{"pid":4,"exe":"/x"}${env},"container":"x"}`);
    // the known envelope in a line that is not JSON after it
    same(d, `{"time":1700000000005,"kind":"exec","process":{"pid":5,"exe":"/x"}${env},"path":}`);
    same(d, `{"time":1700000000006,"kind":"exec","process":{"pid":6,"exe":"/x"}${env}`);
    // and one that is fine again
    same(d, line(7));
  });

  it('ids with escapes and lines with non-ASCII text decode the same', () => {
    const d = new EventLineDecoder(defaults);
    const w = { ...W, id: 'shop/Deployment/"q"\\web' };
    same(d, line(1, { path: '/données/é.log' }, w));
    same(d, line(2, { path: '/日本/ログ' }, w));
    same(d, line(3, { path: '/données/é.log' }));
    same(d, line(4, { path: '/données/é.log' }));
    assert.equal(d.reused, 2);
  });

  it('input whose envelopes rarely repeat decodes the same (and stops looking for a while)', () => {
    const d = new EventLineDecoder(defaults);
    for (let i = 0; i < 5000; i++) same(d, line(i, {}, { ...W, pod: `web-${i}` }, { ...C, id: String(i).padStart(64, '0') }));
    // then repeating ones again: still exact
    for (let i = 0; i < 50; i++) same(d, line(i));
  });

  it('keeps up to 8 envelopes per workload id, and decodes the same beyond that', () => {
    const d = new EventLineDecoder(defaults);
    for (let round = 0; round < 3; round++) for (let p = 0; p < 8; p++) same(d, line(p, {}, { ...W, pod: `web-${p}` }));
    assert.equal(d.reused, 16, 'eight pods of one workload: all remembered after the first round');
    const e = new EventLineDecoder(defaults);
    for (let round = 0; round < 3; round++) for (let p = 0; p < 40; p++) same(e, line(p, {}, { ...W, pod: `web-${p}` }));
  });
});
