// Applies secret redaction to every string field of an event that can carry one.
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
