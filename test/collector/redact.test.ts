import assert from 'node:assert/strict';
import { redactArgs, redactText } from '../../collector/redact.ts';
import { generalizeArgs } from '../../models/baseline/generalize.ts';
import { NOT_SECRETS, SECRET_CASES } from '../support/secrets.ts';

describe('redaction', () => {
  for (const c of SECRET_CASES) {
    it(`redacts ${c.args.slice(0, 2).join(' ')} … keeping "${c.keeps}"`, () => {
      const out = redactArgs(c.args);
      const joined = out.join(' ');
      assert.ok(!joined.includes(c.secret), `secret leaked: ${joined}`);
      assert.ok(joined.includes(c.keeps), `shape lost: ${joined}`);
      assert.equal(out.length, c.args.length, 'argv keeps its length');
    });
  }
  it('redacts the same command string every time (no memo hides a secret)', () => {
    for (let i = 0; i < 3; i++) {
      const out = redactArgs(['sh', '-c', 'mysql -uroot -pRepeatSecret1 db']);
      assert.doesNotMatch(out.join(' '), /RepeatSecret1/, `round ${i}`);
    }
  });
  it('leaves ordinary arguments alone (same array when nothing changes)', () => {
    for (const a of NOT_SECRETS) assert.equal(redactArgs(a), a, a.join(' '));
  });
  it('redacts secrets in free text (proctitles, bad-input examples)', () => {
    const t = redactText('curl -H "Authorization: Bearer abcdefgh12345678" https://u:p4ssw0rd@h/x?access_token=zzzzzzzz');
    assert.doesNotMatch(t, /abcdefgh12345678|p4ssw0rd|zzzzzzzz/);
  });
  it('baselines generalise over redacted values: two passwords, one item', () => {
    const a = generalizeArgs(redactArgs(['app', '--password=one1one1']));
    const b = generalizeArgs(redactArgs(['app', '--password=two2two2']));
    assert.equal(a, b);
  });
});
