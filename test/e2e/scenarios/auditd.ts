// The audit source for the scenario suite: a private auditd (test/support/auditd.ts),
// the shipped rules narrowed to a login uid that every process of the suite's pods
// carries (set as each enters its pod), removed again afterwards.
import { randomInt } from 'node:crypto';
import { auditctl, auditStatus, narrowedRules, startPrivateAuditd } from '../../support/auditd.ts';
import type { SourceSetup } from './sources.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEY = 'habitwatch-scenarios';

export const auditdSetup: SourceSetup = {
  name: 'auditd',
  // the log is tailed and an event closes once its records stop (eventTimeoutMs)
  settleMs: 5000,
  async start({ dir }) {
    const st = auditStatus();
    const enabled = typeof st === 'string' ? undefined : st.enabled;
    const daemon = await startPrivateAuditd(join(dir, 'auditd'));
    const auid = randomInt(1_000_000_000, 4_000_000_000);
    const rules = join(dir, 'scenarios.rules');
    writeFileSync(rules, narrowedRules(auid, KEY) + '\n');
    const loaded = auditctl('-R', rules);
    if (!loaded.ok) {
      auditctl('-D', '-k', KEY);
      await daemon.stop();
      throw new Error(`auditctl -R: ${loaded.out}`);
    }
    return {
      config: { enabled: ['auditd'], auditd: { path: daemon.logFile, startAt: 'end', pollMs: 50, eventTimeoutMs: 500 } },
      enter(pod) {
        // the rules match on it; children inherit it
        pod.prelude = `echo ${auid} > /proc/self/loginuid`;
      },
      async stop() {
        auditctl('-D', '-k', KEY);
        await daemon.stop();
        if (enabled === '0' || enabled === '1') auditctl('-e', enabled);
      },
    };
  },
};
