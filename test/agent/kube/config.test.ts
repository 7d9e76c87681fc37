// The `kubernetes:` config section, validated at the edge: defaults (off on a standalone
// host, on in a pod or with a kubeconfig), one readable line per problem.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError } from '../../../agent/config/load.ts';
import { inCluster, MAX_HOLD_MS } from '../../../agent/kube/config.ts';
import { loadKubeConfig } from '../../../agent/kube/client.ts';
import { DEFAULT_RUNTIME_DIRS } from '../../../collector/enrich/kube/runtime.ts';
import { KubeApiServer } from '../../support/kube/server.ts';

function problems(raw: unknown): string[] {
  try {
    buildConfig(raw);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('config: kubernetes', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hw-kcfg-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults: the API off on a standalone host, runtime names on, 2 s hold, cluster baselines on, headless peers', () => {
    const k = buildConfig({ node: 'n' }).kubernetes;
    assert.equal(k.api, inCluster());
    assert.equal(k.holdMs, MAX_HOLD_MS);
    assert.deepEqual(k.runtimeDirs, DEFAULT_RUNTIME_DIRS);
    assert.deepEqual(k.baselines, { sync: true, writeIntervalMs: 30_000, maxObjectBytes: 786_432 });
    assert.equal(k.peers, 'headless');
  });

  it('a kubeconfig turns the API on; everything is configurable', () => {
    const kc = join(dir, 'kubeconfig');
    writeFileSync(kc, 'apiVersion: v1\nkind: Config\n');
    const k = buildConfig({
      kubernetes: {
        kubeconfig: kc,
        context: 'ctx',
        holdUnknownPods: '500ms',
        peers: 'all',
        retry: { initial: '1s', max: '1m' },
        runtimeDirs: [{ runtime: 'cri-o', dir: '/var/run/crio-state' }],
        baselines: { sync: false, writeInterval: '2m', maxObjectBytes: 100_000 },
      },
    }).kubernetes;
    assert.equal(k.api, true);
    assert.equal(k.kubeconfig, kc);
    assert.equal(k.holdMs, 500);
    assert.deepEqual(k.retry, { initialMs: 1000, maxMs: 60_000 });
    assert.deepEqual(k.baselines, { sync: false, writeIntervalMs: 120_000, maxObjectBytes: 100_000 });
  });

  it('problems are reported one line each, naming the key', () => {
    assert.deepEqual(problems({ kubernetes: { holdUnknownPods: '5s' } }), ['kubernetes.holdUnknownPods: at most 2s (detection is never delayed longer)']);
    assert.deepEqual(problems({ kubernetes: { kubeconfig: join(dir, 'nope') } }), [`kubernetes.kubeconfig: cannot read ${join(dir, 'nope')}`]);
    assert.match(problems({ kubernetes: { api: 'sometimes' } })[0], /^kubernetes\.api: must be "auto", true or false/);
    assert.match(problems({ kubernetes: { peers: 'some' } })[0], /^kubernetes\.peers: must be one of "headless", "all", "off"/);
    assert.match(problems({ kubernetes: { runtimeDirs: [{ runtime: 'docker', dir: '/x' }] } })[0], /^kubernetes\.runtimeDirs\.0\.runtime: must be one of "containerd", "cri-o"/);
    assert.match(problems({ kubernetes: { baselines: { maxObjectBytes: 2_000_000 } } })[0], /^kubernetes\.baselines\.maxObjectBytes: must be <= 1200000/);
    assert.match(problems({ kubernetes: { nodeName: 'x' } })[0], /^kubernetes\.nodeName: unknown key/);
    assert.deepEqual(problems({ kubernetes: { api: false, kubeconfig: '/etc/hosts' } }), ['kubernetes.kubeconfig: set, but kubernetes.api is false']);
  });

  it('in a pod: the kubelet’s environment and the service account token', () => {
    const token = join(dir, 'token');
    writeFileSync(token, 't');
    assert.equal(inCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, token), true);
    assert.equal(inCluster({}, token), false);
    assert.equal(inCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, join(dir, 'absent')), false);
  });

  it('the client configuration from a kubeconfig, with a context', async () => {
    const kube = await KubeApiServer.start();
    try {
      const file = join(dir, 'kc2');
      writeFileSync(file, kube.kubeconfigYaml('tok'));
      const kc = await loadKubeConfig(buildConfig({ kubernetes: { kubeconfig: file, context: 'emulated' } }).kubernetes);
      assert.equal(kc.getCurrentCluster()?.server, kube.url);
      await assert.rejects(loadKubeConfig(buildConfig({ kubernetes: { kubeconfig: file, context: 'nope' } }).kubernetes));
    } finally {
      await kube.close();
    }
  });
});
