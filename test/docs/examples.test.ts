// Every example in README.md and docs/*.md runs in a test. The inventory below names,
// for each fenced block, what runs it; a block nobody runs (a new example, an edited
// first line) fails here. Only what no document can know is substituted: addresses
// (loopback receivers for the example sinks' hosts), input files (fixtures for
// `capture.jsonl`, the audit log and `export.json`) and the hash placeholder of the
// tokens file. Config blocks are loaded by the agent's own loader as files; the
// delivery blocks run in an agent against loopback receivers; commands run through bash
// with `habitwatch` on PATH (the CLI from the sources).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { buildConfig, loadConfigFile } from '../../agent/config/load.ts';
import { parseTokenFile } from '../../agent/api/auth/tokens.ts';
import { startAgent, type AgentHandle } from '../../agent/agent.ts';
import { silentLogger } from '../../collector/log.ts';
import { docBlocks, type DocBlock } from '../support/doc-blocks.ts';
import { replayFile } from '../support/replay-file.ts';
import { tempDir } from '../support/agent-proc.ts';
import { CLI, REPO, requireComponent, waitFor } from '../support/env.ts';

const run = promisify(execFile);

/** what runs each block: its file, how its text starts, and the test (here or elsewhere) */
const INVENTORY: { file: string; starts: string; by: string }[] = [
  { file: 'README.md', starts: 'npm ci && npm start', by: 'start here' },
  { file: 'README.md', starts: 'npx habitwatch replay', by: 'replay commands' },
  { file: 'README.md', starts: 'habitwatch agent [--config FILE]', by: 'synopsis' },
  { file: 'README.md', starts: 'collector/   sources', by: 'layout' },
  { file: 'docs/api.md', starts: 'api:\n  listen: 127.0.0.1:7420', by: 'config' },
  { file: 'docs/api.md', starts: 'tokens:', by: 'tokens file' },
  { file: 'docs/api.md', starts: 'api:\n  listen: 0.0.0.0:7420', by: 'config' },
  { file: 'docs/api.md', starts: 'api:\n  limits:', by: 'config' },
  { file: 'docs/cli.md', starts: 'habitwatch baseline list|show', by: 'synopsis' },
  { file: 'docs/cli.md', starts: 'habitwatch alerts --since 1h', by: 'test/docs/respond-examples.test.ts' },
  { file: 'docs/cli.md', starts: 'source <(habitwatch completion bash)', by: 'completion' },
  { file: 'docs/delivery.md', starts: 'sinks:\n  - type: webhook', by: 'config, delivery' },
  { file: 'docs/delivery.md', starts: 'sinks:\n  - type: alertmanager', by: 'config, delivery' },
  { file: 'docs/delivery.md', starts: '{ "version": "habitwatch.webhook/v1"', by: 'delivery' },
  { file: 'docs/delivery.md', starts: 'wss://host:port/v1/stream', by: 'delivery' },
  { file: 'docs/detection.md', starts: 'flock /tmp/hw-kernel.lock npm run scenarios', by: 'test/e2e/scenarios/score.test.ts' },
  { file: 'docs/events.md', starts: '{"time":"2026-03-01T10:00:01Z"', by: 'events' },
  { file: 'docs/operations.md', starts: 'node: node-a', by: 'config' },
  { file: 'docs/operations.md', starts: 'habitwatch incidents --since 1h', by: 'test/docs/respond-examples.test.ts' },
  { file: 'docs/operations.md', starts: 'kubectl -n habitwatch create secret', by: 'overlay install' },
  { file: 'docs/operations.md', starts: 'kubectl get workloadbaselines -A', by: 'test/agent/kube/sync.test.ts' },
];

