// Errors the CLI turns into one line on stderr and an exit code (main.ts is the only
// place that exits). The codes are a contract for scripts (docs/cli.md):
export const EXIT = {
  ok: 0,
  /** --exit-code: something was found (a diff has changes, alerts exist) */
  found: 1,
  /** bad command line: unknown command or flag, missing argument, malformed URL */
  usage: 2,
  /** the agent (or the Kubernetes API) cannot be reached: refused, DNS, TLS, timeout */
  unreachable: 3,
  /** 401/403: not authenticated, or not allowed */
  denied: 4,
  /** 404: no such workload, container, version, alert, incident */
  notFound: 5,
  /** any other 4xx: the agent refused the request (bad input, conflict, too large, rate limited) */
  refused: 6,
  /** 5xx: the agent failed */
  agentError: 7,
  /** a bug in the CLI itself */
  internal: 70,
} as const;

export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode: number = EXIT.usage;
}

/** the agent could not be reached */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
  readonly exitCode: number = EXIT.unreachable;
}

/** the agent answered with an error status */
export class ApiCallError extends Error {
  override name = 'ApiCallError';
  readonly exitCode: number;
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.exitCode = status === 401 || status === 403 ? EXIT.denied : status === 404 ? EXIT.notFound : status >= 500 ? EXIT.agentError : EXIT.refused;
  }
}
