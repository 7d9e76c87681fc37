import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { splitLines } from '../../collector/lines.ts';

async function collect(chunks: string[], max?: number) {
  const lines: string[] = [];
  let tooLong = 0;
  let offset = 0;
  for await (const c of splitLines(Readable.from(chunks.map((s) => Buffer.from(s))), { maxBytes: max })) {
    lines.push(...c.lines);
    tooLong += c.tooLong;
    offset = c.offset;
  }
  return { lines, tooLong, offset };
}

describe('splitLines', () => {
  it('joins lines across chunks and strips CR', async () => {
    const r = await collect(['ab', 'c\r\nde', 'f\ng']);
    assert.deepEqual(r.lines, ['abc', 'def', 'g']);
    assert.equal(r.offset, 10);
  });
  it('skips over-long lines without losing the next one', async () => {
    const r = await collect(['short\n', 'x'.repeat(30), 'y'.repeat(30), '\nafter\n'], 40);
    assert.deepEqual(r.lines, ['short', 'after']);
    assert.equal(r.tooLong, 1);
  });
  it('reports the offset of the last complete line', async () => {
    const r = await collect(['one\ntw']);
    assert.deepEqual(r.lines, ['one', 'tw']);
  });
});
