import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildConfig, ConfigError, validateConfig } from '../../agent/config/load.ts';
import { tempDir } from '../support/agent-proc.ts';
import { CLI } from '../support/env.ts';
import { ruleIds } from '../../models/rules/index.ts';

function problems(raw: unknown): string[] {
  try {
    buildConfig(raw);
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
}

describe('config: validated once, every problem named', () => {
  it('accepts an empty config with production defaults', () => {
    const c = buildConfig({});
    assert.equal(c.learning.minLearningMs, 10 * 60_000);
    assert.equal(c.learning.quietPeriodMs, 5 * 60_000);
    assert.equal(c.engine.cooldownMs, 10 * 60_000);
    assert.equal(c.api.host, '127.0.0.1');
    assert.equal(c.sources.enabled, 'auto');
    assert.ok(Object.isFrozen(c.learning));
    // buildConfig skips the validator for an empty document; the schema must agree
    assert.deepEqual(validateConfig({}), []);
  });
  it('parses durations', () => {
    const c = buildConfig({ learning: { minLearning: '90s', quietPeriod: '1.5m' }, detection: { cooldown: 250 } });
    assert.equal(c.learning.minLearningMs, 90_000);
    assert.equal(c.learning.quietPeriodMs, 90_000);
    assert.equal(c.engine.cooldownMs, 250);
  });
  it('incidents: grouping window, duration, key; validated', () => {
    assert.deepEqual(buildConfig({}).engine.incidents, { enabled: true, windowMs: 600_000, maxDurationMs: 6 * 3_600_000, groupBy: 'container', processTree: true, maxOpen: 10_000, maxTimeline: 200 });
    const c = buildConfig({ incidents: { window: '2m', maxDuration: '1h', groupBy: 'pod', processTree: false, maxTimeline: 50 } });
    assert.deepEqual(c.engine.incidents, { enabled: true, windowMs: 120_000, maxDurationMs: 3_600_000, groupBy: 'pod', processTree: false, maxOpen: 10_000, maxTimeline: 50 });
    assert.equal(buildConfig({ incidents: { enabled: false } }).engine.incidents.enabled, false);
    const text = problems({ incidents: { groupBy: 'galaxy', window: 'a while' } }).join('\n');
    assert.match(text, /incidents\.groupBy: must be one of "container", "pod", "workload" \(got "galaxy"\)/);
    assert.match(text, /incidents\.window: must be a duration/);
  });
  it('fan-out folding: window and list bound, defaults kept for what is not set', () => {
    assert.deepEqual(buildConfig({}).engine.fanOut, { windowMs: 60_000, maxItems: 64, maxOpen: 10_000 });
    const c = buildConfig({ detection: { fanOut: { window: '0s', maxItems: 8 } } });
    assert.deepEqual(c.engine.fanOut, { windowMs: 0, maxItems: 8, maxOpen: 10_000 });
    const text = problems({ detection: { fanOut: { window: 'briefly', depth: 1 } } }).join('\n');
    assert.match(text, /detection\.fanOut\.window: must be a duration/);
    assert.match(text, /detection\.fanOut\.depth: unknown key/);
  });
  it('reports each bad key by its path, all at once', () => {
    const p = problems({
      learning: { quietPeriod: 'soon', maxItems: -1 },
      api: { listen: 'nowhere' },
      sources: { enabled: ['carrier-pigeon'], bogus: {} },
      detection: { rules: { 'drift-exec': { severity: 'apocalyptic' } } },
      colour: 'blue',
    });
    const text = p.join('\n');
    assert.match(text, /learning\.quietPeriod: must be a duration like 500ms, 30s, 5m, 2h \(got "soon"\)/);
    assert.match(text, /learning\.maxItems: must be >= 1/);
    assert.match(text, /api\.listen: must be host:port/);
    assert.match(text, /sources\.enabled: must be "auto" or a list of: events/);
    assert.match(text, /sources\.bogus: unknown key/);
    assert.match(text, /detection\.rules\.drift-exec\.severity: must be one of "info", "low", "medium", "high", "critical"/);
    assert.match(text, /colour: unknown key \(known: node, dataDir/);
    assert.ok(p.length >= 7, text);
  });
  it('unknown rule ids anywhere in the config are errors, with the nearest known id', () => {
    const p = problems({
      detection: { rules: { 'drift-exe': { enabled: false } } },
      sinks: [
        { type: 'webhook', name: 'siem', url: 'http://127.0.0.1:1/hook', rules: ['exec-writable-path', 'exec-from-writable-path'] },
        { type: 'slack', name: 'chat', url: 'http://127.0.0.1:1/slack', rules: ['no-such-rule'] },
      ],
    });
    const text = p.join('\n');
    assert.match(text, /detection\.rules\.drift-exe: unknown rule id \(did you mean "drift-exec"\?\) \(known: /);
    assert.match(text, /sinks\.0\.rules\.1: unknown rule id "exec-from-writable-path" \(did you mean "exec-writable-path"\?\) \(known: .*exec-writable-path/);
    assert.match(text, /sinks\.1\.rules\.0: unknown rule id "no-such-rule" \(known: /);
    assert.equal(p.length, 3, text);
    // every registered id is accepted
    assert.doesNotThrow(() => buildConfig({ sinks: [{ type: 'webhook', name: 'w', url: 'http://127.0.0.1:1/', rules: [...ruleIds] }] }));
  });
  it('the API binds to loopback unless configured otherwise', () => {
    const c = buildConfig({});
    assert.deepEqual([c.api.host, c.api.port], ['127.0.0.1', 7420]);
    assert.equal(buildConfig({ api: { listen: '0.0.0.0:7420', tokens: [{ name: 'a', token: 'a-long-random-token' }] } }).api.host, '0.0.0.0');
  });
  it('requires tokens when the API listens beyond loopback', () => {
    assert.match(problems({ api: { listen: '0.0.0.0:7420' } }).join(), /api\.tokens: required/);
  });
  it('the agent exits 2 with one line per problem', async () => {
    const t = tempDir('hw-cfg-');
    try {
      const f = join(t.dir, 'bad.yaml');
      writeFileSync(f, 'learning:\n  quietPeriod: soon\nsinks: 3\nnope: 1\n');
      const r = await promisify(execFile)(process.execPath, [CLI, 'agent', '--config', f]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^habitwatch: invalid configuration:\n/);
      assert.match(r.stderr, /\n {2}learning\.quietPeriod: must be a duration/);
      assert.match(r.stderr, /\n {2}nope: unknown key/);
      assert.match(r.stderr, /\n {2}sinks: must be array/);
      assert.equal(r.stderr.trim().split('\n').length, 4, 'a header and one line per problem');
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace for a user error');
      writeFileSync(f, 'learning: [unclosed\n');
      const y = await promisify(execFile)(process.execPath, [CLI, 'agent', '--config', f]).catch((e: { code: number; stderr: string }) => e);
      assert.equal((y as { code: number }).code, 2);
      assert.match((y as { stderr: string }).stderr, /not valid YAML/);
    } finally {
      t.cleanup();
    }
  });
});
