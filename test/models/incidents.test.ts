// Incidents: the alerts of one attack grouped by scope (container) within a window,
// joined across scopes through the process tree; what pages a human.
import assert from 'node:assert/strict';
import type { RuntimeEvent } from '../../collector/event.ts';
import type { Alert, AlertUpdate } from '../../models/alert.ts';
import type { Engine } from '../../models/engine.ts';
import type { Incident, IncidentUpdate } from '../../models/incident.ts';
import { DEFAULT_INCIDENTS, IncidentGrouper, type IncidentConfig } from '../../models/incidents.ts';
import { connect, exec, fire, learnThenStable, listen, open, syscalls, testEngine, write, MIN } from '../support/events.ts';
import { assertValidIncident } from '../support/alert-schema.ts';

const steady = (w: { container?: string; pod?: string; workload?: string } = {}): RuntimeEvent[] => [
  exec('/usr/bin/app', { ...w, parents: ['/usr/bin/containerd-shim-runc-v2'] }),
  exec('/bin/sh', { ...w, args: ['sh', '-c', 'date'], parents: ['/usr/bin/app'] }),
  write('/var/lib/app/state.db', 'write', w),
  open('/etc/app/config.yaml', w),
  listen(8080, w),
  connect('10.0.0.5', 5432, w),
  syscalls(['read', 'write', 'futex'], { ...w, pid: 0 }),
];

function engine(incidents: Partial<IncidentConfig> = {}): Engine {
  return testEngine({ engine: { incidents: { ...DEFAULT_INCIDENTS, ...incidents } } });
}

/** run events; collect the alerts and the drained incident updates (each checked against its schema) */
function run(e: Engine, evs: { ev: RuntimeEvent; at: number }[]): { alerts: Alert[]; updates: IncidentUpdate[]; incidents: Incident[]; severities: string[] } {
  const ups: AlertUpdate[] = [];
  const updates: IncidentUpdate[] = [];
  /** the incident's severity at each drain (the incident object itself changes later) */
  const severities: string[] = [];
  for (const { ev, at } of evs) {
    ups.push(...fire(e, ev, at));
    for (const u of e.incidents?.drain() ?? []) {
      assertValidIncident(u.incident);
      updates.push(u);
      severities.push(u.incident.severity);
    }
  }
  return { alerts: [...new Set(ups.map((u) => u.alert))], updates, incidents: [...new Set(updates.map((u) => u.incident))], severities };
}

// an attack through a web service: RCE → shell → recon → token theft → reverse shell
const shell = (pid: number) => ({ pid, ppid: 300, ancestors: [{ exe: '/usr/bin/bash', pid: 300 }, { exe: '/bin/sh', pid: 200 }, { exe: '/usr/bin/app', pid: 100 }] });
const attack = (t: number, w: { container?: string; pod?: string } = {}) => [
  { ev: exec('/usr/bin/bash', { ...w, pid: 300, ppid: 200, args: ['bash', '-i'], ancestors: [{ exe: '/bin/sh', pid: 200 }, { exe: '/usr/bin/app', pid: 100 }] }), at: t },
  { ev: exec('/usr/bin/id', { ...w, ...shell(301) }), at: t + 1000 },
  { ev: exec('/usr/bin/uname', { ...w, ...shell(302) }), at: t + 2000 },
  { ev: open('/var/run/secrets/kubernetes.io/serviceaccount/token', { ...w, ...shell(303), exe: '/usr/bin/cat' }), at: t + 3000 },
  { ev: connect('10.6.6.6', 4444, { ...w, ...shell(304), exe: '/usr/bin/bash' }), at: t + 4000 },
];

