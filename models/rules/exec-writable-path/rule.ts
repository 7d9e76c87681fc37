// Binaries belong to the image; one run from a writable, temporary location was
// usually dropped there at run time.
import { generalizePath } from '../../baseline/generalize.ts';
import { defineRule, scriptOf } from '../types.ts';

export const WRITABLE_DIRS: readonly string[] = ['/tmp/', '/var/tmp/', '/dev/shm/', '/run/user/', '/var/run/user/', '/dev/mqueue/'];

// second characters of the dirs above (/t, /v, /d, /r): most executables (/usr, /bin,
// /app, /opt…) are ruled out by one table read instead of six startsWith calls
const SECOND = new Uint8Array(128);
for (const d of WRITABLE_DIRS) SECOND[d.charCodeAt(1)] = 1;

export function inWritableDir(path: string): boolean {
  const c = path.charCodeAt(1);
  if (!(c < 128 && SECOND[c] === 1)) return false;
  // a loop, not .some(): this runs for every exec, and a callback costs a closure each call
  for (let i = 0; i < WRITABLE_DIRS.length; i++) if (path.startsWith(WRITABLE_DIRS[i])) return true;
  return false;
}

export default defineRule({
  id: 'exec-writable-path',
  title: 'Execution from a writable or temporary path',
  kinds: ['exec'],
  severity: 'high',
  mitre: { technique: 'T1105', name: 'Ingress Tool Transfer', tactic: 'command-and-control' },
  novelty: false,
  evaluate(ev, ctx) {
    const p = ev.process;
    if (inWritableDir(p.exe)) {
      // a binary the baseline learned from this very path is the workload's own habit
      if (ctx.obs.baseline.enforcing() && ctx.obs.novel.length === 0) return undefined;
      return {
        summary: `${p.exe} executed from a writable temporary directory`,
        description: 'Images ship their binaries; an executable under /tmp, /var/tmp or /dev/shm was most likely written at run time.',
        dedupOn: ctx.obs.items[0],
      };
    }
    // `sh /tmp/x.sh`, `python3 /dev/shm/x.py`: the file really run is the script
    if (p.args.length < 2) return undefined;
    const script = scriptOf(p);
    if (script === undefined || !inWritableDir(script)) return undefined;
    // the interpreter run with these very arguments before is the workload's own habit
    if (ctx.obs.baseline.enforcing() && ctx.obs.novel.length === 0 && ctx.command(p.exe, p.args) === 'known') return undefined;
    return {
      summary: `${script} run by ${p.exe} from a writable temporary directory`,
      description: 'Images ship their scripts; a script under /tmp, /var/tmp or /dev/shm handed to an interpreter was most likely written at run time.',
      dedupOn: `script:${generalizePath(script)}`,
      evidence: { path: script },
    };
  },
});
