// bpftrace's output through a FIFO (fifo.ts): a child writing many small records, each
// with its own write() as bpftrace does, read by the source's windowed reader
// (window.ts); the pipe enlarged by the pipe-size helper (pipe-size.c).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULT_PIPE_BYTES, PIPE_BYTES, enlarge, openFifo } from '../../../../collector/sources/bpftrace/fifo.ts';
import { windowFor, windowed } from '../../../../collector/sources/bpftrace/window.ts';
import { defaults } from '../../../../collector/sources/bpftrace/config.ts';
import { REPO } from '../../../support/env.ts';

/** bytes a non-blocking writer can put in the pipe behind fd before it is full */
function capacity(fd: number): number {
  const w = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    let n = 0;
    const block = Buffer.alloc(64 * 1024, 0x78);
    for (;;) {
      try {
        const k = writeSync(w, block);
        n += k;
        if (k < block.length) return n;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return n;
        throw e;
      }
    }
  } finally {
    closeSync(w);
  }
}

describe('bpftrace output FIFO', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'hw-bt-fifo-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function readAll(stream: Readable, windowMs: number): Promise<{ text: string; chunks: number }> {
    const ac = new AbortController();
    let text = '';
    let chunks = 0;
    for await (const c of windowed(stream, windowMs, ac.signal)) {
      text += c.toString('utf8');
      chunks++;
    }
    return { text, chunks };
  }

  it('carries a child\'s small writes in order, many per read, and ends when the child exits', async () => {
    const fifo = openFifo(dir);
    assert.ok(fifo, 'mkfifo is on PATH');
    assert.equal(fifo.stream.readableHighWaterMark, 1, 'stops reading the pipe after each chunk (windowed)');
    assert.deepEqual(readdirSync(dir), [], 'unlinked at once: only the descriptors keep it');
    // 3,000 records of ~200 bytes (600 KB: the pipe holds 64 KiB, so the writer blocks and resumes)
    const script = `const fs = require('fs'); for (let i = 0; i < 3000; i++) fs.writeSync(1, 'R\\t' + i + '\\t' + 'x'.repeat(190) + '\\n');`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', fifo.writeFd, 'inherit'] });
    closeSync(fifo.writeFd);
    const [{ text, chunks }, code] = await Promise.all([readAll(fifo.stream, 5), new Promise((r) => child.on('exit', r))]);
    assert.equal(code, 0);
    const lines = text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 3000);
    lines.forEach((l, i) => assert.equal(l.split('\t')[1], String(i)));
    assert.ok(chunks < 3000 / 4, `records read many per chunk (${chunks} chunks)`);
  });

  it('ends at once when nothing ever writes (the child could not start)', async () => {
    const fifo = openFifo(dir);
    assert.ok(fifo);
    closeSync(fifo.writeFd);
    const { text } = await readAll(fifo.stream, 0);
    assert.equal(text, '');
  });

  describe('enlarged by the pipe-size helper', () => {
    let helper: string;
    before(() => {
      // what bin/build.js does (the C compiler node-gyp builds better-sqlite3 with, on every
      // machine that installs this project from source)
      helper = join(mkdtempSync(join(tmpdir(), 'hw-pipe-size-')), 'pipe-size');
      execFileSync('cc', ['-O2', '-Wall', '-o', helper, join(REPO, 'collector/sources/bpftrace/pipe-size.c')], { stdio: ['ignore', 'ignore', 'inherit'] });
    });
    after(() => rmSync(join(helper, '..'), { recursive: true, force: true }));

    it('holds PIPE_BYTES, and the window the source reads it with grows to the configured one', async () => {
      const fifo = openFifo(dir, 'mkfifo', helper);
      assert.ok(fifo);
      assert.equal(fifo.notEnlarged, undefined);
      assert.equal(fifo.bytes, PIPE_BYTES);
      assert.equal(capacity(fifo.writeFd), PIPE_BYTES, 'a non-blocking writer fits PIPE_BYTES before the pipe is full');
      assert.equal(windowFor(defaults.readWindowMs, fifo.bytes), defaults.readWindowMs);
      closeSync(fifo.writeFd);
      const { text } = await readAll(fifo.stream, 0);
      assert.equal(text.length, PIPE_BYTES, 'what was written is read back whole');
    });

    it('keeps the 64 KiB pipe, and says why, when the helper is missing or fails', () => {
      const fifo = openFifo(dir, 'mkfifo', join(dir, 'no-such-helper'));
      assert.ok(fifo);
      assert.equal(fifo.bytes, DEFAULT_PIPE_BYTES);
      assert.match(fifo.notEnlarged ?? '', /no-such-helper/);
      assert.equal(capacity(fifo.writeFd), DEFAULT_PIPE_BYTES);
      // the window shrinks to what 64 KiB holds at the rate a window must allow for
      assert.equal(windowFor(defaults.readWindowMs, fifo.bytes), 21);
      closeSync(fifo.writeFd);
      fifo.stream.destroy();
      // a descriptor that is not a pipe: the helper's reason comes back
      const file = openSync(join(dir, 'plain'), 'w');
      try {
        const r = enlarge(file, PIPE_BYTES, helper);
        assert.ok(typeof r === 'object' && /F_SETPIPE_SZ/.test(r.error), JSON.stringify(r));
      } finally {
        closeSync(file);
      }
      assert.deepEqual(enlarge(0, 0, helper), { error: 'usage: pipe-size BYTES (stdout a pipe)' });
    });
  });

  it('is undefined without mkfifo, so the source falls back to spawn\'s socket pair', () => {
    assert.equal(openFifo(dir, join(dir, 'no-such-mkfifo')), undefined);
    assert.deepEqual(readdirSync(dir), []);
  });
});
