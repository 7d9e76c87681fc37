// Shell history cleared or removed: covering tracks (`rm ~/.bash_history`,
// `ln -sf /dev/null ~/.bash_history`, `cat /dev/null > ~/.bash_history`,
// `truncate -s0 …`). `history -c` alone changes nothing on disk; the file operations that
// make it stick are what is seen. An interactive shell rewriting its own history file
// when it exits (O_TRUNC, then the new history) is the one truncation that is normal; a
// shell running a command or a script does not keep history, so its truncation is not that.
import { base, defineRule, programName, shellArgs, shellInput, SHELLS } from '../types.ts';

const HISTORY = /(?:^|\/)\.(?:bash_history|zsh_history|sh_history|ash_history|history|python_history|mysql_history|psql_history|sqlite_history|node_repl_history|rediscli_history|lesshst|viminfo)$/;

export default defineRule({
  id: 'history-tampering',
  title: 'Shell history cleared or removed',
  kinds: ['file_write'],
  severity: 'high',
  mitre: { technique: 'T1070.003', name: 'Indicator Removal: Clear Command History', tactic: 'defense-evasion' },
  novelty: false,
  evaluate(ev) {
    if (ev.kind !== 'file_write') return undefined;
    // history files are dot files: one character rules out nearly every write
    const path = ev.path;
    if (path.charCodeAt(path.lastIndexOf('/') + 1) !== 46 /* . */ || !HISTORY.test(path)) return undefined;
    let act: string | undefined;
    if (ev.op === 'unlink') act = 'deleted';
    else if (ev.op === 'rename') act = ev.newPath !== undefined && HISTORY.test(ev.newPath) ? undefined : 'moved away';
    else if ((ev.op === 'write' || ev.op === 'create') && ev.flags?.includes('O_TRUNC')) {
      const name = programName(ev.process);
      const ownSave = SHELLS.has(name) && shellInput(shellArgs(ev.process)) === 'stdin';
      if (!ownSave) act = 'emptied';
    }
    if (act === undefined) return undefined;
    return {
      summary: `${base(ev.path)} ${act} by ${programName(ev.process)}: ${ev.path}`,
      description: 'Clearing or removing shell history hides what was typed: a common step after hands-on activity.',
      dedupOn: ev.path,
    };
  },
});
