// The config error, apart from the loader: the CLI entry checks for it on every
// command, and importing the loader (yaml, ajv, every component's schema) for that
// alone cost `habitwatch --help` a third of a second.
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    // one line per problem, whatever a key or value holds (a YAML key can be a whole
    // mapping, spanning lines): control characters are written as escapes
    const lines = problems.map((p) => p.replace(/[\x00-\x1f\x7f\x85\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    super(`invalid configuration:\n  ${lines.join('\n  ')}`);
    this.problems = lines;
  }
}
