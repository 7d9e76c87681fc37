// Input that is not valid UTF-8: skipped and counted as bad_encoding by the sources whose
// producers always write UTF-8 (events, Tetragon, Falco, the audit log), kept with U+FFFD
// and counted as repaired by bpftrace (file names are the kernel's bytes: dropping such a
// line would let a process hide behind a file name).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { splitLines, utf8Line } from '../../collector/lines.ts';
import { MemoryStats } from '../../collector/stats.ts';
import { silentLogger } from '../../collector/log.ts';
import { memorySourceState } from '../../agent/store/source-state.ts';
import { replayFile } from '../support/replay-file.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { startIngest } from '../../collector/sources/falco/http.ts';
import { BatchChannel } from '../../collector/sources/tetragon/channel.ts';
import { decodeFalco } from '../../collector/sources/falco/decode.ts';
import { defaults as falcoDefaults } from '../../collector/sources/falco/config.ts';

const BAD = Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]); // invalid byte, bad continuation, a surrogate

describe('input that is not UTF-8', () => {
  it('utf8Line: undefined for invalid bytes, the text for valid ones (a real U+FFFD included)', () => {
    const ok = Buffer.from('a\uFFFDb é 😀');
    assert.equal(utf8Line(ok, 0, ok.length), 'a\uFFFDb é 😀');
    const bad = Buffer.concat([Buffer.from('a'), BAD, Buffer.from('b')]);
    assert.equal(utf8Line(bad, 0, bad.length), undefined);
  });

  it('splitLines skips such a line (or, with repair, keeps it) and says so', async () => {
    const input = Buffer.concat([Buffer.from('one\n'), Buffer.from('tw'), BAD, Buffer.from('o\nthree\n')]);
    const chunks = [];
    for await (const c of splitLines(Readable.from([input]))) chunks.push(c);
    assert.deepEqual(chunks.flatMap((c) => c.lines), ['one', 'three']);
    assert.equal(chunks.flatMap((c) => c.badEncoding).length, 1);
    const repaired = [];
    for await (const c of splitLines(Readable.from([input]), { repair: true })) repaired.push(c);
    assert.deepEqual(repaired.flatMap((c) => c.lines).length, 3);
    assert.equal(repaired.reduce((n, c) => n + c.repaired, 0), 1);
  });

  it('Tetragon, Falco and auditd files: bad_encoding, dropped, the next record read as usual', async () => {
    const tetragonLine = '{"process_exec":{"process":{"pid":41,"binary":"/bin/sh","arguments":"-c x","start_time":"2025-03-01T10:00:01Z"}},"time":"2025-03-01T10:00:01Z"}';
    const t = await replayFile('tetragon', Buffer.concat([Buffer.from(tetragonLine.replace('/bin/sh', '/bin/s')), BAD, Buffer.from('h\n' + tetragonLine + '\n')]));
    assert.equal(t.got.length, 1);
    assert.equal(t.stats.snap.bad.tetragon?.bad_encoding, 1);
    const falcoLine = JSON.stringify({ rule: 'Terminal shell in container', time: '2025-03-01T10:00:01Z', source: 'syscall', output_fields: { 'evt.type': 'execve', 'proc.exepath': '/bin/sh', 'proc.pid': 7, 'proc.cmdline': 'sh' } });
    const f = await replayFile('falco', Buffer.concat([BAD, Buffer.from('\n' + falcoLine + '\n')]));
    assert.equal(f.got.length, 1);
    assert.equal(f.stats.snap.bad.falco?.bad_encoding, 1);
    const a = await replayFile('auditd', Buffer.concat([Buffer.from('type=SYSCALL msg=audit(1700000000.000:1): arch=c000003e syscall=59 success=yes exit=0 comm="x'), BAD, Buffer.from('"\n')]));
    assert.equal(a.stats.snap.bad.auditd?.bad_encoding, 1);
  });

  it('bpftrace: an exec of a file named with invalid bytes is kept (U+FFFD) and counted as repaired', async () => {
    const x = Buffer.concat([Buffer.from('{"type": "printf", "data": "X\\t1171345805354\\t16622\\t16622\\t16621\\t1108\\t0\\t140725013281506\\t10\\t/tmp/'), BAD, Buffer.from('\\n"}\n')]);
    const { got, stats } = await replayFile('bpftrace', x);
    assert.equal(got.length, 1);
    assert.match(got[0].process.exe, /^\/tmp\/.*\uFFFD/);
    assert.equal(stats.snap.bad.bpftrace, undefined);
    assert.deepEqual(stats.snap.repaired.bpftrace, { bad_encoding: 1 });
  });

  it('Falco HTTP: a body that is not UTF-8 is a 400 bad_encoding, counted', async () => {
    const stats = new MemoryStats();
    const ac = new AbortController();
    const ctx = { node: 'n', signal: ac.signal, log: silentLogger, stats, state: memorySourceState(), now: Date.now };
    const ch = new BatchChannel<RuntimeEvent>(100);
    const srv = await startIngest({ ...falcoDefaults.http, enabled: true, listen: '127.0.0.1:0' }, (v) => decodeFalco(v, { node: 'n', nodeFromEvent: false }), ctx, ch);
    try {
      const r = await fetch(`http://127.0.0.1:${srv.port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from('{"rule":"'), BAD, Buffer.from('"}')]) });
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { error: string }).error, 'bad_encoding');
      assert.equal(stats.snap.bad.falco?.bad_encoding, 1);
    } finally {
      srv.close();
      ac.abort();
    }
  });
});
