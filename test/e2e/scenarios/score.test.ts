// Scoring of a scenario run (pure): attribution of alerts to actions by workload and
// window, false positives once stable, the headline figures.
import assert from 'node:assert/strict';
import type { Alert } from '../../../models/alert.ts';
import type { Incident } from '../../../models/incident.ts';
import { ATTACKS } from './attacks.ts';
import { score, summaryJson, table } from './score.ts';
import { parseScenarioArgs } from './cli.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../support/env.ts';
import type { SuiteResult } from './suite.ts';

const T = Date.UTC(2026, 0, 1);
let n = 0;
const alert = (workload: string, at: number, rule: string, incident = 'i-' + workload, o: Partial<Alert> = {}): Alert =>
  ({ id: `a${++n}`, time: new Date(at).toISOString(), rule, kind: 'exec', summary: rule, workload: { id: workload }, evidence: {}, incident, ...o }) as unknown as Alert;

function run(alerts: Alert[], incidents: Incident[] = []): SuiteResult {
  const shell = ATTACKS.find((a) => a.id === 'shell-recon')!;
  const shadow = ATTACKS.find((a) => a.id === 'shadow-read')!;
  return {
    source: 'test',
    minLearningMs: 60_000,
    quietPeriodMs: 30_000,
    workloads: [
      { role: 'web', workloadId: 'W', started: T, learningSince: T, stableSince: T + 90_000 },
      { role: 'db', workloadId: 'D', started: T, learningSince: T, stableSince: T + 100_000 },
    ],
    benign: { start: T + 100_000, end: T + 3_700_000, changes: [] },
    actions: [
      { attack: shell, workloadId: 'W', start: T + 3_700_000, end: T + 3_710_000 },
      { attack: shadow, workloadId: 'D', start: T + 3_710_000, end: T + 3_720_000 },
    ],
    alerts,
    incidents,
  } as unknown as SuiteResult;
}

describe('scenario scoring', () => {
  it('attributes alerts to the action of their workload and window; detection needs the right kind', () => {
    const s = score(
      run([
        alert('W', T + 3_700_100, 'shell-spawned'),
        alert('W', T + 3_700_200, 'unexpected-exec'),
        // in the second action's window, but on the first action's workload: a false positive
        alert('W', T + 3_711_000, 'unexpected-connect', 'i-other'),
        // the right workload and window, the wrong kind of finding
        alert('D', T + 3_712_000, 'unexpected-exec', 'i-d'),
      ]),
    );
    assert.deepEqual(
      s.actions.map((a) => [a.id, a.detected, a.alerts, a.incidents, a.latencyS]),
      [
        ['shell-recon', true, 2, 1, 0.1],
        ['shadow-read', false, 1, 1, null],
      ],
    );
    assert.equal(s.detection_rate, 0.5);
    assert.equal(s.alerts_per_attack_incident, 2);
    assert.equal(s.workloads[0].falsePositives, 1);
    assert.equal(s.one_incident_per_action, true);
  });

  it('false positives once stable per judged workload-hour; alerts while learning are apart', () => {
    const s = score(run([alert('W', T + 50_000, 'dangerous-syscall'), alert('D', T + 200_000, 'unexpected-exec', 'inc-d')], [{ id: 'inc-d', timeline: [{ alert: `a${n}` }] } as unknown as Incident]));
    const [w, d] = s.workloads;
    assert.equal(w.learningAlerts, 1);
    assert.equal(w.falsePositives, 0);
    assert.equal(d.falsePositives, 1);
    assert.equal(d.falseIncidents, 1);
    // W judged from 90 s, D from 100 s, to the end of the run, minus each one's attack window
    const hours = (3_720_000 - 90_000 - 10_500) / 3_600_000 + (3_720_000 - 100_000 - 10_500) / 3_600_000;
    assert.equal(s.false_positives_per_workload_hour, Math.round((1 / hours) * 1000) / 1000);
    assert.equal(s.seconds_to_stable, 100);
    assert.equal(s.detection_rate, 0);
    assert.equal(s.alerts_per_attack_incident, null);
  });

  it('an action whose alerts span two incidents is reported', () => {
    const s = score(run([alert('W', T + 3_700_100, 'shell-spawned', 'i1'), alert('W', T + 3_700_200, 'unexpected-exec', 'i2')]));
    assert.equal(s.actions[0].incidents, 2);
    assert.equal(s.one_incident_per_action, false);
  });

  it('prints a Markdown table and one JSON line', () => {
    const s = score(run([alert('W', T + 3_700_100, 'shell-spawned')]));
    assert.match(table(s), /\| T1059\.004 \| shell-recon \| web \(rce\) \| yes \|/);
    const j = JSON.parse(summaryJson(s)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j).slice(0, 5), ['source', 'detection_rate', 'false_positives_per_workload_hour', 'alerts_per_attack_incident', 'seconds_to_stable']);
    assert.deepEqual(j.missed, ['shadow-read']);
  });
});

describe('npm run scenarios: options', () => {
  it('every command docs/detection.md shows parses (unknown options, sources, attacks and durations are errors)', () => {
    const doc = readFileSync(join(REPO, 'docs/detection.md'), 'utf8');
    // every mention, in the text's inline code too (ends at the backtick), parses
    const all = [...doc.matchAll(/npm run scenarios -- ([^\n#`]*)/g)].map((m) => m[1].trim().split(/\s+/));
    for (const argv of all) parseScenarioArgs(argv);
    // the runs the doc tells a user to make (its command lines) are the 30 minutes
    const runs = [...doc.matchAll(/^flock \S+ npm run scenarios -- ([^\n#`]*)/gm)].map((m) => m[1].trim().split(/\s+/));
    assert.ok(runs.length >= 2, 'docs/detection.md shows the bpftrace and auditd runs');
    assert.ok(all.length > runs.length, 'and the shorter runs its text reports');
    for (const argv of runs) {
      const o = parseScenarioArgs(argv);
      assert.ok(o.benignMs >= 30 * 60_000, `${argv.join(' ')}: the documented runs judge at least 30 benign minutes`);
    }
    assert.deepEqual(parseScenarioArgs(['--attacks', 'sa-token,setuid']).attacks, ['sa-token', 'setuid']);
    assert.throws(() => parseScenarioArgs(['--source', 'falco']), /bpftrace or auditd/);
    assert.throws(() => parseScenarioArgs(['--attacks', 'nope']), /unknown nope/);
    assert.throws(() => parseScenarioArgs(['--benign', 'soon']));
    assert.throws(() => parseScenarioArgs(['--bogus']));
  });
});
