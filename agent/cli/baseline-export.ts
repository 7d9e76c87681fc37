// `habitwatch baseline export|seccomp|networkpolicy|writable-paths`: the baseline as a
// document (GitOps), and least-privilege settings derived from it. Objects print as
// JSON by default (`-o yaml` for manifests).
import { parseArgs } from 'node:util';
import { connect } from './client.ts';
import { EXIT } from './errors.ts';
import { Output } from './output.ts';
import { encodeWorkload, need, noExtra, commonOptionSpec, qs, query } from './args.ts';

export const EXPORT_HELP = `  export   WORKLOAD [--container C] [--format document|workloadbaseline] [-o json|yaml]
           the baseline document (baseline import takes it back), or the WorkloadBaseline object (kubectl apply -f)
  seccomp  WORKLOAD [--container C] [--format localhost|operator|report]   seccomp allow-list from the learned syscalls
  networkpolicy WORKLOAD [--pod-selector app=web]    NetworkPolicy from the learned listen/connect items
  writable-paths WORKLOAD [--container C] [--mounts /data,/cache]   would readOnlyRootFilesystem hold, with which emptyDirs`;

export const EXPORT_SUBCOMMANDS = ['export', 'seccomp', 'networkpolicy', 'writable-paths'];

const OPTIONS = {
  container: { type: 'string' },
  format: { type: 'string' },
  'pod-selector': { type: 'string' },
  mounts: { type: 'string' },
} as const;

interface WritableReport {
  readOnlyRootFilesystem: { holdsAsIs: boolean; holdsWithEmptyDirs: boolean; blockers: string[] };
  emptyDirs: { mountPath: string; paths: string[]; warning?: string }[];
  ignored: { path: string; why: string }[];
}

export async function exportCommand(sub: string, argv: string[], out: NodeJS.WritableStream, help: string): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...commonOptionSpec, ...OPTIONS }, allowPositionals: true, strict: true });
  if (values.help) {
    out.write(help + '\n');
    return EXIT.ok;
  }
  const [first, ...rest] = positionals;
  noExtra(rest, help);
  const w = encodeWorkload(need(first, 'WORKLOAD', help));
  // documents and manifests: JSON unless asked otherwise; the report has a human form
  const o = new Output(out, { ...values, output: values.output ?? (sub === 'writable-paths' ? 'table' : 'json') });
  const client = await connect(values);
  try {
    const path = sub === 'writable-paths' ? 'writable-paths' : sub;
    const q = query(values, { container: 'container', format: 'format', 'pod-selector': 'podSelector', mounts: 'mounts' });
    const r = await client.get(`/v1/workloads/${w}/${path}${qs(q)}`);
    o.emit(r, () => (sub === 'writable-paths' ? renderWritable(o, r as WritableReport) : JSON.stringify(r, null, 2)));
    return EXIT.ok;
  } finally {
    client.close();
  }
}

function renderWritable(o: Output, r: WritableReport): string {
  const ro = r.readOnlyRootFilesystem;
  const verdict = ro.holdsAsIs
    ? o.paint('readOnlyRootFilesystem: true holds as it is (no learned write touches the root file system)', 'green')
    : ro.holdsWithEmptyDirs
      ? o.paint(`readOnlyRootFilesystem: true holds with ${r.emptyDirs.length} emptyDir mount(s):`, 'yellow')
      : o.paint(`readOnlyRootFilesystem: true would break: writes directly under /: ${ro.blockers.join(', ')}`, 'red');
  const dirs = r.emptyDirs.map((e) => `  emptyDir at ${e.mountPath}  (${e.paths.join(', ')})${e.warning ? `\n    ${o.paint('warning:', 'yellow')} ${e.warning}` : ''}`);
  const ignored = r.ignored.length ? [`not on the root file system: ${r.ignored.map((i) => `${i.path} (${i.why})`).join(', ')}`] : [];
  return [verdict, ...dirs, ...ignored].join('\n');
}
