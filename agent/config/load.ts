// Load, validate and freeze the agent config. Every problem is reported at once,
// one readable line each, naming the key: `learning.quietPeriod: must be a duration…`.
import { parseStoreConfig, type StoreConfig } from '../store/config.ts';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { Ajv, type ErrorObject } from 'ajv';
import { sources } from '../../collector/sources/index.ts';
import { DEFAULT_LEARNING, type LearningConfig } from '../../models/baseline/baseline.ts';
import { DEFAULT_ENGINE, type EngineConfig } from '../../models/engine.ts';
import { DEFAULT_INCIDENTS, type GroupBy, type IncidentConfig } from '../../models/incidents.ts';
import type { Severity } from '../../models/alert.ts';
import { configSchema } from './schema.ts';
import { parseDuration } from './duration.ts';
import { ConfigError } from './errors.ts';
import { parseKubernetes, type KubernetesConfig } from '../kube/config.ts';
import { didYouMean } from './suggest.ts';
import { ruleIds } from '../../models/rules/index.ts';
import type { Role } from '../api/auth/types.ts';
import { loadPair, TlsError, type TlsConfig } from '../api/tls.ts';
import { DEFAULT_LIMITS, type LimitsConfig } from '../api/limits.ts';
import { parseTokenFile, TokenFileError } from '../api/auth/tokens.ts';

export { ConfigError };

export interface SinkConfig {
  type: string;
  name?: string;
  [k: string]: unknown;
}

export interface AgentConfig {
  node: string;
  dataDir: string;
  log: { level: 'debug' | 'info' | 'warn' | 'error' };
  api: {
    enabled: boolean;
    host: string;
    port: number;
    tokens: { name: string; token: string; role?: Role }[];
    tokenFile?: string;
    /** callers without a token; undefined: read-only when no auth is configured (loopback), else none */
    anonymous?: Role | 'none';
    openMetrics: boolean;
    tls?: TlsConfig;
    limits: LimitsConfig;
    /** in a cluster: tokens checked with TokenReview, actions with SubjectAccessReview */
    kubernetesAuth?: { kubeconfig?: string; context?: string; cacheTtlMs: number; audiences?: string[] };
  };
  sources: { enabled: 'auto' | string[]; settings: Record<string, unknown> };
  learning: LearningConfig;
  engine: EngineConfig;
  store: StoreConfig;
  sinks: SinkConfig[];
  kubernetes: KubernetesConfig;
}

type Raw = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
let validate: ReturnType<typeof ajv.compile> | undefined;

function keyPath(e: ErrorObject): string {
  const p = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  return p === '' ? '(top level)' : p;
}

function describe(e: ErrorObject): string | undefined {
  const at = keyPath(e);
  const custom = (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const what = known.length > 0 && known.every((k) => ruleIds.includes(k)) ? 'rule id' : 'key';
      return `${at === '(top level)' ? '' : at + '.'}${extra}: unknown ${what}${didYouMean(extra, known)} (known: ${known.join(', ')})`;
    }
    case 'if':
      return undefined; // the failing `then` keyword is reported on its own
    case 'anyOf':
      return `${at}: must be ${custom ?? 'one of the allowed forms'} (got ${JSON.stringify(e.data)})`;
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      // an id from a registry (rule ids): name it and suggest the nearest
      if (typeof e.data === 'string' && allowed.length > 0 && allowed.every((v) => typeof v === 'string' && ruleIds.includes(v))) {
        return `${at}: unknown rule id ${JSON.stringify(e.data)}${didYouMean(e.data, allowed as string[])} (known: ${allowed.join(', ')})`;
      }
      return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(e.data)})`;
    }
    case 'pattern':
    case 'const':
    case 'type':
      // reported through the enclosing anyOf when there is one
      if (e.schemaPath.includes('/anyOf/')) return undefined;
      return `${at}: ${custom ? `must be ${custom}` : e.message} (got ${JSON.stringify(e.data)})`;
    default:
      return `${at}: ${e.message}`;
  }
}

export function validateConfig(raw: unknown): string[] {
  validate ??= ajv.compile(configSchema());
  if (validate(raw)) return [];
  const out = new Set<string>();
  for (const e of validate.errors ?? []) {
    const d = describe(e);
    if (d) out.add(d);
  }
  return [...out];
}

export function loadConfigFile(file: string | undefined, overrides: Partial<Raw> = {}): AgentConfig {
  let raw: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError([`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
    }
    raw = parseConfigText(text, file);
    // a scalar or a list would spread into nothing (or into keys "0", "1"…)
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError([`${file}: must be a mapping of keys (got ${Array.isArray(raw) ? 'a list' : typeof raw})`]);
  }
  return buildConfig({ ...(raw as object), ...overrides });
}