const blocks = docBlocks();
const block = (file: string, starts: string): DocBlock => {
  const b = blocks.find((x) => x.file === file && x.text.startsWith(starts));
  assert.ok(b, `${file}: no block starting ${JSON.stringify(starts)}`);
  return b;
};
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: { template: { spec: { volumes: { name: string; secret?: { secretName: string } }[]; containers: { volumeMounts: { name: string; mountPath: string }[] }[] } } };
}
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('docs: every example runs', function () {
  this.timeout(120_000);

  it('inventory: each block of README.md and docs/*.md is run by a named test', () => {
    const unclaimed = blocks.filter((b) => !INVENTORY.some((e) => e.file === b.file && b.text.startsWith(e.starts)));
    assert.deepEqual(unclaimed.map((b) => `${b.file}:${b.line} ${b.text.split('\n')[0]}`), [], 'examples no test runs: add them to a test and to INVENTORY');
    for (const e of INVENTORY) {
      const n = blocks.filter((b) => b.file === e.file && b.text.startsWith(e.starts)).length;
      assert.equal(n, 1, `${e.file} "${e.starts}": ${n} blocks`);
      if (e.by.startsWith('test/')) assert.ok(readFileSync(join(REPO, e.by), 'utf8').includes(e.file), `${e.by} runs ${e.file}`);
    }
  });

  it('config: every configuration block loads as a file through the agent loader', () => {
    const tmp = tempDir('hw-docs-config-');
    try {
      const configs = blocks.filter((b) => b.lang === 'yaml' && !b.text.startsWith('tokens:'));
      assert.equal(configs.length, 6);
      for (const b of configs) {
        const file = join(tmp.dir, 'config.yaml');
        writeFileSync(file, b.text);
        assert.doesNotThrow(() => loadConfigFile(file), `${b.file}:${b.line}`);
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('tokens file: docs/api.md\'s example parses, the sha256 entry matching its token', () => {
    const text = block('docs/api.md', 'tokens:').text.replace('<hex SHA-256 of the token>', sha('gitops-long-random-token'));
    const entries = parseTokenFile(text, 'tokens.yaml');
    assert.deepEqual(entries.map((e) => [e.name, e.role]), [['soc', 'respond'], ['gitops', 'admin'], ['grafana', 'read']]);
    assert.equal(entries[1].digest.toString('hex'), sha('gitops-long-random-token'));
    assert.equal(entries[0].digest.toString('hex'), sha('another-long-random-token'));
  });

  it('start here: CI runs `npm ci` and `npm test`; `npm start` builds and runs the agent with the defaults the README states', () => {
    const lines = block('README.md', 'npm ci && npm start').text.split('\n').filter(Boolean);
    assert.match(lines[0], /^npm ci && npm start\s+#/);
    assert.match(lines[1], /^npm test\s+#/);
    const ci = readFileSync(join(REPO, '.ci/run'), 'utf8');
    assert.match(ci, /^npm ci\b/m);
    assert.match(ci, /^npm test$/m);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.prestart, 'npm run build');
    assert.equal(pkg.scripts.start, 'node bin/habitwatch.js agent');
    // "standalone host mode, SQLite in ./.habitwatch, API on 127.0.0.1:7420", the source picked automatically
    const c = buildConfig({});
    assert.equal(c.dataDir, '.habitwatch');
    assert.equal(`${c.api.host}:${c.api.port}`, '127.0.0.1:7420');
    assert.equal(c.kubernetes.api, false, 'standalone: no Kubernetes API');
    assert.equal(c.sources.enabled, 'auto');
  });

  describe('commands', () => {
    let tmp: ReturnType<typeof tempDir>;
    let bin: string;
    before(() => {
      tmp = tempDir('hw-docs-cmd-');
      bin = join(tmp.dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'habitwatch'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
      chmodSync(join(bin, 'habitwatch'), 0o755);
    });
    after(() => tmp?.cleanup());
    const bash = async (cmd: string): Promise<{ stdout: string; stderr: string }> => {
      try {
        return await run('bash', ['-c', cmd], { cwd: tmp.dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, maxBuffer: 64 << 20 });
      } catch (e) {
        const x = e as { code: number; stderr: string };
        assert.fail(`${cmd}\n  exit ${x.code}: ${x.stderr}`);
      }
    };

    it('replay commands: README.md\'s three run as written (inputs: fixtures)', async () => {
      const lines = block('README.md', 'npx habitwatch replay').text.split('\n').filter(Boolean);
      assert.equal(lines.length, 3);
      const inputs: Record<string, string> = {
        'capture.jsonl': join(REPO, 'test/fixtures/replay/web-attack.jsonl'),
        '/var/log/audit/audit.log': join(REPO, 'test/fixtures/auditd/recorded-enriched.log'),
        'export.json': join(REPO, 'test/fixtures/tetragon/synthetic-kprobes.jsonl'),
      };
      const outs: string[] = [];
      for (const line of lines) {
        let cmd = line.replace(/^npx habitwatch /, 'habitwatch ');
        for (const [name, file] of Object.entries(inputs)) cmd = cmd.replace(` ${name}`, ` ${file}`);
        assert.notEqual(cmd, line);
        const { stdout, stderr } = await bash(cmd);
        assert.match(stderr, /events|alerts|bad/i, `${line}: a summary on stderr`);
        outs.push(stdout);
      }
      // --json: one alert object per line (always-on rules speak while baselines learn)
      const rules = outs[0].split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { rule: string }).rule);
      assert.ok(rules.includes('drift-exec'), rules.join(', '));
      // a table otherwise
      assert.match(outs[1] + outs[2], /RULE|rule/);
    });

    it('synopsis: every command, subcommand and flag README.md and docs/cli.md list is in the CLI\'s help', async () => {
      const top = (await bash('habitwatch --help')).stdout;
      const help = new Map<string, string>();
      const lines = [...block('README.md', 'habitwatch agent [--config FILE]').text.split('\n'), ...block('docs/cli.md', 'habitwatch baseline list|show').text.split('\n')];
      let checked = 0;
      let last = '';
      for (const raw of lines) {
        const line = raw.split('#')[0];
        if (line.trim() === '') continue;
        if (line.startsWith('kubectl habitwatch')) {
          assert.ok(existsSync(join(REPO, 'bin/kubectl-habitwatch.js')));
          continue;
        }
        const m = /^habitwatch (\S+)(.*)$/.exec(line);
        const cmd = m ? m[1] : last; // a continuation line belongs to the command above
        const rest = m ? m[2] : line;
        last = cmd;
        assert.match(top, new RegExp(`^  ${cmd} `, 'm'), `habitwatch ${cmd} in habitwatch --help`);
        if (!help.has(cmd)) help.set(cmd, cmd === 'completion' ? top : (await bash(`habitwatch ${cmd} --help`)).stdout);
        const text = help.get(cmd)!;
        for (const word of rest.match(/[a-z-]+(?:\|[a-z-]+)+\|?/g) ?? []) {
          for (const sub of word.split('|').filter(Boolean)) {
            assert.ok(new RegExp(`(^|[\\s|\\[])${sub}([\\s|\\]]|$)`, 'm').test(text), `habitwatch ${cmd}: "${sub}" not in its help`);
            checked++;
          }
        }
        for (const flag of rest.match(/--[a-z-]+/g) ?? []) {
          assert.ok(text.includes(flag), `habitwatch ${cmd}: ${flag} not in its help`);
          checked++;
        }
      }
      assert.ok(checked >= 40, `words checked: ${checked}`);
    });

    it('completion: the bash line installs the completion; zsh and fish scripts are generated', async () => {
      const lines = block('docs/cli.md', 'source <(habitwatch completion bash)').text.split('\n').filter(Boolean);
      assert.equal(lines.length, 3);
      const bashLine = lines[0].split('#')[0].trim();
      const { stdout } = await bash(`${bashLine} && complete -p habitwatch`);
      assert.match(stdout, /complete .* habitwatch/);
      for (const sh of ['zsh', 'fish']) {
        const line = lines.find((l) => l.includes(`completion ${sh}`))!;
        const have = await run('bash', ['-c', `command -v ${sh}`]).then(() => true, () => false);
        if (have) await bash(`${sh} -c ${JSON.stringify(line.split('#')[0].trim())}`);
        else assert.match((await bash(`habitwatch completion ${sh}`)).stdout, /habitwatch/);
      }
    });
  });

  it('overlay install: the secret as documented (client-side dry run) is the one every overlay mounts, at the tokenFile of its config; `apply -k` renders each overlay', async function () {
    const have = await run('kubectl', ['kustomize', '--help']).then(() => true, () => false);
    requireComponent(this, have, 'kubectl (with kustomize) on PATH');
    const [secretLine, applyLine] = block('docs/operations.md', 'kubectl -n habitwatch create secret').text.split('\n').filter(Boolean);
    // no API server here: the secret as kubectl builds it, the overlays as apply -k renders them
    const secret = parseYaml((await run('bash', ['-c', `${secretLine} --dry-run=client -o yaml`], { cwd: REPO })).stdout) as { metadata: { name: string; namespace: string }; data: { token: string } };
    assert.match(Buffer.from(secret.data.token, 'base64').toString(), /^[0-9a-f]{48}$/);
    const overlays = /manifests\/overlays\/(\w+)\s+# or ([\w, ]+)/.exec(applyLine);
    assert.ok(overlays, applyLine);
    for (const name of [overlays[1], ...overlays[2].split(/,\s*/)]) {
      const docs = parseAllDocuments((await run('kubectl', ['kustomize', join(REPO, 'manifests/overlays', name)], { maxBuffer: 64 << 20 })).stdout).map((d) => d.toJSON() as K8sObject);
      const ds = docs.find((d) => d.kind === 'DaemonSet');
      assert.ok(ds, `${name}: a DaemonSet`);
      assert.equal(ds.metadata.namespace, secret.metadata.namespace, `${name}: the secret's namespace`);
      const pod = ds.spec!.template.spec;
      const vol = pod.volumes.find((v) => v.secret?.secretName === secret.metadata.name);
      assert.ok(vol, `${name}: mounts the secret ${secret.metadata.name}`);
      const mount = pod.containers[0].volumeMounts.find((m) => m.name === vol.name);
      assert.ok(mount, `${name}: a mount of ${vol.name}`);
      const configMap = docs.find((d) => d.kind === 'ConfigMap' && Object.values(d.data ?? {}).some((t) => /tokenFile:/.test(String(t))));
      assert.ok(configMap, `${name}: a config with a tokenFile`);
      const tokenFile = /tokenFile:\s*(\S+)/.exec(Object.values(configMap.data ?? {}).join('\n'))![1];
      assert.ok(tokenFile.startsWith(mount.mountPath + '/'), `${name}: tokenFile ${tokenFile} under ${mount.mountPath}`);
    }
  });

  it('layout: the directories README.md lists exist', () => {
    for (const l of block('README.md', 'collector/   sources').text.split('\n').filter(Boolean)) {
      const dir = l.split(/\s+/)[0];
      assert.ok(existsSync(join(REPO, dir)), dir);
    }
  });

  it('events: docs/events.md\'s lines are two events, nothing counted bad', async () => {
    const { got, stats } = await replayFile('events', block('docs/events.md', '{"time":"2026-03-01T10:00:01Z"').text);
    assert.deepEqual(got.map((e) => e.kind), ['exec', 'connect']);
    assert.equal(stats.totalBad(), 0, JSON.stringify(stats.snap.bad));
    assert.equal(got[0].workload?.id, 'shop/Deployment/web');
  });

  describe('delivery: docs/delivery.md\'s sinks deliver, with their filters, to loopback receivers', () => {
    interface Hit {
      sink: string;
      path: string;
      headers: Record<string, string | string[] | undefined>;
      body: unknown;
    }
    let receiver: Server;
    let base: string;
    const hits: Hit[] = [];
    before(async () => {
      receiver = createServer((req, res) => {
        let text = '';
        req.setEncoding('utf8');
        req.on('data', (d) => (text += d));
        req.on('end', () => {
          hits.push({ sink: (req.url ?? '').split('/')[1], path: req.url ?? '', headers: req.headers, body: text ? (JSON.parse(text) as unknown) : undefined });
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    });
    after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

    /** the block's sinks with each host replaced by the receiver, under a path named after the sink */
    function sinksOf(b: DocBlock): Record<string, unknown>[] {
      const doc = parseYaml(b.text) as { sinks: Record<string, unknown>[] };
      return doc.sinks.map((s) => ({ ...s, url: String(s.url).replace(/^https?:\/\/[^/]+/, `${base}/${String(s.name)}`) }));
    }

    async function withAgent(b: DocBlock, body: (a: AgentHandle, input: string, token: string) => Promise<void>): Promise<void> {
      const tmp = tempDir('hw-docs-delivery-');
      const input = join(tmp.dir, 'events.jsonl');
      writeFileSync(input, '');
      const token = 'docs-delivery-token-0123456789';
      const agent = await startAgent(
        buildConfig({
          dataDir: join(tmp.dir, 'data'),
          api: { listen: '127.0.0.1:0', tokens: [{ name: 'ops', token, role: 'read' }] },
          sources: { enabled: ['events'], events: { paths: [input], follow: true } },
          sinks: sinksOf(b),
        }),
        { log: silentLogger },
      );
      try {
        await body(agent, input, token);
      } finally {
        await agent.stop();
        tmp.cleanup();
      }
    }
    let pid = 100;
    const execIn = (ns: string, exe: string) =>
      JSON.stringify({ time: Date.now(), kind: 'exec', workload: { id: `${ns}/Deployment/web`, namespace: ns, kind: 'Deployment', name: 'web', container: 'web' }, process: { pid: (pid += 1), exe, args: [exe] } }) + '\n';

    it('the first block: siem (native, HMAC, filters), am and chat each get what their filters let through; the webhook body has the documented shape; the stream URL and subscribe message are accepted', async () => {
      const b = block('docs/delivery.md', 'sinks:\n  - type: webhook');
      await withAgent(b, async (agent, input, token) => {
        // a stream client as documented (wss → ws on loopback; the "…" placeholders left out)
        const streamBlock = block('docs/delivery.md', 'wss://host:port/v1/stream').text.split('\n');
        const url = new URL(streamBlock[0].replace('wss://host:port', `ws://127.0.0.1:${agent.apiPort}`));
        for (const [k, v] of [...url.searchParams]) if (v === '…') url.searchParams.delete(k);
        const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
        const messages: { type: string }[] = [];
        ws.on('message', (d) => messages.push(JSON.parse(String(d)) as { type: string }));
        await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
        ws.send(streamBlock[1]);
        await waitFor(() => messages.some((m) => m.type === 'subscribed'), { what: 'subscribed' });
        assert.ok(!messages.some((m) => m.type === 'error'), JSON.stringify(messages));
        ws.close();

        appendFileSync(input, execIn('shop', '/tmp/x') + execIn('other', '/tmp/y'));
        await waitFor(() => hits.some((h) => h.sink === 'siem') && hits.some((h) => h.sink === 'am') && hits.some((h) => h.sink === 'chat'), { what: 'deliveries to siem, am and chat', timeoutMs: 15_000 }).catch((e: Error) => {
          throw new Error(`${e.message}: ${JSON.stringify(hits.map((h) => [h.path, JSON.stringify(h.body).slice(0, 300)]))}; alerts: ${JSON.stringify(agent.alerts.list({}).map((a) => [a.rule, a.workload.namespace, a.severity]))}`);
        });
        const siem = hits.filter((h) => h.sink === 'siem');
        const alerts = siem.flatMap((h) => (h.body as { alerts: { alert: { rule: string; workload: { namespace: string } } }[] }).alerts);
        assert.ok(alerts.length >= 1);
        for (const a of alerts) {
          assert.equal(a.alert.rule, 'exec-writable-path', 'rules: [exec-writable-path]');
          assert.equal(a.alert.workload.namespace, 'shop', 'namespaces: [shop, payments]');
        }
        assert.ok(siem.every((h) => /^\S+/.test(String(h.headers['x-habitwatch-signature']))), 'hmacSecret signs');
        assert.ok(siem.every((h) => h.headers.authorization === 'Bearer siem-api-token'), 'bearerToken');
        assert.ok(siem.every((h) => h.headers['x-tenant'] === 'acme'), 'headers: { X-Tenant: acme }');
        // the documented body's keys are the keys sent
        const doc = block('docs/delivery.md', '{ "version": "habitwatch.webhook/v1"').text.replace('"2026-…Z"', '"x"').replace('{ …Alert JSON… }', '{}');
        const shape = JSON.parse(doc) as { alerts: Record<string, unknown>[] } & Record<string, unknown>;
        const sent = siem[0].body as { alerts: Record<string, unknown>[] } & Record<string, unknown>;
        assert.deepEqual(Object.keys(sent).sort(), Object.keys(shape).sort());
        assert.deepEqual(Object.keys(sent.alerts[0]).sort(), Object.keys(shape.alerts[0]).sort());
        assert.equal(sent.version, shape.version);
      });
    });

    it('the second block: pager gets incidents, siem gets OCSF', async () => {
      hits.length = 0;
      const b = block('docs/delivery.md', 'sinks:\n  - type: alertmanager');
      await withAgent(b, async (_agent, input) => {
        appendFileSync(input, execIn('shop', '/tmp/z'));
        await waitFor(() => hits.some((h) => h.sink === 'pager') && hits.some((h) => h.sink === 'siem'), { what: 'deliveries to pager and siem' });
        const pager = hits.find((h) => h.sink === 'pager')!.body as { labels: Record<string, string> }[];
        assert.ok(pager.length > 0 && pager.every((x) => x.labels.alertname === 'HabitwatchIncident'), `incidents, not alerts: ${JSON.stringify(pager).slice(0, 400)}`);
        const ocsf = hits.find((h) => h.sink === 'siem')!.body;
        assert.match(JSON.stringify(ocsf), /class_uid/, 'OCSF');
      });
    });
  });
});
