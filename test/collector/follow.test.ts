// The one file follower (collector/follow.ts) of every file source: growth, partial
// lines, rotation, truncation, over-long lines, acknowledged positions and resuming
// from them, also in a file rotated while the reader was down.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/env.ts';
import { followKey, followLines, parsePosition, savePosition, mergeStreams } from '../../collector/follow.ts';
import { findSource } from '../../collector/sources/index.ts';
import { defaults, type AuditdConfig } from '../../collector/sources/auditd/config.ts';
import { POSITION_KEY } from '../../collector/sources/auditd/index.ts';
import { BATCH_ACK, type AckableBatch } from '../../collector/sources/types.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import { testContext, type TestContext } from './sources/auditd/helpers.ts';

/**
 * run the follower in the background, collecting lines; with `ack`, each chunk's end
 * position is stored as soon as it is read (as the pipeline does once it committed it)
 */
function follow(path: string, ctx: TestContext, o: { startAt?: 'end' | 'beginning'; ack?: boolean; idleFallbackMs?: number; wantsTicks?: () => boolean } = {}) {
  const lines: string[] = [];
  const reopened: string[] = [];
  let idle = 0;
  const key = followKey(path);
  const extra = { ...(o.idleFallbackMs !== undefined ? { idleFallbackMs: o.idleFallbackMs } : {}), ...(o.wantsTicks ? { wantsTicks: o.wantsTicks } : {}) };
  const done = (async () => {
    for await (const c of followLines(path, { pollMs: 10, startAt: o.startAt ?? 'end', signal: ctx.signal, state: ctx.state, idleChunks: true, onReopen: (r) => reopened.push(r), ...extra })) {
      if (c.lines.length === 0 && c.tooLong === 0) idle++;
      lines.push(...c.lines);
      if (o.ack !== false) savePosition(ctx.state, key, c.end);
    }
  })();
  return { lines, reopened, done, idle: () => idle, position: () => parsePosition(ctx.store.get(key)) };
}

