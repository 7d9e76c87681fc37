// Applies secret redaction to every string field of an event that can carry one.
import type { RuntimeEvent } from './event.ts';
import { redactArgs, redactText } from './redact.ts';

export function redactEvent(ev: RuntimeEvent): void {
  const p = ev.process;
  p.args = redactArgs(p.args, p.exe);
  if (p.ancestors) for (const a of p.ancestors) if (a.args) a.args = redactArgs(a.args, a.exe);
  if (p.cwd !== undefined && p.cwd.length > 5) p.cwd = redactText(p.cwd);
  if (ev.kind === 'connect' && ev.dns !== undefined) ev.dns = redactText(ev.dns);
}
