// The logging interface every component takes. The collector layer may not import agent/,
// so the interface lives here and the agent passes an instance down. The implementation
// (pino) is in collector/logger.ts: this module has no dependencies, so code that only
// takes a Logger (the replay worker, sources) does not load pino.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
