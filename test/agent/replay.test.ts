import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { replay } from '../../agent/cli/replay.ts';
import { CLI, REPO } from '../support/env.ts';
import { assertValidAlert } from '../support/alert-schema.ts';

const FIXTURE = join(REPO, 'test/fixtures/replay/web-attack.jsonl');
const LEARN = 203;

describe('replay: learn, freeze, judge', () => {
  it('raises exactly the expected alerts for the attack and nothing for normal traffic', async () => {
    const r = await replay({ source: 'events', files: [FIXTURE], learnEvents: LEARN });
    const got = r.alerts.map((a) => `${a.rule} ${a.evidence.item ?? ''}`).sort();
    assert.deepEqual(got, [
      'dangerous-syscall ptrace',
      'drift-exec /tmp/.x/kworker',
      'listener-by-tool tcp *:9001',
      'miner-port-egress tcp 127.66.6.6:4444',
      'shell-spawned /bin/sh',
      'unexpected-connect tcp 10.96.0.99:9200',
      'unexpected-exec /usr/bin/curl',
      'unexpected-file-write /tmp/.x/kworker',
    ].sort());
    for (const a of r.alerts) {
      assertValidAlert(a);
      assert.equal(a.workload.id, 'shop/Deployment/web', 'the CronJob and normal replicas stay quiet');
      assert.equal(a.baseline.state, 'stable');
    }
    const curl = r.alerts.find((a) => a.rule === 'unexpected-exec')!;
    assert.equal(curl.count, 4, 'repeats fold into the open alert');
    assert.deepEqual(curl.baseline.expected, ['/usr/sbin/nginx']);
    assert.equal(curl.mitre.technique, 'T1059');
    assert.ok(curl.process.ancestors.some((p) => p.exe === '/bin/sh'), 'lineage is shown');
    const drift = r.alerts.find((a) => a.rule === 'drift-exec')!;
    assert.equal(drift.severity, 'critical');
    assert.match(drift.description, /Also matched: exec-writable-path, masquerading, unexpected-exec/);
    assert.equal(r.stats.totalBad(), 0);
    assert.deepEqual(r.baselines, { stable: 2 });
  });

  it('the CLI prints the same alerts as JSON lines and a summary on stderr', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'replay', '--source', 'events', FIXTURE, '--learn-events', String(LEARN), '--json'], { cwd: REPO });
    const alerts = stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.equal(alerts.length, 8);
    alerts.forEach(assertValidAlert);
    assert.match(stderr, /replay: 289 events/);
    assert.match(stderr, /bad input: none/);
    assert.doesNotMatch(stdout, /ghijklmnop/, 'the bearer token in curl args is redacted');
  });

  it('--learn-until cuts on event time', async () => {
    const r = await replay({ source: 'events', files: [FIXTURE], learnUntil: Date.parse('2026-03-01T10:03:24Z') });
    assert.ok(r.alerts.some((a) => a.rule === 'drift-exec'));
  });

  it('without a cut, learning follows event time as the live agent would', async () => {
    // default thresholds (10 min learning) never make this 5-minute capture stable: no novelty alerts
    const r = await replay({ source: 'events', files: [FIXTURE] });
    assert.ok(r.alerts.every((a) => !a.rule.startsWith('unexpected-')));
    assert.ok(r.alerts.some((a) => a.rule === 'drift-exec'), 'built-in rules run while learning');
  });
});
