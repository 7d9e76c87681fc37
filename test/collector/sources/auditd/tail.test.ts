import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../support/env.ts';
import { POSITION_KEY, parsePosition, tailLog } from '../../../../collector/sources/auditd/tail.ts';
import { findSource } from '../../../../collector/sources/index.ts';
import { defaults, type AuditdConfig } from '../../../../collector/sources/auditd/config.ts';
import type { RuntimeEvent } from '../../../../collector/event.ts';
import { testContext, type TestContext } from './helpers.ts';

/** run tailLog in the background, collecting lines */
function follow(path: string, ctx: TestContext, startAt: 'end' | 'beginning' = 'end') {
  const lines: string[] = [];
  const bad: string[] = [];
  let idle = 0;
  const done = (async () => {
    for await (const batch of tailLog({ path, pollMs: 10, startAt, signal: ctx.signal, state: ctx.state, log: ctx.log, onBad: (r) => bad.push(r) })) {
      if (batch.length === 0) idle++;
      lines.push(...batch);
    }
  })();
  return { lines, bad, done, idle: () => idle };
}

describe('auditd log tailer', () => {
  let dir: string;
  let log: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hw-audit-tail-'));
    log = join(dir, 'audit.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts at the end without a stored position, then follows growth and partial lines', async () => {
    writeFileSync(log, 'old 1\nold 2\n');
    const ctx = testContext();
    const t = follow(log, ctx);
    await waitFor(() => t.idle() > 0, { what: 'tailer idle' });
    appendFileSync(log, 'new 1\nnew ');
    await waitFor(() => t.lines.length === 1, { what: 'first line' });
    appendFileSync(log, '2 completed\n');
    await waitFor(() => t.lines.length === 2, { what: 'completed line' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['new 1', 'new 2 completed']);
    const pos = parsePosition(ctx.store.get(POSITION_KEY));
    assert.equal(pos?.ino, statSync(log).ino);
    assert.equal(pos?.offset, statSync(log).size);
  });

  it('follows rotation: finishes the renamed file, then reads the new one from 0', async () => {
    writeFileSync(log, '');
    const ctx = testContext();
    const t = follow(log, ctx, 'beginning');
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
  });

  it('restarts at 0 after truncation and counts it', async () => {
    writeFileSync(log, 'x1\nx2\n');
    const ctx = testContext();
    const t = follow(log, ctx, 'beginning');
    await waitFor(() => t.lines.length === 2, { what: 'x lines' });
    truncateSync(log, 0);
    await waitFor(() => t.bad.includes('truncated'), { what: 'truncation seen' });
    appendFileSync(log, 'y\n');
    await waitFor(() => t.lines.length === 3, { what: 'y' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['x1', 'x2', 'y']);
  });

  it('skips and counts a line over 1 MiB, reads the lines after it, and never stores a position inside it', async () => {
    writeFileSync(log, 'before\n');
    const ctx = testContext();
    const t = follow(log, ctx, 'beginning');
    await waitFor(() => t.lines.length === 1, { what: 'before' });
    const start = statSync(log).size;
    // 1.5 MiB without a newline yet: read in 256 KiB pieces, counted once past the cap
    appendFileSync(log, 'x'.repeat(1536 * 1024));
    await waitFor(() => t.bad.length > 0, { what: 'the long line counted' });
    const idle = t.idle();
    await waitFor(() => t.idle() > idle, { what: 'tailer caught up' });
    assert.deepEqual(t.bad, ['line_too_long']);
    // a restart now would skip the long line again, not read its tail as a record
    assert.equal(parsePosition(ctx.store.get(POSITION_KEY))?.offset, start);
    appendFileSync(log, 'tail of the long line\nafter\n');
    await waitFor(() => t.lines.length === 2, { what: 'after' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['before', 'after']);
    assert.deepEqual(t.bad, ['line_too_long']);
    assert.equal(parsePosition(ctx.store.get(POSITION_KEY))?.offset, statSync(log).size);
  });

  it('resumes from the stored position after a restart, also when rotated meanwhile', async () => {
    writeFileSync(log, 'one\n');
    const store = new Map<string, string>();
    let ctx = testContext(store);
    let t = follow(log, ctx, 'beginning');
    await waitFor(() => t.lines.length === 1, { what: 'one' });
    ctx.abort();
    await t.done;

    // while down: more lines, a partial line, then rotation and a new file
    appendFileSync(log, 'two\nthr');
    ctx = testContext(store);
    t = follow(log, ctx);
    await waitFor(() => t.lines.length === 1, { what: 'two' });
    ctx.abort();
    await t.done;
    assert.deepEqual(t.lines, ['two']);

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

  it('live source: lines appended to the log become events; stale events close on time-out', async () => {
    writeFileSync(log, '');
    const ctx = testContext();
    const src = findSource('auditd')!;
    const config: AuditdConfig = { ...defaults, path: log, pollMs: 10, startAt: 'beginning', eventTimeoutMs: 50, procLookup: false };
    const events: RuntimeEvent[] = [];
    const done = (async () => {
      for await (const b of src.live!(config, ctx)) events.push(...b);
    })();
    // no PROCTITLE and no EOE: only the time-out can close it
    appendFileSync(
      log,
      'type=SYSCALL msg=audit(1700000000.001:5): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=77 auid=0 uid=0 gid=0 comm="ls" exe="/bin/ls" key=(null)\n' +
        'type=EXECVE msg=audit(1700000000.001:5): argc=1 a0="ls"\n',
    );
    await waitFor(() => events.length === 1, { what: 'exec event' });
    ctx.abort();
    await done;
    assert.equal(events[0].kind, 'exec');
    assert.deepEqual(events[0].process.args, ['ls']);
  });
});
