// Command-line parsing shared by the commands: strict (an unknown flag is an error),
// with the connection and output options every API command takes.
import { clientOptionSpec } from './client.ts';
import { outputOptionSpec } from './output.ts';
import { kubeOptionSpec } from './kube.ts';
import { UsageError } from './errors.ts';


export const CONNECTION_HELP = `connection: --api URL ($HABITWATCH_API, default http://127.0.0.1:7420), --token T ($HABITWATCH_TOKEN)
            or --token-file F, --ca FILE / --insecure for TLS, --db FILE|DIR while the agent is stopped;
            kubectl plugin: --kubeconfig F, --context C, --node N | --pod P, --agent-namespace NS
output:     -o table|json|yaml (--json), --color auto|always|never`;

export const commonOptionSpec = { ...clientOptionSpec, ...outputOptionSpec, ...kubeOptionSpec } as const;

/** a workload id for a path: each segment encoded, slashes kept */
export const encodeWorkload = (id: string): string => id.split('/').map(encodeURIComponent).join('/');

export function need(v: string | undefined, what: string, help: string): string {
  if (v === undefined || v === '') throw new UsageError(`${what} is required\n${help}`);
  return v;
}

export function noExtra(positionals: string[], help: string): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument${positionals.length > 1 ? 's' : ''}: ${positionals.join(' ')}\n${help}`);
}

/** query parameters from the options that are set */
export function query(values: Record<string, unknown>, map: Record<string, string>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [opt, param] of Object.entries(map)) {
    const v = values[opt];
    if (typeof v === 'string') q.set(param, v);
    else if (v === true) q.set(param, 'true');
  }
  return q;
}

export const qs = (q: URLSearchParams): string => (q.size > 0 ? `?${q}` : '');

/** the filters alerts and incidents share */
export const FILTER_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  severity: { type: 'string' },
  status: { type: 'string' },
  namespace: { type: 'string' },
  workload: { type: 'string' },
  rule: { type: 'string' },
  limit: { type: 'string' },
  all: { type: 'boolean' },
  follow: { type: 'boolean', short: 'f' },
  'exit-code': { type: 'boolean' },
} as const;

/** query parameter for each filter option */
export const FILTER_QUERY = { since: 'since', until: 'until', severity: 'severity', status: 'status', namespace: 'namespace', workload: 'workload', rule: 'rule', limit: 'limit' };

/** a list route's items: one page, or with `all` every page (following nextCursor) */
export async function pages<T>(get: (path: string) => Promise<unknown>, path: string, field: string, q: URLSearchParams, all: boolean | undefined): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const page = (await get(`${path}${qs(q)}`)) as Record<string, unknown> & { nextCursor: string | null };
    out.push(...(page[field] as T[]));
    if (!all || page.nextCursor === null) return out;
    q.set('cursor', page.nextCursor);
  }
}
