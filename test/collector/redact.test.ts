// The redaction contract (test/support/secrets.ts) at the unit level: every secret form
// is caught with its shape kept, every ordinary command line is left exactly as it was.
import assert from 'node:assert/strict';
import { redactArgs, redactCommand, redactText } from '../../collector/redact.ts';
import { generalizeArgs } from '../../models/baseline/generalize.ts';
import { NOT_SECRETS, SECRET_CASES, SECRET_VALUES, shellLine } from '../support/secrets.ts';

describe('redaction', () => {
  it(`the corpus holds at least 150 distinct secret forms, each secret unique`, () => {
    assert.ok(SECRET_CASES.length >= 150, `${SECRET_CASES.length} forms`);
    assert.equal(new Set(SECRET_CASES.map((c) => c.form)).size, SECRET_CASES.length, 'form names unique');
    const secrets = [...SECRET_CASES.map((c) => c.secret), ...SECRET_VALUES.map((v) => v.secret)];
    assert.equal(new Set(secrets).size, secrets.length, 'secrets unique');
    for (const s of secrets) assert.ok(s.length >= 8, `secret ${s} too short to search for`);
  });

  for (const c of SECRET_CASES) {
    it(`redacts ${c.form}`, () => {
      const out = redactArgs(c.args);
      const joined = out.join(' ');
      assert.ok(!joined.includes(c.secret), `secret leaked: ${joined}`);
      assert.ok(joined.includes(c.keeps), `shape lost: expected "${c.keeps}" in: ${joined}`);
      assert.equal(out.length, c.args.length, 'argv keeps its length');
      // the same command line as one string (a proctitle, an ancestor's sh -c)
      const asText = redactCommand(shellLine(c.args));
      assert.ok(!asText.includes(c.secret), `secret leaked from the command string: ${asText}`);
      // no memo hides it the second time
      assert.ok(!redactArgs(c.args).join(' ').includes(c.secret), 'second pass');
      // whatever the executable is said to be (a resolved path, a copy under /tmp)
      for (const exe of [`/usr/bin/${c.args[0].split('/').pop()}`, '/tmp/dropper', '']) {
        assert.ok(!redactArgs(c.args, exe).join(' ').includes(c.secret), `leaked with exe ${exe}`);
      }
    });
  }

  for (const v of SECRET_VALUES) {
    it(`redacts ${v.form}`, () => {
      const out = v.field === 'ancestor' ? redactCommand(v.value) : redactText(v.value);
      assert.ok(!out.includes(v.secret), out);
      assert.match(out, /<redacted>/);
    });
  }

  it('leaves ordinary command lines alone: the same array, every word as it was', () => {
    const changed: string[] = [];
    for (const a of NOT_SECRETS) {
      const out = redactArgs(a);
      if (out !== a) changed.push(`${a.join(' ')}  →  ${out.join(' ')}`);
    }
    assert.deepEqual(changed, [], 'falsely redacted');
    for (const a of NOT_SECRETS) {
      const line = shellLine(a);
      assert.equal(redactCommand(line), line, 'as a command string');
    }
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
