import assert from 'node:assert/strict';
import rule from '../../../models/rules/history-tampering/rule.ts';
import { assertRuleShape, none, one, testEngine, write } from '../../support/events.ts';
import type { EventOf } from '../../../collector/event.ts';

const engine = () => testEngine({ rules: [rule] });
const trunc = (path: string, exe: string, args: string[]): EventOf<'file_write'> => ({ ...write(path, 'create', { exe, args }), flags: ['O_WRONLY', 'O_CREAT', 'O_TRUNC'] });

describe('rules/history-tampering', () => {
  it('shape', () => {
    assertRuleShape(rule, 'history-tampering');
    assert.equal(rule.mitre.technique, 'T1070.003');
  });

  it('removing, moving away or emptying a history file alerts', () => {
    assert.match(one(engine(), write('/root/.bash_history', 'unlink', { exe: '/usr/bin/rm' })).summary, /\.bash_history deleted by rm/);
    one(engine(), write('/home/u/.zsh_history', 'rename', { exe: '/usr/bin/mv' }, '/tmp/h'));
    one(engine(), trunc('/root/.bash_history', '/usr/bin/truncate', ['truncate', '-s0', '/root/.bash_history']));
    // `cat /dev/null > ~/.bash_history` in a script or `sh -c`: a shell that keeps no history
    one(engine(), trunc('/root/.bash_history', '/usr/bin/bash', ['bash', '-c', 'cat /dev/null > ~/.bash_history']));
  });

  it('an interactive shell saving its own history on exit is not tampering; other files are not history', () => {
    none(engine(), trunc('/root/.bash_history', '/usr/bin/bash', ['bash']));
    none(engine(), trunc('/root/.bash_history', '/usr/bin/bash', ['-bash']));
    none(engine(), write('/root/.bash_history', 'write', { exe: '/usr/bin/bash' }));
    none(engine(), write('/app/history.db', 'unlink', { exe: '/usr/bin/rm' }));
  });
});
