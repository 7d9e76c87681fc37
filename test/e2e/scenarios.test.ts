// The scenario suite, short: real workloads in pods under the real agent (bpftrace),
// a short learning and benign phase, then attack actions. Asserts every action is
// detected (an alert of the right kind on the right workload, in one incident) and no
// workload raises an alert once stable. The full suite (`npm run scenarios`, ≥ 30
// benign minutes, every workload, change and action, scored in docs/detection.md) is
// test/e2e/scenarios/main.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runSuite } from './scenarios/suite.ts';
import { score, table } from './scenarios/score.ts';
import { bpftraceSetup } from './scenarios/sources.ts';
import { SHORT } from './scenarios/short.ts';
import { ATTACKS } from './scenarios/attacks.ts';
import { cgroup2Available } from '../support/cgroup.ts';
import { bpftraceInstalled, isRoot, requireComponent } from '../support/env.ts';
import { assertValidAlert, assertValidIncident } from '../support/alert-schema.ts';

describe('e2e: scenario suite, short (live kernel, bpftrace)', function () {
  this.timeout(12 * 60_000);

  it('detects every attack action in one incident each, and raises nothing on benign change', async function () {
    requireComponent(this, isRoot(), 'root');
    requireComponent(this, cgroup2Available(), 'a cgroup v2 mount');
    requireComponent(this, bpftraceInstalled(), 'bpftrace');
    for (const bin of ['/usr/bin/python3', '/usr/lib/postgresql/15/bin/postgres', '/usr/bin/psql', '/usr/bin/curl', '/usr/bin/strace', '/usr/bin/busybox']) {
      requireComponent(this, existsSync(bin), `${bin} (see .ci/run's package list)`);
    }
    const log = (m: string): void => void (process.env.HW_DEBUG && console.error(`    ${m}`));
    const r = await runSuite({ source: bpftraceSetup, ...SHORT, log });
    // every alert and incident the agent emitted is the published contract
    for (const a of r.alerts) assertValidAlert(a);
    for (const i of r.incidents) assertValidIncident(i);
    const s = score(r);
    const report = table(s);
    for (const a of s.actions) {
      assert.ok(a.detected, `${a.id} (${a.technique}) not detected\n${report}`);
      assert.equal(a.incidents, 1, `${a.id}: its alerts are in ${a.incidents} incidents\n${report}`);
    }
    assert.equal(s.actions.length, ATTACKS.length, report);
    for (const w of s.workloads) {
      assert.notEqual(w.secondsToStable, null, `${w.role} never became stable\n${report}`);
      assert.equal(w.falsePositives, 0, `${w.role}: false positives\n${report}`);
    }
  });
});
