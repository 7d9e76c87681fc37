// The file sources other than `events` across a SIGKILL of the live agent: Tetragon's
// JSON export, Falco's file_output and auditd's log, each followed through the one follower, whose
// position is stored only with the batch's alerts. The agent is killed as soon as the
// first alert reaches the webhook (so, in practice, while it works through the input),
// started again on the same data dir, and every alert the input raises reaches the
// loopback webhook (duplicates allowed: at least once) — none lost.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgentProc, tempDir } from '../support/agent-proc.ts';
import { startAlertReceiver, type ReceivedAlert } from '../support/alert-receiver.ts';
import { waitFor } from '../support/env.ts';
import { tetragonArguments } from '../support/argv.ts';

/** alerts the input raises: each one exec-writable-path alert (an exec from /tmp) */
const N = 1500;

interface Case {
  source: 'tetragon' | 'falco' | 'auditd';
  lines: () => string[];
  config: (input: string) => Record<string, unknown>;
  /** what tells the input's alerts apart (default: the workload) */
  key?: (a: ReceivedAlert) => string;
  /** the keys of the alerts the input raises */
  expected: string[];
}

/** a, b, …, z, ba, bb, …: names that stay distinct once generalised (digit runs do not) */
const letters = (i: number): string => (i >= 26 ? letters(Math.floor(i / 26)) : '') + String.fromCharCode(97 + (i % 26));

const now = (): string => new Date().toISOString();
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const cases: Case[] = [
  {
    source: 'tetragon',
    lines: () =>
      range(N).map((i) =>
        JSON.stringify({
          process_exec: {
            process: {
              exec_id: `e${i}`,
              pid: 3000 + i,
              uid: 0,
              cwd: '/',
              binary: `/tmp/payload-${i}`,
              arguments: tetragonArguments(['x']),
              start_time: now(),
              pod: { namespace: 'shop', name: `web-${i}`, container: { id: `containerd://${String(i).padStart(64, 'a')}`, name: 'main' } },
            },
          },
          node_name: 'test-node',
          time: now(),
        }),
      ),
    config: (input) => ({ tetragon: { paths: [input], fromStart: true } }),
    expected: range(N).map((i) => `shop/Pod/web-${i}`),
  },
  {
    source: 'falco',
    lines: () =>
      range(N).map((i) =>
        JSON.stringify({
          rule: 'Terminal shell in container',
          time: now(),
          source: 'syscall',
          output_fields: { 'evt.type': 'execve', 'proc.exepath': `/tmp/payload-${i}`, 'proc.name': 'payload', 'proc.args': 'x', 'proc.pid': 4000 + i, 'container.id': String(i).padStart(12, 'b'), 'k8s.ns.name': 'shop', 'k8s.pod.name': `api-${i}` },
        }),
      ),
    // the http ingest off: its fixed default port is not this test's
    config: (input) => ({ falco: { paths: [input], fromStart: true, http: { enabled: false } } }),
    expected: range(N).map((i) => `shop/Pod/api-${i}`),
  },
  {
    // auditd's log as auditd writes it (SYSCALL, EXECVE, CWD, PATH, PROCTITLE, EOE), of
    // processes long gone: all one host workload, so each exec runs its own script
    // (`sh /tmp/job-x.sh`, one alert per script) from its own parent (no fan-out fold)
    source: 'auditd',
    lines: () => {
      const t = Math.floor(Date.now() / 1000);
      return range(N).flatMap((i) => {
        const m = `msg=audit(${t}.${String(i % 1000).padStart(3, '0')}:${1000 + i}):`;
        const script = `/tmp/job-${letters(i)}.sh`;
        return [
          `type=SYSCALL ${m} arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=8 items=1 ppid=${200000 + i} pid=${100000 + i} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm="sh" exe="/usr/bin/dash" key="habitwatch-exec"`,
          `type=EXECVE ${m} argc=2 a0="sh" a1="${script}"`,
          `type=CWD ${m} cwd="/"`,
          `type=PATH ${m} item=0 name="/bin/sh" inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`,
          `type=PROCTITLE ${m} proctitle=${Buffer.from(`sh\0${script}`).toString('hex').toUpperCase()}`,
          `type=EOE ${m} `,
        ];
      });
    },
    // the processes are not on this node: no /proc lookups
    config: (input) => ({ auditd: { path: input, startAt: 'beginning', procLookup: false } }),
    key: (a) => a.evidence?.path ?? '',
    expected: range(N).map((i) => `/tmp/job-${letters(i)}.sh`),
  },
];

describe('e2e: Tetragon, Falco and auditd files across a SIGKILL — every alert delivered', function () {
  this.timeout(180_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('hw-src-kill-')));
  afterEach(() => tmp.cleanup());

  for (const c of cases) {
    it(`${c.source}: killed mid-input, started again: ${c.expected.length} of ${c.expected.length} alerts reach the webhook`, async () => {
      const input = join(tmp.dir, `${c.source}.log`);
      writeFileSync(input, c.lines().join('\n') + '\n');
      const rx = await startAlertReceiver();
      const config = {
        sources: { enabled: [c.source], ...c.config(input) },
        sinks: [{ type: 'webhook', name: 'rx', url: rx.url }],
      };
      const key = c.key ?? ((a: ReceivedAlert) => a.workload.id);
      const received = (): Set<string> => new Set([...rx.alerts.values()].filter((a) => a.rule === 'exec-writable-path').map(key));
      try {
        const a = await startAgentProc(tmp.dir, config);
        await waitFor(() => rx.deliveries() > 0, { what: 'the first delivery' });
        assert.equal(await a.kill('SIGKILL'), null);
        const killedAt = received().size;
        const b = await startAgentProc(tmp.dir, config);
        try {
          await waitFor(() => received().size === c.expected.length, { timeoutMs: 120_000, what: `every alert delivered (${received().size} so far)` });
        } finally {
          await b.kill('SIGTERM');
        }
        console.log(`      ${killedAt} of ${c.expected.length} delivered when it was killed`);
        assert.deepEqual([...received()].sort(), [...c.expected].sort());
      } finally {
        await rx.close();
      }
    });
  }
});
