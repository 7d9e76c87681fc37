// bpftrace's output through a FIFO (fifo.ts): a child writing many small records, each
// with its own write() as bpftrace does, read by the source's windowed reader.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { openFifo } from '../../../../collector/sources/bpftrace/fifo.ts';
import { windowed } from '../../../../collector/sources/bpftrace/index.ts';

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

  it('is undefined without mkfifo, so the source falls back to spawn\'s socket pair', () => {
    assert.equal(openFifo(dir, join(dir, 'no-such-mkfifo')), undefined);
    assert.deepEqual(readdirSync(dir), []);
  });
});