describe('file follower (collector/follow.ts)', () => {
  let dir: string;
  let log: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-follow-'));
    log = join(dir, 'audit.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts at the end without a stored position, then follows growth and partial lines', async () => {
    writeFileSync(log, 'old 1\nold 2\n');
    const ctx = testContext();
    const t = follow(log, ctx);
    await waitFor(() => t.idle() > 0, { what: 'follower idle' });
    appendFileSync(log, 'new 1\nnew ');
    await waitFor(() => t.lines.length === 1, { what: 'first line' });
    appendFileSync(log, '2 completed\n');
    await waitFor(() => t.lines.length === 2, { what: 'completed line' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['new 1', 'new 2 completed']);
    assert.equal(t.position()?.ino, statSync(log).ino);
    assert.equal(t.position()?.dev, statSync(log).dev);
    assert.equal(t.position()?.offset, statSync(log).size);
  });

  it('stores nothing by itself: a position exists only once the consumer acknowledged it', async () => {
    writeFileSync(log, 'a\nb\n');
    const ctx = testContext();
    const t = follow(log, ctx, { startAt: 'beginning', ack: false });
    await waitFor(() => t.lines.length === 2, { what: 'a, b' });
    ctx.abort();
    await t.done;
    assert.equal(ctx.store.size, 0);
  });

  it('follows rotation: finishes the renamed file, then reads the new one from 0', async () => {
    writeFileSync(log, '');
    const ctx = testContext();
    const t = follow(log, ctx, { startAt: 'beginning' });
    appendFileSync(log, 'a\n');
    await waitFor(() => t.lines.length === 1, { what: 'a' });
    // auditd: rename, (late write to the old inode), create the new file
    renameSync(log, log + '.1');
    appendFileSync(log + '.1', 'b late in old\n');
    writeFileSync(log, 'c in new\n');
    await waitFor(() => t.lines.length === 3, { what: 'b and c' });
    appendFileSync(log, 'd\n');
    await waitFor(() => t.lines.length === 4, { what: 'd' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['a', 'b late in old', 'c in new', 'd']);
    assert.deepEqual(t.reopened, ['rotated']);
  });

  // An idle file costs no wake-ups: after IDLE_POLLS (10) empty polls the follower waits
  // for inotify's report of a change. With the fallback poll an hour away, every line
  // below is seen only because a change was reported.
  const HOUR = 3_600_000;
  const observe = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms)); // a window in which nothing may happen

  it('an idle file is not polled: it is looked at again when the file system reports a change', async () => {
    writeFileSync(log, '');
    const ctx = testContext();
    const t = follow(log, ctx, { idleFallbackMs: HOUR });
    await waitFor(() => t.idle() >= 11, { what: 'ten empty polls and the look after arming' });
    const before = t.idle();
    await observe(500); // polled every 10 ms, this would be ~50 more idle chunks
    assert.ok(t.idle() - before <= 1, `an idle follower still polled: ${t.idle() - before} idle chunks in 500 ms`);
    appendFileSync(log, 'woken\n');
    await waitFor(() => t.lines.length === 1, { what: 'the line, from the reported change' });
    // growing again: polled, then idle and waiting again
    appendFileSync(log, 'more\n');
    await waitFor(() => t.lines.length === 2, { what: 'the next line' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['woken', 'more']);
  });

  it('an idle file rotated and written again is followed from the reported changes alone', async () => {
    writeFileSync(log, '');
    const ctx = testContext();
    const t = follow(log, ctx, { startAt: 'beginning', idleFallbackMs: HOUR });
    await waitFor(() => t.idle() >= 11, { what: 'idle, waiting for changes' });
    renameSync(log, log + '.1');
    appendFileSync(log + '.1', 'late in old\n');
    writeFileSync(log, 'in new\n');
    await waitFor(() => t.lines.length === 2, { what: 'both lines' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['late in old', 'in new']);
    assert.deepEqual(t.reopened, ['rotated']);
  });

  it('a followed symlink: changes are reported in its target\'s directory', async () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'tetragon.log'), '');
    const link = join(dir, 'tetragon.log');
    symlinkSync(join(real, 'tetragon.log'), link);
    const ctx = testContext();
    const t = follow(link, ctx, { idleFallbackMs: HOUR });
    await waitFor(() => t.idle() >= 11, { what: 'idle, waiting for changes' });
    appendFileSync(join(real, 'tetragon.log'), 'through the link\n');
    await waitFor(() => t.lines.length === 1, { what: 'the line, reported in the target directory' });
    ctx.abort();
    await t.done;
  });

  it('a consumer that wants ticks (an audit event being assembled) gets an idle chunk every poll', async () => {
    writeFileSync(log, '');
    const ctx = testContext();
    const t = follow(log, ctx, { idleFallbackMs: HOUR, wantsTicks: () => true });
    await waitFor(() => t.idle() >= 40, { what: 'idle chunks past the ten polls' });
    ctx.abort();
    await t.done;
  });

  it('restarts at 0 after truncation and says so', async () => {
    writeFileSync(log, 'x1\nx2\n');
    const ctx = testContext();
    const t = follow(log, ctx, { startAt: 'beginning' });
    await waitFor(() => t.lines.length === 2, { what: 'x lines' });
    truncateSync(log, 0);
    await waitFor(() => t.reopened.includes('truncated'), { what: 'truncation seen' });
    appendFileSync(log, 'y\n');
    await waitFor(() => t.lines.length === 3, { what: 'y' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['x1', 'x2', 'y']);
  });

  it('a file truncated and rewritten to exactly the same size is read again, whenever it happens', async () => {
    writeFileSync(log, 'aaaa\n');
    const ctx = testContext();
    const t = follow(log, ctx, { startAt: 'beginning' });
    await waitFor(() => t.lines.length === 1, { what: 'aaaa' });
    writeFileSync(log, 'bbbb\n'); // truncate + write: same size, new content
    await waitFor(() => t.lines.length === 2, { what: 'bbbb' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['aaaa', 'bbbb']);
  });

  it('skips and counts a line over 1 MiB, reads the lines after it, and never gives a position inside it', async () => {
    writeFileSync(log, 'before\n');
    const ctx = testContext();
    let tooLong = 0;
    const lines: string[] = [];
    let idle = 0;
    const key = followKey(log);
    const done = (async () => {
      for await (const c of followLines(log, { pollMs: 10, startAt: 'beginning', signal: ctx.signal, state: ctx.state, idleChunks: true })) {
        tooLong += c.tooLong;
        if (c.lines.length === 0 && c.tooLong === 0) idle++;
        lines.push(...c.lines);
        savePosition(ctx.state, key, c.end);
      }
    })();
    await waitFor(() => lines.length === 1, { what: 'before' });
    const start = statSync(log).size;
    // 1.5 MiB without a newline yet: read in 256 KiB pieces, counted once past the cap
    appendFileSync(log, 'x'.repeat(1536 * 1024));
    await waitFor(() => tooLong > 0, { what: 'the long line counted' });
    const seen = idle;
    await waitFor(() => idle > seen, { what: 'follower caught up' });
    // a restart now would skip the long line again, not read its tail as a record
    assert.equal(parsePosition(ctx.store.get(key))?.offset, start);
    appendFileSync(log, 'tail of the long line\nafter\n');
    await waitFor(() => lines.length === 2, { what: 'after' });
    ctx.abort();
    await done;
    assert.deepEqual(lines, ['before', 'after']);
    assert.equal(tooLong, 1);
    assert.equal(parsePosition(ctx.store.get(key))?.offset, statSync(log).size);
  });

  it('resumes from the acknowledged position after a restart, also when rotated meanwhile', async () => {
    writeFileSync(log, 'one\n');
    const store = new Map<string, string>();
    let ctx = testContext(store);
    let t = follow(log, ctx, { startAt: 'beginning' });
    await waitFor(() => t.lines.length === 1, { what: 'one' });
    ctx.abort();
    await t.done;

    // while down: more lines, a partial line
    appendFileSync(log, 'two\nthr');
    ctx = testContext(store);
    t = follow(log, ctx);
    await waitFor(() => t.lines.length === 1, { what: 'two' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['two']);

    // then the partial line completed, rotation and a new file
    appendFileSync(log, 'ee\n');
    renameSync(log, log + '.1');
    writeFileSync(log, 'four\n');
    ctx = testContext(store);
    t = follow(log, ctx);
    await waitFor(() => t.lines.length === 2, { what: 'three and four' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['three', 'four']);
  });

  it('a position read but not acknowledged is read again after a restart (at least once)', async () => {
    writeFileSync(log, 'committed\n');
    const store = new Map<string, string>();
    let ctx = testContext(store);
    let t = follow(log, ctx, { startAt: 'beginning' });
    await waitFor(() => t.lines.length === 1);
    ctx.abort();
    await t.done;
    appendFileSync(log, 'read, not committed\n');
    ctx = testContext(store);
    t = follow(log, ctx, { ack: false });
    await waitFor(() => t.lines.length === 1);
    ctx.abort();
    await t.done;
    ctx = testContext(store);
    t = follow(log, ctx);
    await waitFor(() => t.lines.length === 1);
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['read, not committed']);
  });

  it('accepts a position stored in the older ino:offset form', async () => {
    writeFileSync(log, 'a\nb\n');
    const store = new Map([[followKey(log), `${statSync(log).ino}:2`]]);
    const ctx = testContext(store);
    const t = follow(log, ctx);
    await waitFor(() => t.lines.length === 1);
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['b']);
  });

  it('mergeStreams keeps each stream in order and ends when all end', async () => {
    async function* s(name: string, n: number) {
      for (let i = 0; i < n; i++) {
        await new Promise((r) => setImmediate(r));
        yield `${name}${i}`;
      }
    }
    const out: string[] = [];
    for await (const x of mergeStreams([s('a', 5), s('b', 3)])) out.push(x);
    assert.deepEqual(out.filter((x) => x[0] === 'a'), ['a0', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(out.filter((x) => x[0] === 'b'), ['b0', 'b1', 'b2']);
  });
});

describe('auditd live source on the follower', () => {
  let dir: string;
  let log: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-audit-live-'));
    log = join(dir, 'audit.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const SYSCALL = (serial: number) =>
    `type=SYSCALL msg=audit(1700000000.001:${serial}): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=77 auid=0 uid=0 gid=0 comm="ls" exe="/bin/ls" key=(null)\n`;
  const EXECVE = (serial: number) => `type=EXECVE msg=audit(1700000000.001:${serial}): argc=1 a0="ls"\n`;
  const PROCTITLE = (serial: number) => `type=PROCTITLE msg=audit(1700000000.001:${serial}): proctitle="ls"\n`;

  function run(ctx: TestContext, config: AuditdConfig) {
    const events: RuntimeEvent[] = [];
    const acks: (() => void)[] = [];
    const done = (async () => {
      for await (const b of findSource('auditd')!.live!(config, ctx)) {
        events.push(...b);
        const ack = (b as AckableBatch)[BATCH_ACK];
        if (ack) acks.push(ack);
      }
    })();
    return { events, acks, done };
  }

  it('lines appended to the log become events; stale events close on time-out', async () => {
    writeFileSync(log, '');
    const ctx = testContext();
    const config: AuditdConfig = { ...defaults, path: log, pollMs: 10, startAt: 'beginning', eventTimeoutMs: 50, procLookup: false };
    const r = run(ctx, config);
    // no PROCTITLE and no EOE: only the time-out can close it
    appendFileSync(log, SYSCALL(5) + EXECVE(5));
    await waitFor(() => r.events.length === 1, { what: 'exec event' });
    ctx.abort();
    await r.done;
    assert.equal(r.events[0].kind, 'exec');
    assert.deepEqual(r.events[0].process.args, ['ls']);
  });

  it('an acknowledgement never moves the position past the records of an event still being assembled', async () => {
    writeFileSync(log, SYSCALL(1) + EXECVE(1) + PROCTITLE(1));
    const store = new Map<string, string>();
    const ctx = testContext(store);
    const config: AuditdConfig = { ...defaults, path: log, pollMs: 10, startAt: 'beginning', eventTimeoutMs: 60_000, procLookup: false };
    const r = run(ctx, config);
    await waitFor(() => r.events.length === 1, { what: 'the first event' });
    for (const a of r.acks.splice(0)) a();
    const afterFirst = statSync(log).size;
    assert.equal(parsePosition(store.get(POSITION_KEY))?.offset, afterFirst);
    // the second event's first records arrive; its end has not: acknowledging what was
    // read so far must keep the position at the start of its records
    appendFileSync(log, SYSCALL(2) + EXECVE(2));
    await waitFor(() => r.acks.length > 0, { what: 'a batch for the partial event' });
    for (const a of r.acks.splice(0)) a();
    assert.equal(parsePosition(store.get(POSITION_KEY))?.offset, afterFirst);
    ctx.abort();
    await r.done;

    // a restart re-reads those records and completes the event: not lost
    appendFileSync(log, PROCTITLE(2));
    const ctx2 = testContext(store);
    const r2 = run(ctx2, config);
    await waitFor(() => r2.events.length === 1, { what: 'the second event after the restart' });
    ctx2.abort();
    await r2.done;
    assert.deepEqual(r2.events[0].process.args, ['ls']);
  });
});
