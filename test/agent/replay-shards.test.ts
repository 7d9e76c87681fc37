import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay, type ReplayOptions, type ReplayResult } from '../../agent/cli/replay.ts';
import { LineRouter, idShard } from '../../agent/replay/route.ts';
import { makeEvents } from '../../bench/gen.ts';
import { REPO } from '../support/env.ts';
import { assertValidAlert } from '../support/alert-schema.ts';

describe('replay sharding: routing a line by its workload bytes', () => {
  const line = (id: string, extra = ''): string => `{"kind":"exec","time":1,${extra}"workload":{"id":${JSON.stringify(id)},"kind":"Deployment","name":"x"}}`;

  it('agrees with the decoded id for ASCII ids, for every shard count', () => {
    for (const shards of [2, 3, 4, 7]) {
      for (const id of ['ns/Deployment/web', 'a', 'kube-system/DaemonSet/cilium', 'host', 'x'.repeat(300)]) {
        const buf = Buffer.from(line(id));
        assert.equal(new LineRouter(shards).route(buf, 0, buf.length), idShard(id, shards), `${id} over ${shards}`);
      }
    }
  });

  it('declines (-1) whatever it cannot read safely from bytes', () => {
    const r = (s: string): number => {
      const b = Buffer.from(s);
      return new LineRouter(4).route(b, 0, b.length);
    };
    assert.equal(r(line('ns/Deployment/wëb')), -1, 'non-ASCII');
    assert.equal(r(line('ns/De"ployment/web')), -1, 'escaped quote');
    assert.equal(r('{"kind":"exec","workload": {"id":"a"}}'), -1, 'other spacing');
    assert.equal(r(line('a', '"extra":{"workload":{"id":"b"}},')), -1, 'two workload keys');
    assert.equal(r('{"kind":"exec"}'), -1, 'no workload');
    assert.equal(r('{"kind":"exec","workload":{"id":"unterminated'), -1, 'truncated');
  });

  it('routes each line of a buffer by its own bytes, including lines without a workload', () => {
    const lines = [line('a'), '{"kind":"exec"}', '{"kind":"exec"}', line('b'), line('c'), '', line('d')];
    const buf = Buffer.from(lines.join('\n'));
    const router = new LineRouter(3);
    let start = 0;
    const got: number[] = [];
    for (const l of lines) {
      const end = start + Buffer.byteLength(l);
      got.push(router.route(buf, start, end));
      start = end + 1;
    }
    assert.deepEqual(got, [idShard('a', 3), -1, -1, idShard('b', 3), idShard('c', 3), -1, idShard('d', 3)]);
  });
});

describe('replay sharding: the same alerts on any number of threads', function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-shards-'));
    file = join(dir, 'mixed.jsonl');
    // 50 workloads learning, then a judged part with new behaviour in some of them,
    // and every kind of awkward line spread through it
    const lines = [...makeEvents(6000, { seed: 1 }), ...makeEvents(14000, { seed: 5, start: Date.parse('2026-06-02T00:00:00Z') })].map((e) => JSON.stringify(e));
    for (let i = 57; i < lines.length; i += 331) {
      const e = JSON.parse(lines[i]) as Record<string, unknown> & { workload: { id: string } };
      switch (i % 8) {
        case 0:
          lines[i] = '{"kind":"exec", broken';
          break;
        case 1:
          lines[i] = JSON.stringify({ kind: 'teleport', time: 1, workload: e.workload });
          break;
        case 2:
          lines[i] = '   ';
          break;
        case 3: // no workload: identity comes from the cgroup path
          delete (e as Partial<typeof e>).workload;
          e.cgroup = { path: '/kubepods.slice/kubepods-pod0b2d5c3e_1111_2222_3333_444455556666.slice/cri-containerd-' + 'ab'.repeat(32) + '.scope' };
          lines[i] = JSON.stringify(e);
          break;
        case 4:
          e.workload.id = 'ns1/Deployment/wëb';
          lines[i] = JSON.stringify(e);
          break;
        case 5:
          lines[i] = JSON.stringify(e).replace('"workload":{', '"workload": {');
          break;
        case 6:
          e.extra = { workload: { id: 'ns0/Deployment/app7' } };
          lines[i] = JSON.stringify(e);
          break;
        default:
          lines[i] = JSON.stringify(e) + '\r';
      }
    }
    lines.splice(9000, 0, '{"kind":"exec","args":["' + 'A'.repeat(1024 * 1024 + 10) + '"]}');
    writeFileSync(file, lines.join('\n')); // no newline after the last line
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const comparable = (r: ReplayResult) => ({
    alerts: r.alerts,
    events: r.events,
    baselines: Object.fromEntries(Object.entries(r.baselines).sort()),
    bad: r.stats.snap.bad,
    received: r.stats.snap.received,
    misrouted: r.misrouted,
  });

  for (const [name, opts] of [
    ['a learning cut by count', { learnEvents: 6000 }],
    ['a learning cut by time', { learnUntil: Date.parse('2026-06-01T00:00:05Z') }],
    ['event-time learning (no cut)', {}],
  ] as [string, Partial<ReplayOptions>][]) {
    it(`with ${name}`, async () => {
      const reference = await replay({ source: 'events', files: [file], viaSource: true, ...opts });
      assert.ok(reference.alerts.length > 0 || name.includes('no cut'), 'the judged part raises alerts');
      assert.ok(reference.stats.totalBad() >= 10, `bad lines are in the input (${reference.stats.totalBad()})`);
      for (const threads of [1, 2, 3]) {
        const r = await replay({ source: 'events', files: [file], threads, ...opts });
        assert.equal(r.threads, threads);
        assert.deepEqual(comparable(r), comparable(reference), `${threads} thread(s) differ from the reference`);
      }
      reference.alerts.forEach(assertValidAlert);
    });
  }

  it('says so when a line\'s workload bytes were not its workload (a nested key only)', async () => {
    const odd = join(dir, 'odd.jsonl');
    const ev = { time: 1700000000000, kind: 'exec', process: { pid: 1, exe: '/bin/true', args: [] }, meta: { workload: { id: 'ns/Deployment/a' } } };
    writeFileSync(odd, JSON.stringify(ev) + '\n');
    const r = await replay({ source: 'events', files: [odd], threads: 2 });
    assert.equal(r.events, 1);
    assert.equal(r.misrouted, 1);
  });

  it('a file that cannot be read fails the replay cleanly, workers and all', async () => {
    await assert.rejects(replay({ source: 'events', files: [file, join(dir, 'missing.jsonl')], threads: 2 }), /ENOENT/);
  });

  it('the fixture gives its expected alerts on 2 threads too', async () => {
    const fixture = join(REPO, 'test/fixtures/replay/web-attack.jsonl');
    const one = await replay({ source: 'events', files: [fixture], learnEvents: 203, threads: 1 });
    const two = await replay({ source: 'events', files: [fixture], learnEvents: 203, threads: 2 });
    assert.equal(one.alerts.length, 8);
    assert.deepEqual(two.alerts, one.alerts);
  });
});
