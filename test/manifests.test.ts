// The manifests parse, reference each other consistently, and the agent config
// they ship passes the agent's own validation.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { REPO } from './support/env.ts';
import { validateConfig } from '../agent/config/load.ts';

const dir = join(REPO, 'manifests');

describe('manifests', () => {
  it('every YAML parses and kustomization lists existing files', () => {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      for (const d of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) assert.equal(d.errors.length, 0, `${f}: ${d.errors.join(', ')}`);
    }
    const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[]; configMapGenerator: { files: string[] }[] };
    const files = new Set(readdirSync(dir));
    for (const r of [...k.resources, ...k.configMapGenerator.flatMap((g) => g.files)]) assert.ok(files.has(r), `missing ${r}`);
    JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8'));
  });
  it('the shipped agent config is valid', () => {
    const cm = parse(readFileSync(join(dir, 'configmap.yaml'), 'utf8')) as { data: Record<string, string> };
    assert.deepEqual(validateConfig(parse(cm.data['habitwatch.yaml'])), []);
  });
  it('the DaemonSet mounts the config at the path it passes to the agent', () => {
    const ds = parse(readFileSync(join(dir, 'daemonset.yaml'), 'utf8')) as {
      spec: { template: { spec: { hostPID: boolean; containers: { args: string[]; volumeMounts: { mountPath: string }[] }[] } } };
    };
    const c = ds.spec.template.spec.containers[0];
    const cfg = c.args[c.args.indexOf('--config') + 1];
    assert.ok(c.volumeMounts.some((m) => cfg.startsWith(m.mountPath + '/')));
    assert.equal(ds.spec.template.spec.hostPID, true);
  });
});
