// Logs deleted, emptied or moved away under /var/log: covering tracks. Rotation does the
// same operations to the same files, so it is told apart by what it touches and who does
// it: rotated copies (`.1`, `.2.gz`, `-20240101`) are removed and compressed all day, and
// logrotate, the syslog daemons and journald manage their own files. What is left:
// - the node's own record of logins and authentication (wtmp, btmp, lastlog, auth.log,
//   secure, syslog, messages, audit/, journal/…): deleting or emptying them is never
//   routine for anything but their owners — always an alert;
// - any other current log: an alert once the baseline is stable and this workload never
//   did that to it (an application that truncates its own log at each start learns it).
import { base, defineRule, programName } from '../types.ts';

// rotated or archived copies: a number or date suffix, a compression or backup extension
const ROTATED = /\.\d+(?:\.|$)|[-_.]\d{8}|\d{4}-\d{2}-\d{2}|\.(?:gz|xz|bz2|zst|lz4|old|bak)$/;
const SYSTEM = /^\/(?:var\/log\/(?:wtmp|btmp|lastlog|faillog|auth\.log|secure|syslog|messages|kern\.log|daemon\.log|user\.log|sudo\.log|cron(?:\.log)?|audit\/|journal\/)|(?:var\/)?run\/utmp$)/;
const OWNERS = new Set(['logrotate', 'savelog', 'rsyslogd', 'syslog-ng', 'syslogd', 'systemd-journald', 'journalctl', 'auditd', 'systemd-tmpfiles', 'newsyslog', 'multilog']);

/** `to` is a rotated copy of `from` (access.log → access.log.1, app.log → app.log-20240101) */
function rotatedTo(from: string, to: string | undefined): boolean {
  return to !== undefined && to.startsWith(from) && ROTATED.test(to.slice(from.length));
}

export default defineRule({
  id: 'log-tampering',
  title: 'Log deleted, emptied or moved away',
  kinds: ['file_write'],
  severity: 'high',
  mitre: { technique: 'T1070.002', name: 'Indicator Removal: Clear Linux or Mac System Logs', tactic: 'defense-evasion' },
  novelty: false,
  evaluate(ev, ctx) {
    if (ev.kind !== 'file_write') return undefined;
    const path = ev.path;
    const underLog = path.startsWith('/var/log/');
    if (!underLog && !path.endsWith('/utmp')) return undefined;
    const system = SYSTEM.test(path);
    if (!system && !underLog) return undefined;
    let act: string | undefined;
    let op: string | undefined;
    if (ev.op === 'unlink') [act, op] = ['deleted', 'unlink'];
    else if (ev.op === 'rename' && !rotatedTo(path, ev.newPath)) [act, op] = ['moved away', 'rename'];
    else if ((ev.op === 'write' || ev.op === 'create') && ev.flags?.includes('O_TRUNC')) [act, op] = ['emptied', 'truncate'];
    if (act === undefined || ROTATED.test(base(path))) return undefined;
    const name = programName(ev.process);
    if (OWNERS.has(name)) return undefined;
    if (!system) {
      // an application's own log: only once stable, and only what it never did to it
      const b = ctx.obs.baseline;
      if (!b.enforcing()) return undefined;
      const ops = ctx.obs.novel.length === 0 ? b.get('file_write', ctx.obs.items[0])?.detail?.ops : undefined;
      if (ops?.includes(op!)) return undefined;
    }
    return {
      summary: `${path} ${act} by ${name}`,
      description: system
        ? `${path} records logins, authentication or system activity; only its own daemon rotates it.`
        : `This workload never ${act === 'emptied' ? 'emptied' : act === 'deleted' ? 'deleted' : 'moved'} this log before: removing log content hides activity.`,
      dedupOn: `${act}:${path}`,
    };
  },
});
