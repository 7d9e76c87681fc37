// redactEvent with argv arrays kept and handed out again (the process cache's): a verdict
// is remembered per array and executable, never instead of redacting what needs it.
import assert from 'node:assert/strict';
import { EventRecord, type ProcessInfo, type RuntimeEvent } from '../../collector/event.ts';
import { keptArgv, redactEvent } from '../../collector/redact-event.ts';

const execOf = (p: ProcessInfo): RuntimeEvent => new EventRecord(1, 'n1', 'bpftrace', p, { id: '1' }, undefined, undefined, 'complete', 'exec').event();

describe('redactEvent and kept argv arrays', () => {
  it('a kept array needing redaction is redacted every time, and never changed in place', () => {
    const args = ['mysql', '-u', 'app', '--password=Sup3rS3cretPw'];
    keptArgv(args);
    for (let i = 0; i < 3; i++) {
      const ev = execOf({ pid: 1, exe: '/usr/bin/mysql', args });
      redactEvent(ev);
      assert.deepEqual(ev.process.args, ['mysql', '-u', 'app', '--password=<redacted>']);
    }
    assert.equal(args[3], '--password=Sup3rS3cretPw');
  });

  it('a clean verdict holds for the executable it was made for only', () => {
    // htpasswd -b's fifth word is a password (the executable says which program runs);
    // the same words run by another program are not
    const args = ['/opt/tool', '-b', 'users.db', 'alice', 'correcthorse42'];
    keptArgv(args);
    const other = execOf({ pid: 2, exe: '/usr/bin/echo', args, ancestors: [{ pid: 1, exe: '/usr/bin/htpasswd', args }] });
    redactEvent(other);
    assert.equal(other.process.args, args, 'echo: nothing to redact');
    assert.equal(other.process.ancestors?.[0].args?.[4], '<redacted>', 'the same array under htpasswd');
    const again = execOf({ pid: 3, exe: '/usr/bin/htpasswd', args });
    redactEvent(again);
    assert.equal(again.process.args[4], '<redacted>');
  });

  it('arrays never kept (a replayed event\'s) are judged as before', () => {
    const ev = execOf({ pid: 4, exe: '/usr/bin/curl', args: ['curl', '-H', 'Authorization: Bearer abcdef0123456789abcdef', 'https://x'] });
    redactEvent(ev);
    assert.match(ev.process.args[2], /redacted/);
  });
});
