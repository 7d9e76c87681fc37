// Structured logging: pino (JSON lines on stderr) behind the Logger interface
// (collector/log.ts).
//
// Every line is `{"level":"info","time":"<ISO 8601>",<bindings>,<fields>,"msg":"…"}`.
// Fields and child bindings can never overwrite `level`, `time` or `msg`: such keys are
// written as `_level`, `_time`, `_msg`. Secrets are redacted before anything is logged
// (collector/redact.ts runs on every event); the redaction paths below are a second line
// of defence for fields that may carry a command line, a URL or a credential.
import pino from 'pino';
import { REDACTED, redactArgs, redactCommand } from './redact.ts';
import type { LogFields, Logger, LogLevel } from './log.ts';

/** keys pino writes itself */
const RESERVED = new Set(['level', 'time', 'msg']);

/** field names whose value is a credential: never logged */
const SECRET_KEYS = ['token', 'tokens', 'password', 'passwd', 'secret', 'authorization', 'bearerToken', 'hmacSecret', 'apiKey', 'cookie'];
/** field names whose value may carry a command line or a URL: logged redacted */
const TEXT_KEYS = ['args', 'argv', 'cmdline', 'command', 'detail', 'example', 'line', 'stderr', 'err', 'error', 'url', 'dns', 'cwd', 'body'];
const SECRET_KEY_SET = new Set(SECRET_KEYS);

/** the paths given to pino: each key at the top level, one and two levels down */
export const REDACT_PATHS: readonly string[] = [...SECRET_KEYS, ...TEXT_KEYS].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1];
  if (SECRET_KEY_SET.has(key)) return REDACTED;
  if (typeof value === 'string') return redactCommand(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return redactArgs(value as string[]);
  return value;
}

/** fields with the keys pino writes itself renamed (`level` → `_level`) */
function own(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined) return undefined;
  let out: LogFields | undefined;
  for (const k of Object.keys(fields)) {
    if (!RESERVED.has(k)) continue;
    out ??= { ...fields };
    out[`_${k}`] = out[k];
    delete out[k];
  }
  return out ?? fields;
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, f) => p.debug(own(f) ?? {}, msg),
    info: (msg, f) => p.info(own(f) ?? {}, msg),
    warn: (msg, f) => p.warn(own(f) ?? {}, msg),
    error: (msg, f) => p.error(own(f) ?? {}, msg),
    child: (fields) => wrap(p.child(own(fields) ?? {})),
  };
}

export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void; base?: LogFields } = {}): Logger {
  const write = opts.write;
  const dest = write ? { write: (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s) } : pino.destination({ dest: 2, sync: true });
  return wrap(
    pino(
      {
        level: opts.level ?? 'info',
        base: own(opts.base) ?? null,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: [...REDACT_PATHS], censor },
      },
      dest,
    ),
  );
}

