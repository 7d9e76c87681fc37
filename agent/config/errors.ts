// The config error, apart from the loader: the CLI entry checks for it on every
// command, and importing the loader (yaml, ajv, every component's schema) for that
// alone cost `habitwatch --help` a third of a second.
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}
