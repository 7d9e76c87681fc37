import assert from 'node:assert/strict';
import { appendArgs, splitArgs } from '../../../../collector/sources/tetragon/argv.ts';
import { tetragonArguments } from '../../../support/argv.ts';

describe('splitArgs (Tetragon flattened arguments)', () => {
  it('splits on spaces and reads quoted arguments (those with a space) back whole', () => {
    assert.deepEqual(splitArgs('-c "curl https://x/#a b"'), ['-c', 'curl https://x/#a b']);
    assert.deepEqual(splitArgs(' "a b" c'), ['a b', 'c'], 'a quoted first argument has a space before it');
    assert.deepEqual(splitArgs(''), []);
  });
  it('keeps what Tetragon does not escape: quotes, backslashes, tabs and newlines inside arguments', () => {
    assert.deepEqual(splitArgs("-c print('a')"), ['-c', "print('a')"]);
    assert.deepEqual(splitArgs('a\\b x\ty "p\nq r"'), ['a\\b', 'x\ty', 'p\nq r']);
    assert.deepEqual(splitArgs('--opt="x" "f(a, b)"'), ['--opt="x"', 'f(a, b)']);
    assert.deepEqual(splitArgs('"say "hi there"'), ['say "hi there']);
  });
  it('a quote that closes nothing is part of its argument', () => {
    assert.deepEqual(splitArgs('sh -c "echo'), ['sh', '-c', '"echo']);
    assert.deepEqual(splitArgs('"a" b'), ['"a"', 'b'], 'no space inside: not a quoted argument');
  });
  it('appendArgs pushes after what the array holds', () => {
    assert.deepEqual(appendArgs('a b', ['/bin/x']), ['/bin/x', 'a', 'b']);
    assert.deepEqual(appendArgs('a "b c"', ['/bin/x']), ['/bin/x', 'a', 'b c']);
    assert.deepEqual(appendArgs('', ['/bin/x']), ['/bin/x']);
  });
  it('inverts the encoder on the argv it can carry', () => {
    const cases = [['a', 'b c', 'd'], ['x y'], ['é ü', '"q"', "'s'"], ['a\tb', 'c\nd e', '\\'], ['end"', 'mid dle"']];
    for (const argv of cases) assert.deepEqual(splitArgs(tetragonArguments(argv)), argv, JSON.stringify(argv));
  });
});
