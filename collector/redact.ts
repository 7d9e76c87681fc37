// Secret redaction for command lines and free text. The pipeline applies it to every
// event right after enrichment (which may add ancestors and their argv from the process
// cache) and before anything judges, stores, logs, streams or sends the event, so no
// later stage ever holds the secret. Redaction keeps the shape of the argument
// (`--password=<redacted>`) so responders still see what was run and baselines
// generalise over the value. The contract (every form of secret it must catch, every
// ordinary argument it must leave alone) is test/support/secrets.ts.
//
//   redact/text.ts      context-free: token shapes, keys, JWTs, URLs, NAME=value, headers
//   redact/argv.ts      an argv: options by name, program and shape, positional secrets
//   redact/command.ts   a shell command string, word by word per simple command
//   redact/programs.ts  what some programs' options and positionals mean
//   redact/names.ts     which names (options, variables, keys) name a secret
//   redact/shape.ts     which values look like a generated secret
export { REDACTED, redactText } from './redact/text.ts';
export { redactArgs } from './redact/argv.ts';
export { redactCommand } from './redact/command.ts';
