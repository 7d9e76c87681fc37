// Decoded text piped into a shell (`echo aWQK | base64 -d | sh`): a script hidden from
// whoever reads the command line. Judged by the pipeline's shape (a shell reading stdin
// beside a decoder, rules/pipes.ts), not by the programs.
import { defineRule } from '../types.ts';
import { isDecoder, pipedWith } from '../pipes.ts';

export default defineRule({
  id: 'decoded-pipe-to-shell',
  title: 'Decoded script piped into a shell',
  kinds: ['exec'],
  severity: 'high',
  mitre: { technique: 'T1140', name: 'Deobfuscate/Decode Files or Information', tactic: 'defense-evasion' },
  novelty: false,
  evaluate(ev, ctx) {
    const m = pipedWith(ev, ctx, isDecoder);
    if (!m) return undefined;
    return {
      summary: `${m.producer.args.join(' ').slice(0, 80)} piped into ${m.shell.args[0] ?? 'a shell'}`,
      description: 'A shell running what a decoder produced runs a script that was obfuscated on the command line (T1059.004 Unix Shell).',
      dedupOn: `${m.shell.args[0] ?? ''}<${m.producer.args[0] ?? ''}`,
    };
  },
});
