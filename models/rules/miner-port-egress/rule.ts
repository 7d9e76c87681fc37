// Egress to ports used by cryptocurrency mining pools (stratum) and common C2 defaults.
import { defineRule } from '../types.ts';

export const MINER_PORTS = new Set([
  // stratum pool ports and the classic exploit-kit default; busy general-purpose ports
  // (5555 adb, 8333 bitcoin p2p, 9999 and friends) are left to novelty detection
  3333, 3334, 3335, 3336, 3357, 4444, 5556, 5588, 5730, 7778, 14433, 14444, 45560, 45700,
]);
const POOL_NAME = /(?:^|\.)(?:pool|xmr|monero|nicehash|minexmr|nanopool|2miners|f2pool|supportxmr|hashvault)[.-]/i;

export default defineRule({
  id: 'miner-port-egress',
  title: 'Connection to a known mining-pool port or pool name',
  kinds: ['connect'],
  severity: 'high',
  mitre: { technique: 'T1496', name: 'Resource Hijacking', tactic: 'impact' },
  novelty: false,
  evaluate(ev, ctx) {
    if (ev.kind !== 'connect') return undefined;
    const byName = ev.dns !== undefined && POOL_NAME.test(ev.dns);
    if (!MINER_PORTS.has(ev.dstPort) && !byName) return undefined;
    // a destination the workload has always used (learned) is its own habit
    if (ctx.obs.baseline.enforcing() && ctx.obs.novel.length === 0 && !byName) return undefined;
    return {
      summary: `${ev.process.exe} connected to ${ev.dns ?? ev.dstAddr}:${ev.dstPort}, a port used by mining pools`,
      description: byName ? 'The destination name belongs to a known mining pool.' : `Port ${ev.dstPort} is a common stratum (mining) or exploit-kit default port.`,
      dedupOn: `${ev.dns ?? ev.dstAddr}:${ev.dstPort}`,
    };
  },
});