describe('models/incidents', () => {
  it('the alerts of one attack in one container are one incident: timeline, highest severity, techniques', () => {
    const e = engine();
    const t = learnThenStable(e, steady());
    const { alerts, updates, incidents } = run(e, attack(t));
    assert.ok(alerts.length >= 4, alerts.map((a) => a.rule).join());
    assert.equal(incidents.length, 1);
    const inc = incidents[0];
    for (const a of alerts) assert.equal(a.incident, inc.id);
    assert.equal(inc.alerts, alerts.length);
    assert.equal(inc.count, alerts.reduce((n, a) => n + a.count, 0));
    assert.deepEqual(inc.timeline.map((x) => x.alert), alerts.map((a) => a.id));
    assert.deepEqual(inc.rules, [...new Set(alerts.map((a) => a.rule))]);
    assert.deepEqual(inc.mitre.map((m) => m.technique), [...new Set(alerts.map((a) => a.mitre.technique))]);
    assert.equal(inc.severity, 'high');
    assert.equal(inc.time, alerts[0].time);
    assert.equal(inc.lastSeen, new Date(t + 4000).toISOString());
    assert.equal(inc.workload.id, 'shop/Deployment/web');
    assert.match(inc.summary, /\(\+\d+ more alerts: .*\) — shop\/Deployment\/web \(app\)$/);
    assert.deepEqual(inc.timeline.map((x) => x.pid), alerts.map((a) => a.process.pid));
    // the first update opens it; the others grow it
    assert.deepEqual(updates.map((u) => u.change), ['opened', ...updates.slice(1).map(() => 'grew')]);
    assert.equal(updates[0].isNew, true);
  });

  it('attacks on two replicas are two incidents; groupBy workload makes them one', () => {
    for (const [groupBy, n] of [['container', 2], ['pod', 2], ['workload', 1]] as const) {
      const e = engine({ groupBy });
      const t = learnThenStable(e, [...steady({ pod: 'web-a' }), ...steady({ pod: 'web-b' })]);
      const other = [
        { ev: exec('/usr/bin/nc', { pod: 'web-b', pid: 1300, ppid: 1200, args: ['nc', '-l', '4444'] }), at: t + 10_000 },
        { ev: connect('10.7.7.7', 8443, { pod: 'web-b', pid: 1301 }), at: t + 11_000 },
      ];
      const { incidents } = run(e, [...attack(t, { pod: 'web-a' }), ...other]);
      assert.equal(incidents.length, n, groupBy);
    }
  });

  it('a repeat of an open alert on another replica counts into its incident (replicas share alerts)', () => {
    const e = engine();
    const t = learnThenStable(e, [...steady({ pod: 'web-a' }), ...steady({ pod: 'web-b' })]);
    const { incidents, alerts } = run(e, [
      { ev: exec('/usr/bin/nmap', { pod: 'web-a', ppid: 1 }), at: t },
      { ev: exec('/usr/bin/nmap', { pod: 'web-b', ppid: 2 }), at: t + 1000 },
    ]);
    assert.equal(alerts.length, 1);
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0].count, 2);
  });

  it('an alert after the window opens a new incident; activity keeps it open (sliding)', () => {
    const e = engine({ windowMs: 5 * MIN });
    const t = learnThenStable(e, steady());
    const { incidents } = run(e, [
      { ev: exec('/usr/bin/a', { ppid: 1 }), at: t },
      { ev: exec('/usr/bin/b', { ppid: 2 }), at: t + 4 * MIN },
      { ev: exec('/usr/bin/c', { ppid: 3 }), at: t + 8 * MIN },
      { ev: exec('/usr/bin/d', { ppid: 4 }), at: t + 14 * MIN },
    ]);
    assert.deepEqual(incidents.map((i) => i.timeline.length), [3, 1]);
  });

  it('repeats of an alert keep its incident open and count into it', () => {
    const e = engine({ windowMs: 5 * MIN });
    const t = learnThenStable(e, steady());
    const { incidents, updates } = run(e, [
      { ev: exec('/usr/bin/a', { ppid: 1 }), at: t },
      { ev: exec('/usr/bin/a', { ppid: 1 }), at: t + 4 * MIN },
      { ev: exec('/usr/bin/a', { ppid: 1 }), at: t + 8 * MIN },
      { ev: exec('/usr/bin/b', { ppid: 2 }), at: t + 12 * MIN },
    ]);
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0].alerts, 2);
    assert.equal(incidents[0].count, 4);
    assert.equal(incidents[0].timeline[0].count, 3);
    assert.equal(incidents[0].timeline[0].lastSeen, new Date(t + 8 * MIN).toISOString());
    assert.deepEqual(updates.map((u) => u.change), ['opened', 'repeat', 'repeat', 'grew']);
  });

  it('an incident takes no new alerts past maxDuration', () => {
    const e = engine({ windowMs: 5 * MIN, maxDurationMs: 20 * MIN });
    const t = learnThenStable(e, steady());
    const { incidents } = run(e, Array.from({ length: 8 }, (_, i) => ({ ev: exec(`/usr/bin/t${String.fromCharCode(97 + i)}`, { ppid: i + 1 }), at: t + i * 4 * MIN })));
    assert.deepEqual(incidents.map((i) => i.alerts), [5, 3]);
  });

  it('a more severe alert escalates the incident (a paging change) and takes over its summary', () => {
    const e = engine();
    const t = learnThenStable(e, steady());
    const { updates, incidents, severities } = run(e, [
      { ev: connect('10.9.9.9', 443, { pid: 5 }), at: t },
      { ev: exec('/tmp/x', { ppid: 5 }), at: t + 1000 },
    ]);
    assert.deepEqual(updates.map((u) => u.change), ['opened', 'escalated']);
    assert.deepEqual(severities, ['medium', 'high']);
    assert.match(incidents[0].summary, /^\/tmp\/x .*\(\+1 more alert: unexpected-connect\)/);
  });

  it('one drain per batch: one update per incident, its strongest change', () => {
    const e = engine();
    const t = learnThenStable(e, steady());
    fire(e, connect('10.9.9.9', 443, { pid: 5 }), t);
    fire(e, connect('10.9.9.9', 443, { pid: 5 }), t + 1);
    fire(e, exec('/usr/bin/zz', { ppid: 9 }), t + 2);
    const ups = e.incidents!.drain();
    assert.equal(ups.length, 1);
    assert.equal(ups[0].change, 'opened');
    assert.equal(ups[0].isNew, true);
    assert.deepEqual(e.incidents!.drain(), []);
  });

  it('joins across scopes through the process tree, not through a reused pid', () => {
    const e = engine();
    const t = learnThenStable(e, [...steady(), ...steady({ container: 'sidecar' })]);
    // a shell in the app container raises an alert …
    const first = fire(e, exec('/usr/bin/bash', { pid: 300, ppid: 100, args: ['bash', '-i'], ancestors: [{ exe: '/usr/bin/app', pid: 100 }] }), t)[0].alert;
    // … and its child, now attributed to another container, belongs to the same incident
    const moved = fire(e, exec('/usr/bin/nmap', { container: 'sidecar', pid: 400, ppid: 300, ancestors: [{ exe: '/usr/bin/bash', pid: 300 }] }), t + 1000)[0].alert;
    assert.equal(moved.incident, first.incident);
    // the same pid with another executable is another process: no join
    const other = fire(e, exec('/usr/bin/socat', { container: 'sidecar', pid: 500, ppid: 300, ancestors: [{ exe: '/usr/bin/python3', pid: 300 }] }), t + 2 * MIN)[0].alert;
    assert.notEqual(other.incident, first.incident);
    const off = engine({ processTree: false });
    const t2 = learnThenStable(off, [...steady(), ...steady({ container: 'sidecar' })]);
    const a = fire(off, exec('/usr/bin/bash', { pid: 300, ppid: 100, args: ['bash', '-i'], ancestors: [{ exe: '/usr/bin/app', pid: 100 }] }), t2)[0].alert;
    const b = fire(off, exec('/usr/bin/nmap', { container: 'sidecar', pid: 400, ppid: 300, ancestors: [{ exe: '/usr/bin/bash', pid: 300 }] }), t2 + 1000)[0].alert;
    assert.notEqual(a.incident, b.incident);
  });

  it('the timeline is bounded; counts stay whole', () => {
    const e = engine({ maxTimeline: 3 });
    const t = learnThenStable(e, steady());
    const { incidents } = run(e, Array.from({ length: 6 }, (_, i) => ({ ev: exec(`/usr/bin/t${String.fromCharCode(97 + i)}`, { ppid: i + 1 }), at: t + i })));
    assert.equal(incidents[0].timeline.length, 3);
    assert.equal(incidents[0].truncated, 3);
    assert.equal(incidents[0].alerts, 6);
  });

  it('open incidents are bounded', () => {
    // (one process in all of them would join them through the process tree)
    const g = new IncidentGrouper({ ...DEFAULT_INCIDENTS, maxOpen: 10, processTree: false });
    const e = engine({ enabled: false });
    const t = learnThenStable(e, steady());
    const a = fire(e, exec('/usr/bin/zz'), t)[0].alert;
    // 30 alerts in 30 different pods: 30 incidents, about 10 remembered
    for (let i = 0; i < 30; i++) g.add({ isNew: true, alert: { ...a, id: a.id.slice(0, -2) + String(i).padStart(2, '0'), workload: { ...a.workload, pod: `p${i}` } } }, t + i);
    assert.ok(g.size <= 10 + 16, String(g.size));
    assert.equal(g.evicted, 30 - g.size);
    assert.equal(g.drain().length, 30);
  });

  it('restored incidents continue after a restart; ids are deterministic', () => {
    const mk = () => {
      const e = engine();
      const t = learnThenStable(e, steady());
      return { e, t, inc: run(e, attack(t).slice(0, 2)).incidents[0] };
    };
    const a = mk();
    const b = mk();
    assert.equal(a.inc.id, b.inc.id);
    const e2 = engine();
    learnThenStable(e2, steady());
    e2.incidents!.restore([structuredClone(a.inc)]);
    const later = fire(e2, exec('/usr/bin/nmap', { ppid: 77 }), a.t + MIN)[0].alert;
    assert.equal(later.incident, a.inc.id);
    const [u] = e2.incidents!.drain();
    assert.equal(u.change, 'grew');
    assert.equal(u.incident.alerts, a.inc.alerts + 1);
  });

  it('off: alerts carry no incident', () => {
    const e = engine({ enabled: false });
    const t = learnThenStable(e, steady());
    const [u] = fire(e, exec('/usr/bin/zz'), t);
    assert.equal(u.alert.incident, undefined);
    assert.equal(e.incidents, undefined);
  });
});
