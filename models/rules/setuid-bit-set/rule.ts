// A setuid or setgid bit set on a file: whoever runs it next runs it as its owner (root,
// usually). Containers ship their setuid binaries in the image; setting the bit at run
// time is a privilege-escalation or persistence step (`chmod u+s /tmp/x`, `chmod 4755`).
// Judged by the mode the chmod set, not by the program: a workload that runs chmod for
// its own files (644, +x) never sets these bits, so its habit hides nothing here.
import { defineRule, programName } from '../types.ts';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
// package managers install setuid binaries (passwd, su, mount) as part of a package
const PACKAGERS = new Set(['dpkg', 'rpm', 'apk', 'pacman', 'dnf', 'yum', 'microdnf', 'zypper', 'tdnf']);

export default defineRule({
  id: 'setuid-bit-set',
  title: 'Setuid or setgid bit set on a file',
  kinds: ['file_write'],
  severity: 'high',
  mitre: { technique: 'T1548.001', name: 'Abuse Elevation Control Mechanism: Setuid and Setgid', tactic: 'privilege-escalation' },
  novelty: false,
  evaluate(ev) {
    if (ev.kind !== 'file_write' || ev.op !== 'chmod' || ev.mode === undefined) return undefined;
    const bits = ev.mode & (S_ISUID | S_ISGID);
    if (bits === 0) return undefined;
    const name = programName(ev.process);
    if (PACKAGERS.has(name)) return undefined;
    const which = bits === (S_ISUID | S_ISGID) ? 'setuid and setgid bits' : bits === S_ISUID ? 'setuid bit' : 'setgid bit';
    const mode = ev.mode.toString(8).padStart(4, '0');
    return {
      summary: `${name} set the ${which} on ${ev.path} (mode ${mode})`,
      description: `A file with the ${which} runs with its owner's (or group's) privileges whoever starts it; images ship such files, a running workload does not make them.`,
      dedupOn: ev.path,
      evidence: { mode },
    };
  },
});
