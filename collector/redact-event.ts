// Applies secret redaction to every string field of an event that can carry a command
// line, a URL or a credential: the argv, each ancestor's argv, the cwd, a connect's DNS
// name. (Sources decode only the keys the format defines, so no other field carries
// input text; paths and executables are not redacted.)
import type { RuntimeEvent } from './event.ts';
import { redactArgs, redactText } from './redact.ts';

export function redactEvent(ev: RuntimeEvent): void {
  const p = ev.process;
  // assign only what changed: a store into an event costs a write barrier, and
  // almost no argv needs redaction
  const args = redactArgs(p.args, p.exe);
  if (args !== p.args) p.args = args;
  if (p.ancestors) {
    for (const a of p.ancestors) {
      if (!a.args) continue;
      const r = redactArgs(a.args, a.exe);
      if (r !== a.args) a.args = r;
    }
  }
  if (p.cwd !== undefined && p.cwd.length > 5) p.cwd = redactText(p.cwd);
  if (ev.kind === 'connect' && ev.dns !== undefined) ev.dns = redactText(ev.dns);
}
