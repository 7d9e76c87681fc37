// Fileless execution: a binary run from memory (memfd), a deleted file, or a /proc fd.
import { defineRule } from '../types.ts';

export function isFileless(exe: string): boolean {
  // every form below starts with m, /m, /p or /d, or ends with ')': one look at three
  // characters rules out nearly every exec
  const c1 = exe.charCodeAt(1);
  if (exe.charCodeAt(0) === 47 /* / */ && c1 !== 109 /* m */ && c1 !== 112 /* p */ && c1 !== 100 /* d */ && exe.charCodeAt(exe.length - 1) !== 41 /* ) */) return false;
  return (
    exe.startsWith('memfd:') ||
    exe.startsWith('/memfd:') ||
    exe.endsWith(' (deleted)') ||
    exe.startsWith('/proc/self/fd/') ||
    (exe.startsWith('/proc/') && /^\/proc\/\d+\/fd\//.test(exe)) ||
    exe.startsWith('/dev/fd/')
  );
}

export default defineRule({
  id: 'fileless-exec',
  title: 'Fileless execution (memfd, deleted file or /proc fd)',
  kinds: ['exec'],
  severity: 'critical',
  mitre: { technique: 'T1620', name: 'Reflective Code Loading', tactic: 'defense-evasion' },
  novelty: false,
  evaluate(ev) {
    if (!isFileless(ev.process.exe)) return undefined;
    return {
      summary: `fileless execution of ${ev.process.exe}`,
      description: 'The program has no file on disk: it was loaded from memory or deleted after start, a way to evade file scanning.',
      dedupOn: ev.process.exe.replace(/\d+/g, '*'),
    };
  },
});
