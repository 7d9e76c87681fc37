// A config file's text: only a mapping is a configuration, and nothing the YAML parser
// has to say reaches stderr outside the JSON log (its warnings would carry the file's bytes).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig, ConfigError, loadConfigFile, parseConfigText } from '../../agent/config/load.ts';
import { parseTokenFile } from '../../agent/api/auth/tokens.ts';
import { tempDir } from '../support/agent-proc.ts';

describe('config file text', () => {
  it('a scalar or a list is refused with one line, not read as an empty configuration', () => {
    const tmp = tempDir('hw-config-text-');
    try {
      for (const [text, got] of [['42\n', 'number'], ['- a\n- b\n', 'a list'], ['hello\n', 'string']]) {
        const file = join(tmp.dir, 'c.yaml');
        writeFileSync(file, text);
        assert.throws(() => loadConfigFile(file), (e: unknown) => e instanceof ConfigError && e.problems.length === 1 && e.problems[0] === `${file}: must be a mapping of keys (got ${got})`);
      }
      writeFileSync(join(tmp.dir, 'empty.yaml'), '# nothing yet\n');
      assert.equal(typeof loadConfigFile(join(tmp.dir, 'empty.yaml')).dataDir, 'string', 'an empty file is the defaults');
    } finally {
      tmp.cleanup();
    }
  });

  it('the YAML parser emits no process warnings for odd input (config, tokens file)', async () => {
    const warnings: string[] = [];
    const on = (w: Error): void => void warnings.push(w.message);
    process.on('warning', on);
    try {
      for (const text of ['%WEIRD directive\n---\na: 1\n', 'a: !unknown x\n', 'a: &x: 1\n', 'tokens:\n  - !R x\n']) {
        try {
          parseConfigText(text, 'c.yaml');
        } catch (e) {
          assert.ok(e instanceof ConfigError);
        }
        try {
          parseTokenFile(text, 't.yaml');
        } catch {
          /* refused is fine: warned is not */
        }
      }
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', on);
    }
    assert.deepEqual(warnings, []);
  });

  it('a sink header or bearer token Node could not send is a config error, not a sink that never delivers', () => {
    const sink = (o: object) => ({ sinks: [{ type: 'webhook', name: 'siem', url: 'http://127.0.0.1:1/hook', ...o }] });
    for (const [o, field] of [
      [{ bearerToken: '…' }, 'sinks.0.bearerToken'],
      [{ bearerToken: 'a b' }, 'sinks.0.bearerToken'],
      [{ headers: { 'X-Tenant': 'acme\r\nX-Evil: 1' } }, 'sinks.0.headers.X-Tenant'],
      [{ headers: { 'Bad Name': 'x' } }, 'sinks.0.headers'],
    ] as const) {
      assert.throws(() => buildConfig(sink(o)), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith(field)), JSON.stringify(o));
    }
    assert.doesNotThrow(() => buildConfig(sink({ bearerToken: 'abc.DEF-123_~+/=', headers: { 'X-Tenant': 'acme corp' } })));
  });

  it('one line per problem, whatever the keys hold (a YAML key can be a whole mapping)', () => {
    for (const input of [{ 'api\nx': 1 }, parseConfigText('? { limits: { a: 1 } }\n: 2\n', 'c.yaml'), { node: 'a\u2028b', 'x\ry': 1 }]) {
      assert.throws(
        () => buildConfig(input),
        (e: unknown) => e instanceof ConfigError && e.problems.length > 0 && e.problems.every((p) => !/[\n\r\u2028]/.test(p)) && e.message.split('\n').length === e.problems.length + 1,
        JSON.stringify(input),
      );
    }
  });
});
