// Secrets in command lines never reach the database file, the logs, the API or
// the replay output.
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { startAgentProc, tempDir } from '../support/agent-proc.ts';
import { CLI, REPO, waitFor } from '../support/env.ts';
import { SECRET_CASES } from '../support/secrets.ts';

function corpus(): string {
  let out = '';
  SECRET_CASES.forEach((c, i) => {
    const base = { time: Date.now() + i, process: { pid: 1000 + i, exe: '/tmp/dropper', args: c.args, ancestors: [{ exe: '/bin/sh', args: ['sh', '-c', c.args.join(' ')] }] }, cgroup: { path: '/kubepods.slice/x.scope' } };
    out += JSON.stringify({ ...base, kind: 'exec' }) + '\n';
    // bad lines that carry the secret too: their examples must not leak it
    out += `{"time": 1, "kind": "exec", "oops": "${c.args.join(' ').replaceAll('"', "'").replaceAll('\n', ' ')}"\n`;
  });
  return out;
}

describe('e2e: secrets never leak', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('hw-secrets-')));
  afterEach(() => tmp.cleanup());

  it('not in the database file, logs, API alerts or baselines', async () => {
    const input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, '');
    const a = await startAgentProc(tmp.dir, { log: { level: 'debug' }, sources: { enabled: ['events'], events: { paths: [input], follow: true } } });
    let apiText = '';
    try {
      appendFileSync(input, corpus());
      await waitFor(async () => {
        const r = (await (await a.api('/v1/alerts?limit=1000')).json()) as { alerts: { count: number }[] };
        return r.alerts.length > 0 && r.alerts.reduce((n, x) => n + x.count, 0) >= SECRET_CASES.length;
      }, { what: 'alerts for the corpus' });
      apiText += await (await a.api('/v1/alerts?limit=1000')).text();
      apiText += await (await a.api('/v1/workloads')).text();
      apiText += await (await a.api('/v1/workloads/host/cgroup/kubepods.slice/x.scope/export')).text();
      apiText += await (await a.api('/metrics')).text();
    } finally {
      await a.kill('SIGTERM');
    }
    const dataDir = join(tmp.dir, 'data');
    const files = readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f)).toString('latin1')).join('\n');
    assert.ok(files.length > 0);
    for (const c of SECRET_CASES) {
      assert.ok(!files.includes(c.secret), `database file leaks ${c.secret}`);
      assert.ok(!a.logs().includes(c.secret), `logs leak ${c.secret}`);
      assert.ok(!apiText.includes(c.secret), `API leaks ${c.secret}`);
    }
    assert.match(apiText, /<redacted>/);
  });

  it('not in replay output or its bad-input summary', async () => {
    const input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, corpus());
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'replay', '--source', 'events', input, '--json'], { cwd: REPO });
    assert.match(stderr, /bad input: \d+ record/);
    assert.ok(stdout.length > 0);
    for (const c of SECRET_CASES) {
      assert.ok(!stdout.includes(c.secret), `replay output leaks ${c.secret}`);
      assert.ok(!stderr.includes(c.secret), `replay summary leaks ${c.secret}`);
    }
  });
});
