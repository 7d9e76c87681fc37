// Reads of the Kubernetes service-account token by something other than the
// workload's own habit: stealing it is the first step to the API server.
import { defineRule, programName, READ_TOOLS } from '../types.ts';

const TOKEN = /^\/(?:var\/)?run\/secrets\/(?:kubernetes\.io\/serviceaccount|eks\.amazonaws\.com\/serviceaccount|tokens)\//;
// (python, perl, node… are how applications themselves read their token: those are
// judged by the baseline, not by name)

export default defineRule({
  id: 'sa-token-read',
  title: 'Service-account token read',
  kinds: ['file_open'],
  severity: 'high',
  mitre: { technique: 'T1528', name: 'Steal Application Access Token', tactic: 'credential-access' },
  novelty: false,
  evaluate(ev, ctx) {
    if (ev.kind !== 'file_open' || !ev.path.includes('/secrets/') || !TOKEN.test(ev.path)) return undefined;
    const name = programName(ev.process);
    const tool = READ_TOOLS.has(name);
    const novelWhileStable = ctx.obs.baseline.enforcing() && ctx.obs.novel.length > 0;
    if (!tool && !novelWhileStable) return undefined;
    return {
      summary: `${ev.process.exe} read the service-account token ${ev.path}`,
      description: tool
        ? `${name} is an interactive tool, not the application: reading the token this way is credential theft.`
        : 'This workload never read its service-account token before.',
      dedupOn: name,
    };
  },
});
