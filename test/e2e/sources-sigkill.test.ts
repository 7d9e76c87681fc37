// The file sources other than `events` across a SIGKILL of the live agent: Tetragon's
// JSON export and Falco's file_output, each followed through the one follower, whose
// position is stored only with the batch's alerts. The agent is killed as soon as the
// first alert reaches the webhook (so, in practice, while it works through the input),
// started again on the same data dir, and every alert the input raises reaches the
// loopback webhook (duplicates allowed: at least once) — none lost.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgentProc, tempDir } from '../support/agent-proc.ts';
import { startAlertReceiver } from '../support/alert-receiver.ts';
import { waitFor } from '../support/env.ts';
import { tetragonArguments } from '../support/argv.ts';

/** workloads in the input: each raises one exec-writable-path alert (an exec from /tmp) */
const N = 1500;

interface Case {
  source: 'tetragon' | 'falco';
  lines: () => string[];
  config: (input: string) => Record<string, unknown>;
  /** the workloads whose alerts the input raises */
  expected: string[];
}

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
];

describe('e2e: Tetragon and Falco files across a SIGKILL — every alert delivered', function () {
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
      const received = (): Set<string> => new Set([...rx.alerts.values()].filter((a) => a.rule === 'exec-writable-path').map((a) => a.workload.id));
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
