// The argv a responder reads in an alert is the argv that ran: `f(a, b)` stays
// `f(a, b)` through decoding, redaction and the replay pipeline (it once came out as
// `f(a b`: redaction rebuilt multi-word arguments from their words).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay } from '../../agent/cli/replay.ts';

const ARGS = ['python3', '-c', 'print(f(a, b)); x = [1, 2]; y = {"k": \'v\'}\tz', '', 'a\\x41 "q, r"'];

describe('replay keeps argv as it ran', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hw-replay-argv-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const viaSource of [false, true]) {
    it(`in the alert's process and evidence (${viaSource ? 'source reader' : 'sharded replay'})`, async () => {
      const file = join(dir, 'events.jsonl');
      const w = { id: 'shop/Deployment/web', kind: 'Deployment', name: 'web', namespace: 'shop', container: 'web' };
      const lines = [
        { kind: 'exec', time: 1_700_000_000_000, workload: w, process: { pid: 10, exe: '/usr/sbin/nginx', args: ['nginx'] } },
        { kind: 'exec', time: 1_700_000_001_000, workload: w, process: { pid: 11, exe: '/usr/bin/python3', args: ARGS } },
      ];
      writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const r = await replay({ source: 'events', files: [file], learnEvents: 1, viaSource });
      const a = r.alerts.find((x) => x.rule === 'unexpected-exec');
      assert.ok(a, JSON.stringify(r.alerts.map((x) => x.rule)));
      assert.deepEqual(a.process.args, ARGS);
      assert.deepEqual(a.evidence.args, ARGS);
    });
  }
});
