// The kubectl plugin, for real: the kubectl on PATH runs `kubectl-habitwatch` (the plugin
// from the sources, on a temporary PATH entry) for `kubectl habitwatch …`; the plugin
// finds the node's agent pod through the kubeconfig and talks to it through the
// (emulated) API server's pod proxy; the agent checks the user's token with TokenReview
// and each action with SubjectAccessReview. Nothing is stubbed but the cluster.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { accessSync, appendFileSync, chmodSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAgent, type AgentHandle } from '../../agent/agent.ts';
import { buildConfig } from '../../agent/config/load.ts';
import { silentLogger } from '../../collector/log.ts';
import { EXIT } from '../../agent/cli/errors.ts';
import { KubeApiServer } from '../support/kube/server.ts';
import { tempDir } from '../support/agent-proc.ts';
import { REPO, kubectlInstalled, requireComponent, waitFor } from '../support/env.ts';

const run = promisify(execFile);
const W = 'shop/Deployment/web';
const G = 'habitwatch.io';


describe('kubectl habitwatch (plugin) through the API server pod proxy', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let kube: KubeApiServer;
  let agent: AgentHandle;
  let input: string;
  let env: NodeJS.ProcessEnv;
  let pid = 100;
  const line = (exe: string) =>
    JSON.stringify({ time: Date.now(), kind: 'exec', workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' }, process: { pid: pid++, ppid: pid++, exe, args: [exe] } }) + '\n';
  const kubectl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const r = await run('kubectl', ['habitwatch', ...args], { env });
      return { code: 0, ...r };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  };

  before(async function () {
    requireComponent(this, kubectlInstalled(), 'kubectl on PATH');
    tmp = tempDir('hw-plugin-');
    kube = await KubeApiServer.start({ authenticate: true, authorize: true });
    const sa = 'system:serviceaccount:habitwatch:habitwatch';
    kube.reviews.addToken('agent-sa-token', { username: sa });
    kube.reviews.grant(sa, [
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    kube.reviews.addToken('alice-token', { username: 'alice', groups: ['sre'] });
    kube.reviews.grant('group:sre', [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get', 'create'] },
      { apiGroups: [G], resources: ['workloadbaselines'], verbs: ['get', 'list'] },
    ]);
    const agentKubeconfig = join(tmp.dir, 'agent.kubeconfig');
    writeFileSync(agentKubeconfig, kube.kubeconfigYaml('agent-sa-token'));
    input = join(tmp.dir, 'events.jsonl');
    writeFileSync(input, line('/usr/bin/web'));
    agent = await startAgent(
      buildConfig({
        node: 'node-a',
        dataDir: join(tmp.dir, 'data'),
        api: { listen: '127.0.0.1:0', kubernetesAuth: { kubeconfig: agentKubeconfig, cacheTtl: '1s' } },
        sources: { enabled: ['events'], events: { paths: [input], follow: true } },
        learning: { minLearning: '0s', quietPeriod: '200ms' },
        store: { flushInterval: '100ms' },
      }),
      { log: silentLogger },
    );
    await waitFor(() => agent.profiler.baselines.get(`${W}#app`)?.meta.state === 'stable', { what: 'stable' });
    // the DaemonSet's pod on node-a, as the kubelet reports it
    kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'habitwatch-x7k2p', namespace: 'habitwatch', labels: { 'app.kubernetes.io/name': 'habitwatch' } },
      spec: { nodeName: 'node-a', containers: [{ name: 'agent', image: 'habitwatch:0.1.0', ports: [{ name: 'http', containerPort: agent.apiPort! }] }] },
      status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    // kubectl finds kubectl-habitwatch on PATH
    const bin = join(tmp.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'kubectl-habitwatch'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'test/support/kubectl-plugin.mjs')}" "$@"\n`);
    chmodSync(join(bin, 'kubectl-habitwatch'), 0o755);
    const kubeconfig = join(tmp.dir, 'user.kubeconfig');
    writeFileSync(kubeconfig, kube.kubeconfigYaml('alice-token'));
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: kubeconfig, HOME: tmp.dir };
    delete env.HABITWATCH_API;
    delete env.HABITWATCH_TOKEN;
  });
  after(async () => {
    await agent?.stop();
    await kube?.close();
    tmp?.cleanup();
  });

  it('kubectl plugin list shows it', async () => {
    const { stdout } = await run('kubectl', ['plugin', 'list'], { env });
    assert.match(stdout, /kubectl-habitwatch/);
  });

  it('reads through the pod proxy as the kubeconfig user (TokenReview + SubjectAccessReview in the agent)', async () => {
    const r = await kubectl('baseline', 'list', '--node', 'node-a');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /shop\/Deployment\/web\s+app\s+stable/);
    const proxied = kube.requests.filter((q) => q.resource === 'pods' && q.subresource === 'proxy');
    assert.ok(proxied.length > 0 && proxied.every((q) => q.user === 'alice' && q.name === 'habitwatch-x7k2p'), 'through the API server as alice');
    const sar = kube.reviews.asked.filter((a) => a.kind === 'SubjectAccessReview').at(-1) as { spec: { user: string; resourceAttributes: { verb: string } } };
    assert.equal(sar.spec.user, 'alice', 'the agent authorised alice, not the API server');
    assert.equal(sar.spec.resourceAttributes.verb, 'list');
  });

  it('changes need RBAC: 403 (exit 4, one line) until approvals are granted', async () => {
    const denied = await kubectl('baseline', 'approve', W, '--kind', 'exec', '/usr/bin/curl');
    assert.equal(denied.code, EXIT.denied);
    assert.equal(denied.stderr.trim().split('\n').length, 1);
    assert.match(denied.stderr, /^kubectl habitwatch: .*403 alice may not approve workload baseline deployment.web in namespace shop/);
    kube.reviews.grant('group:sre', [{ apiGroups: [G], resources: ['workloadbaselines/approvals'], verbs: ['create'] }]);
    await waitFor(async () => (await kubectl('baseline', 'approve', W, '--kind', 'exec', '/usr/bin/curl')).code === 0, { timeoutMs: 15_000, what: 'approval allowed once the cached denial expired' });
    assert.ok(agent.profiler.baselines.get(`${W}#app`)!.has('exec', '/usr/bin/curl'));
    const audit = (await kubectl('audit', '-o', 'json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { actor: string; via: string; action: string });
    assert.deepEqual(audit[0], { ...audit[0], actor: 'alice', via: 'kubernetes', action: 'approve' });
  });

  it('alerts --follow over a WebSocket through the pod proxy', async () => {
    const child = spawn('kubectl', ['habitwatch', 'alerts', '--follow', '-o', 'json'], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      await waitFor(() => agent.metrics.delivery.streamClients.get().then((m) => (m.values[0]?.value ?? 0) > 0), { timeoutMs: 20_000, what: `the plugin's stream connected (${err})` });
      appendFileSync(input, line('/usr/bin/nmap'));
      await waitFor(() => out.includes('/usr/bin/nmap'), { what: 'the followed alert' });
    } finally {
      child.kill('SIGINT');
    }
    await exited;
  });

  it('one-line errors: no agent on a node, an unknown context', async () => {
    const none = await kubectl('baseline', 'list', '--node', 'node-b');
    assert.equal(none.code, EXIT.unreachable);
    assert.match(none.stderr, /^kubectl habitwatch: no ready habitwatch agent pod on node node-b in namespace habitwatch/);
    const ctx = await kubectl('baseline', 'list', '--context', 'nope');
    assert.equal(ctx.code, EXIT.usage);
    assert.match(ctx.stderr, /kubeconfig: no context nope/);
  });

  it('ships as bin/kubectl-habitwatch.js (executable, a package bin)', () => {
    const file = join(REPO, 'bin/kubectl-habitwatch.js');
    accessSync(file, constants.X_OK);
    assert.match(readFileSync(file, 'utf8'), /run\(process\.argv\.slice\(2\), \{ plugin: true \}\)/);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(pkg.bin['kubectl-habitwatch'], 'bin/kubectl-habitwatch.js');
  });
});