/** A config file's text as plain data (`name` for the message): the YAML half of loadConfigFile. */
export function parseConfigText(text: string, name: string): unknown {
  try {
    return parseYaml(text, { logLevel: 'error' }) ?? {};
  } catch (e) {
    throw new ConfigError([`${name}: not valid YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
}

export function buildConfig(raw: unknown): AgentConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(['(top level): must be a mapping of keys']);
  // an empty document is valid (a test checks the schema says so): skip compiling the
  // schema, a quarter of a second of every start without a config file
  const problems = Object.keys(raw).length === 0 ? [] : validateConfig(raw);
  if (problems.length > 0) throw new ConfigError(problems);
  const r = raw as Raw;
  const api = (r.api ?? {}) as {
    enabled?: boolean;
    listen?: string;
    tokens?: { name: string; token: string; role?: Role }[];
    tokenFile?: string;
    anonymous?: Role | 'none';
    openMetrics?: boolean;
    tls?: { certFile: string; keyFile: string; reloadInterval?: string | number };
    limits?: Partial<LimitsConfig>;
    kubernetesAuth?: { kubeconfig?: string; context?: string; cacheTtl?: string | number; audiences?: string[] };
  };
  const [host, port] = splitListen(api.listen ?? '127.0.0.1:7420');
  const tokens = api.tokens ?? [];
  if (api.tokenFile !== undefined) {
    // read once here so a bad file stops the start with one line; the API re-reads it on change
    try {
      parseTokenFile(readFileSync(api.tokenFile, 'utf8'), api.tokenFile);
    } catch (e) {
      throw new ConfigError([`api.tokenFile: ${e instanceof TokenFileError ? e.message : `cannot read ${api.tokenFile} (${(e as NodeJS.ErrnoException).code})`}`]);
    }
  }
  const ka = api.kubernetesAuth;
  if (ka?.kubeconfig !== undefined && !existsSync(ka.kubeconfig)) throw new ConfigError([`api.kubernetesAuth.kubeconfig: cannot read ${ka.kubeconfig}`]);
  const kubernetesAuth = ka ? { ...(ka.kubeconfig ? { kubeconfig: ka.kubeconfig } : {}), ...(ka.context ? { context: ka.context } : {}), cacheTtlMs: ka.cacheTtl !== undefined ? parseDuration(ka.cacheTtl) : 10_000, ...(ka.audiences ? { audiences: ka.audiences } : {}) } : undefined;
  const hasAuth = tokens.length > 0 || api.tokenFile !== undefined || kubernetesAuth !== undefined;
  if (!hasAuth && !isLoopback(host)) {
    throw new ConfigError([`api.tokens: required when api.listen is not loopback (${host}): give tokens or a tokenFile`]);
  }
  if (api.anonymous === 'read' && !isLoopback(host)) throw new ConfigError([`api.anonymous: read-only anonymous access is only allowed on loopback (listen is ${host})`]);
  const tls = api.tls ? { certFile: api.tls.certFile, keyFile: api.tls.keyFile, reloadIntervalMs: api.tls.reloadInterval !== undefined ? parseDuration(api.tls.reloadInterval) : 10_000 } : undefined;
  if (tls) {
    try {
      loadPair(tls);
    } catch (e) {
      throw new ConfigError([`api.tls: ${e instanceof TlsError ? e.message : String(e)}`]);
    }
  }
  const l = (r.learning ?? {}) as Record<string, string | number | undefined>;
  const learning: LearningConfig = {
    ...DEFAULT_LEARNING,
    ...(l.minLearning !== undefined ? { minLearningMs: parseDuration(l.minLearning) } : {}),
    ...(l.quietPeriod !== undefined ? { quietPeriodMs: parseDuration(l.quietPeriod) } : {}),
    ...(l.maxItems !== undefined ? { maxItems: Number(l.maxItems) } : {}),
    ...(l.collapseThreshold !== undefined ? { collapseThreshold: Number(l.collapseThreshold) } : {}),
    ...(l.connectCollapseThreshold !== undefined ? { connectCollapseThreshold: Number(l.connectCollapseThreshold) } : {}),
    ...(l.cidrCollapseThreshold !== undefined ? { cidrCollapseThreshold: Number(l.cidrCollapseThreshold) } : {}),
  };
  const d = (r.detection ?? {}) as {
    cooldown?: string | number;
    maxOpenAlerts?: number;
    maxWrittenContainers?: number;
    fanOut?: { window?: string | number; maxItems?: number };
    rules?: Record<string, { enabled?: boolean; severity?: Severity }>;
  };
  const engine: EngineConfig = {
    ...DEFAULT_ENGINE,
    ...(d.cooldown !== undefined ? { cooldownMs: parseDuration(d.cooldown) } : {}),
    ...(d.maxOpenAlerts !== undefined ? { maxOpenAlerts: d.maxOpenAlerts } : {}),
    ...(d.maxWrittenContainers !== undefined ? { maxWrittenContainers: d.maxWrittenContainers } : {}),
    fanOut: {
      ...DEFAULT_ENGINE.fanOut,
      ...(d.fanOut?.window !== undefined ? { windowMs: parseDuration(d.fanOut.window) } : {}),
      ...(d.fanOut?.maxItems !== undefined ? { maxItems: d.fanOut.maxItems } : {}),
    },
    rules: d.rules ?? {},
    incidents: incidentConfig((r.incidents ?? {}) as RawIncidents),
  };
  const s = (r.sources ?? {}) as Record<string, unknown> & { enabled?: 'auto' | string[] };
  const settings: Record<string, unknown> = {};
  const sourceProblems: string[] = [];
  for (const def of sources) {
    settings[def.name] = { ...(def.defaults as object), ...((s[def.name] as object) ?? {}) };
    for (const p of def.check?.(settings[def.name]) ?? []) sourceProblems.push(`sources.${def.name}.${p}`);
  }
  if (sourceProblems.length > 0) throw new ConfigError(sourceProblems);
  const kube = parseKubernetes(r.kubernetes);
  if (kube.problems.length > 0) throw new ConfigError(kube.problems);
  const cfg: AgentConfig = {
    node: (r.node as string | undefined) ?? process.env.NODE_NAME ?? hostname(),
    dataDir: (r.dataDir as string | undefined) ?? process.env.HABITWATCH_DATA_DIR ?? '.habitwatch',
    log: { level: ((r.log as { level?: AgentConfig['log']['level'] } | undefined)?.level ?? 'info') },
    api: {
      enabled: api.enabled ?? true,
      host,
      port,
      tokens,
      ...(api.tokenFile !== undefined ? { tokenFile: api.tokenFile } : {}),
      ...(api.anonymous !== undefined ? { anonymous: api.anonymous } : {}),
      openMetrics: api.openMetrics ?? true,
      ...(tls ? { tls } : {}),
      limits: { ...DEFAULT_LIMITS, ...api.limits },
      ...(kubernetesAuth ? { kubernetesAuth } : {}),
    },
    sources: { enabled: s.enabled ?? 'auto', settings },
    learning,
    engine,
    store: parseStoreConfig(r.store),
    sinks: (r.sinks as SinkConfig[] | undefined) ?? [],
    kubernetes: kube.config,
  };
  if (cfg.store.flushIntervalMs > 1000) throw new ConfigError(['store.flushInterval: at most 1s (the crash-loss budget)']);
  return deepFreeze(cfg);
}

interface RawIncidents {
  enabled?: boolean;
  window?: string | number;
  maxDuration?: string | number;
  groupBy?: GroupBy;
  processTree?: boolean;
  maxTimeline?: number;
  maxOpen?: number;
}

function incidentConfig(i: RawIncidents): IncidentConfig {
  return {
    ...DEFAULT_INCIDENTS,
    ...(i.enabled !== undefined ? { enabled: i.enabled } : {}),
    ...(i.window !== undefined ? { windowMs: parseDuration(i.window) } : {}),
    ...(i.maxDuration !== undefined ? { maxDurationMs: parseDuration(i.maxDuration) } : {}),
    ...(i.groupBy !== undefined ? { groupBy: i.groupBy } : {}),
    ...(i.processTree !== undefined ? { processTree: i.processTree } : {}),
    ...(i.maxTimeline !== undefined ? { maxTimeline: i.maxTimeline } : {}),
    ...(i.maxOpen !== undefined ? { maxOpen: i.maxOpen } : {}),
  };
}

function splitListen(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  let host = listen.slice(0, i);
  if (host.startsWith('[')) host = host.slice(1, -1);
  const port = Number(listen.slice(i + 1));
  if (port > 65535) throw new ConfigError([`api.listen: port ${port} out of range`]);
  return [host, port];
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
