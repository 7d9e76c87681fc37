// The responder command examples of the docs run as written: docs/cli.md's "At 3 a.m."
// block and docs/operations.md's "Responding" block, line by line through bash with
// `habitwatch` on PATH (the CLI from the sources), against a running agent that knows
// shop/Deployment/web. Only what no document can know is substituted: the alert and
// incident ids (`<id>`, the example UUID) and the other agent's address.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { AgentHandle } from '../../agent/agent.ts';
import { tempDir } from '../support/agent-proc.ts';
import { startApiAgent } from '../support/api-agent.ts';
import { docBlocks } from '../support/doc-blocks.ts';
import { CLI, waitFor } from '../support/env.ts';

const W = 'shop/Deployment/web';
const TOKEN = 'docs-examples-token-0123456789';
const EXAMPLE_ALERT = '3f2a9c1e-0b6d-4e8a-9c1f-2d3e4f5a6b7c';
const run = promisify(execFile);

/** the lines of the block of `doc` that starts with `starts` (test/docs/examples.test.ts's inventory) */
function shellBlock(doc: string, starts: string): string[] {
  const b = docBlocks([doc]).find((x) => x.text.startsWith(starts));
  assert.ok(b, `${doc}: no block starting ${JSON.stringify(starts)}`);
  return b.text.split('\n').filter((l) => l.trim() !== '');
}

describe('docs: the responder examples run as written', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle;
  let other: AgentHandle;
  let input: string;
  let bin: string;
  let pid = 300;
  const ev = (kind: string, exe: string, extra: object = {}) =>
    JSON.stringify({
      time: Date.now(),
      kind,
      workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'web' },
      process: { pid: (pid += 2), ppid: pid - 1, exe, args: [exe], ancestors: [{ exe: '/usr/sbin/nginx', pid: pid - 1 }] },
      ...extra,
    }) + '\n';
  const alerts = () => agent.alerts.list({ workload: W, limit: 100 });

  /** runs one documented line with bash; ids substituted; exit 0 expected */
  const sh = async (line: string, ids: { alert: string; incident: string }): Promise<string> => {
    const cmd = line
      .replaceAll(EXAMPLE_ALERT, ids.alert)
      .replace(/(incidents show) <id>/, `$1 ${ids.incident}`)
      .replaceAll('<id>', ids.alert)
      .replaceAll('http://other-agent:7420', `http://127.0.0.1:${other.apiPort}`);
    try {
      return (await run('bash', ['-c', cmd], { cwd: tmp.dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, HABITWATCH_API: `http://127.0.0.1:${agent.apiPort}`, HABITWATCH_TOKEN: TOKEN } })).stdout;
    } catch (e) {
      const x = e as { code: number; stderr: string };
      assert.fail(`${line}\n  exit ${x.code}: ${x.stderr}`);
    }
  };
  /** a fresh novelty alert and its incident */
  const freshAlert = async (exe: string): Promise<{ alert: string; incident: string }> => {
    appendFileSync(input, ev('exec', exe));
    const a = await waitFor(() => alerts().find((x) => x.evidence.exe === exe), { what: `the ${exe} alert` });
    const i = await waitFor(() => agent.alerts.incidents.list({ workload: W }).find((x) => x.timeline.some((t) => t.alert === a.id)), { what: 'its incident' });
    return { alert: a.id, incident: i.id };
  };

  before(async () => {
    tmp = tempDir('hw-docs-respond-');
    bin = join(tmp.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'habitwatch'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(bin, 'habitwatch'), 0o755);
    input = join(tmp.dir, 'events.jsonl');
    writeFileSync(
      input,
      ev('exec', '/usr/sbin/nginx') +
        ev('listen', '/usr/sbin/nginx', { proto: 'tcp', addr: '0.0.0.0', port: 8080 }) +
        ev('file_write', '/usr/sbin/nginx', { path: '/var/cache/nginx/state', op: 'write' }) +
        ev('syscall', '/usr/sbin/nginx', { names: ['read', 'write', 'epoll_wait', 'accept4', 'close'] }),
    );
    const tokens = [{ name: 'oncall', token: TOKEN, role: 'admin' as const }];
    agent = await startApiAgent(join(tmp.dir, 'data'), input, tokens);
    other = await startApiAgent(join(tmp.dir, 'other'), undefined, tokens);
    await waitFor(() => agent.profiler.baselines.get(`${W}#web`)?.meta.state === 'stable', { what: 'web stable' });
  });
  after(async () => {
    await agent?.stop();
    await other?.stop();
    tmp?.cleanup();
  });

  it('docs/cli.md: at 3 a.m.', async () => {
    const lines = shellBlock('docs/cli.md', 'habitwatch alerts --since 1h');
    assert.ok(lines.length >= 10, lines.join('\n'));
    const ids = await freshAlert('/usr/bin/curl');
    for (const line of lines) await sh(line, ids);
    // what the examples wrote is what they claim
    const profile = JSON.parse(readFileSync(join(tmp.dir, 'web-seccomp.json'), 'utf8')) as { defaultAction: string; syscalls: { names: string[] }[] };
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
    assert.ok(profile.syscalls.some((s) => s.names.includes('epoll_wait')));
    const exported = parseYaml(readFileSync(join(tmp.dir, 'web-baseline.yaml'), 'utf8')) as { workload: string };
    assert.equal(exported.workload, W);
    assert.equal(other.profiler.baselines.get(`${W}#web`)?.meta.state, 'locked', 'imported into the other agent as it was');
    assert.equal(agent.alerts.get(ids.alert)?.status, 'resolved', 'the approved alert');
  });

  it('docs/operations.md: responding', async () => {
    const lines = shellBlock('docs/operations.md', 'habitwatch incidents --since 1h');
    assert.ok(lines.length >= 10, lines.join('\n'));
    const ids = await freshAlert('/usr/bin/wget');
    const outputs: string[] = [];
    for (const line of lines) outputs.push(await sh(line, ids));
    // the audit trail (the last example) names who changed what, and every change made
    const audit = outputs[outputs.length - 1];
    for (const action of ['approve-alert', 'approve', 'forbid', 'lock', 'relearn-reset']) assert.match(audit, new RegExp(`oncall\\s+token\\s+\\S+\\s+${action}\\s+${W}`), `${action} in:\n${audit}`);
    assert.match(audit, /\/data\/\*/, "the approved '/data/*'");
  });
});
