import assert from 'node:assert/strict';
import { splitArgs } from '../../../../collector/sources/tetragon/argv.ts';

describe('splitArgs (Tetragon flattened arguments)', () => {
  it('splits on whitespace and keeps quoted words together', () => {
    assert.deepEqual(splitArgs('-c "curl https://x/#a b"'), ['-c', 'curl https://x/#a b']);
    assert.deepEqual(splitArgs("  a  'b c'\td "), ['a', 'b c', 'd']);
    assert.deepEqual(splitArgs(''), []);
  });
  it('handles escapes, empty quotes and glued quotes', () => {
    assert.deepEqual(splitArgs('"a \\"q\\" b" c\\ d'), ['a "q" b', 'c d']);
    assert.deepEqual(splitArgs('x "" y'), ['x', '', 'y']);
    assert.deepEqual(splitArgs('--opt="a b"'), ['--opt=a b']);
  });
  it('an unterminated quote keeps the rest', () => {
    assert.deepEqual(splitArgs('sh -c "echo hi'), ['sh', '-c', 'echo hi']);
  });
});
