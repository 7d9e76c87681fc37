// The logger: pino behind the Logger interface.
import assert from 'node:assert/strict';
import { createLogger, REDACT_PATHS } from '../../collector/logger.ts';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const log = createLogger({ level, base: { node: 'n1' }, write: (l) => void lines.push(l) });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger (pino behind Logger)', () => {
  it('writes one JSON object per line with level label, ISO time, bindings, fields and msg', () => {
    const c = capture();
    c.log.info('api listening', { host: '127.0.0.1', port: 7420 });
    assert.equal(c.lines.length, 1);
    assert.ok(!c.lines[0].includes('\n'));
    const [l] = c.parsed();
    assert.equal(l.level, 'info');
    assert.equal(l.msg, 'api listening');
    assert.equal(l.node, 'n1');
    assert.equal(l.port, 7420);
    assert.match(String(l.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('levels: below the configured level nothing is written', () => {
    const c = capture('warn');
    c.log.debug('d');
    c.log.info('i');
    c.log.warn('w');
    c.log.error('e');
    c.log.child({ component: 'x' }).info('child info');
    assert.deepEqual(c.parsed().map((l) => [l.level, l.msg]), [['warn', 'w'], ['error', 'e']]);
    const d = capture('debug');
    d.log.debug('d');
    assert.equal(d.parsed()[0].level, 'debug');
  });

  it('child loggers add bindings but can never overwrite level, time or msg', () => {
    const c = capture();
    const child = c.log.child({ component: 'api', level: 'error', msg: 'forged', time: 1 });
    child.info('real message', { level: 'fatal', msg: 'forged too' });
    child.child({ sink: 's1' }).warn('grandchild');
    const raw = c.lines[0];
    // exactly one of each key pino owns (duplicate JSON keys would let the last one win)
    for (const k of ['level', 'time', 'msg']) assert.equal(raw.split(`"${k}":`).length - 1, 1, `${k} once in ${raw}`);
    const [a, b] = c.parsed();
    assert.equal(a.level, 'info');
    assert.equal(a.msg, 'real message');
    assert.match(String(a.time), /Z$/);
    assert.equal(a.component, 'api');
    assert.equal(a._level, 'fatal');
    assert.equal(a._msg, 'forged too');
    assert.equal(b.level, 'warn');
    assert.equal(b.msg, 'grandchild');
    assert.equal(b.sink, 's1');
    assert.equal(b.component, 'api');
  });

  it('redaction paths: credentials never logged, command lines and URLs logged redacted (second line of defence)', () => {
    const c = capture();
    const fields = {
      token: 'tok-0123456789abcdef',
      args: ['mysql', '-uroot', '-pLogSecret1x'],
      err: 'spawn failed: sshpass -p LogSecret2x ssh host',
      sink: { url: 'https://user:LogSecret3x@hook.example/x', headers: { authorization: 'Bearer LogSecret4x' } },
      detail: '{"kind":"exec","oops":"PGPASSWORD=LogSecret5x psql"}',
    };
    c.log.warn('something failed', fields);
    const raw = c.lines[0];
    for (const s of ['tok-0123456789abcdef', 'LogSecret1x', 'LogSecret2x', 'LogSecret3x', 'LogSecret4x', 'LogSecret5x']) assert.ok(!raw.includes(s), `${s} in ${raw}`);
    const [l] = c.parsed();
    assert.equal(l.token, '<redacted>');
    assert.deepEqual(l.args, ['mysql', '-uroot', '-p<redacted>']);
    assert.equal((l.sink as { url: string }).url, 'https://user:<redacted>@hook.example/x');
    // the caller's object is left as it was
    assert.equal(fields.token, 'tok-0123456789abcdef');
    assert.ok(REDACT_PATHS.includes('*.args'));
  });
});
