import assert from 'node:assert/strict';
import rule from '../../../models/rules/drift-exec/rule.ts';
import { assertRuleShape, exec, none, one, testEngine, write, T0 } from '../../support/events.ts';

const engine = (max?: number) => testEngine({ rules: [rule], engine: max ? { maxWrittenPerContainer: max } : {} });

describe('rules/drift-exec', () => {
  it('shape', () => {
    assertRuleShape(rule, 'drift-exec');
    assert.equal(rule.novelty, false);
    assert.equal(rule.severity, 'critical');
    assert.equal(rule.mitre.technique, 'T1105');
  });

  it('running a file this container wrote alerts (critical)', () => {
    const e = engine();
    none(e, write('/app/bin/tool', 'create', { exe: '/usr/bin/curl' }), T0);
    const a = one(e, exec('/app/bin/tool'), T0 + 1);
    assert.equal(a.severity, 'critical');
    assert.equal(a.dedupKey, 'drift-exec|shop/Deployment/web#app|/app/bin/tool');
    assert.match(a.summary, /written by this container/);
  });

  it('a rename onto the path counts as writing it (download to .part, then rename)', () => {
    const e = engine();
    none(e, write('/usr/local/bin/.tool.part', 'rename', {}, '/usr/local/bin/tool'), T0);
    one(e, exec('/usr/local/bin/tool'), T0 + 1);
    none(e, exec('/usr/local/bin/.tool.part'), T0 + 2);
  });

  it('a chmod alone is not drift: an entrypoint doing chmod +x run.sh && ./run.sh stays quiet', () => {
    const e = engine();
    none(e, write('/app/run.sh', 'chmod'), T0);
    none(e, exec('/app/run.sh'), T0 + 1);
  });

  it('a rename onto a path is drift when the renamed file is run', () => {
    const e = engine();
    none(e, write('/app/.x.tmp', 'rename', {}, '/app/bin/tool'), T0);
    one(e, exec('/app/bin/tool'), T0 + 1);
  });

  it('no alert for image binaries, unlinked files, or writes of another workload / container', () => {
    const e = engine();
    none(e, exec('/usr/bin/app'), T0);
    none(e, write('/app/gone', 'unlink'), T0);
    none(e, exec('/app/gone'), T0 + 1);
    none(e, write('/app/x', 'create', { workload: 'shop/Deployment/api' }), T0);
    none(e, write('/app/y', 'create', { container: 'sidecar' }), T0);
    none(e, exec('/app/x'), T0 + 1);
    none(e, exec('/app/y'), T0 + 1);
  });

  it('remembers a bounded number of written paths per container, oldest forgotten first', () => {
    const e = engine(2);
    for (const p of ['/a', '/b', '/c']) none(e, write(p, 'create'), T0);
    none(e, exec('/a'), T0 + 1);
    one(e, exec('/c'), T0 + 1);
  });

  it('a script this container wrote, handed to an interpreter, is drift too (`sh ./art.sh`, `python3 /tmp/x.py`)', () => {
    const e = engine();
    none(e, write('/tmp/art.sh', 'create', { exe: '/usr/bin/dash' }), T0);
    none(e, write('/app/x.py', 'create', { exe: '/usr/bin/curl' }), T0);
    const sh = exec('/usr/bin/dash', { args: ['sh', '/tmp/art.sh'] });
    const a = one(e, sh, T0 + 1);
    assert.match(a.summary, /^\/tmp\/art\.sh run by \/usr\/bin\/dash after being written by this container$/);
    assert.equal(a.evidence.path, '/tmp/art.sh');
    // relative to the cwd (/app in these events), busybox's sh, python
    one(e, exec('/usr/bin/python3', { args: ['python3', 'x.py'] }), T0 + 2);
    one(e, exec('/bin/busybox', { args: ['sh', '/tmp/art.sh'] }), T0 + 3);
    // a command string or stdin names no script; the image's scripts were not written
    none(e, exec('/usr/bin/dash', { args: ['sh', '-c', '/tmp/art.sh'] }), T0 + 4);
    none(e, exec('/usr/bin/bash', { args: ['bash', '/app/run.sh'] }), T0 + 5);
  });
});
