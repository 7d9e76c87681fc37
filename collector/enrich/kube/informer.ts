// A Kubernetes informer that keeps going: client-node's ListWatch (list, then watch from
// the list's revision; a 410 Expired relists), plus what ListWatch leaves to its owner:
// - errors (API down, 5xx, connection refused) restart it after a backoff, from the last
//   revision (a watch), or with a fresh list when the revision expired meanwhile;
// - lists are paginated (limit/continue) — an expired continue restarts the list;
// - watches ask for bookmarks, so a quiet watch's revision stays fresh and a restart
//   rarely falls out of the server's history, and a server-side timeout (5–10 min), so
//   a watch the network lost silently is replaced;
// - every object is slimmed to what its user needs before ListWatch caches it, so the
//   cache holds a few fields per object, not the API's whole object.
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { Backoff } from '../../backoff.ts';
import type { Logger } from '../../log.ts';

export interface ListPage {
  metadata?: { resourceVersion?: string; _continue?: string };
  items: unknown[];
}

export interface InformerOptions<T extends KubernetesObject> {
  name: string;
  kc: KubeConfig;
  /** the collection's path, e.g. /api/v1/pods */
  path: string;
  /** one page of the list (client-node's generated call with limit/_continue) */
  list(page: { limit: number; _continue?: string }): Promise<ListPage>;
  fieldSelector?: string;
  labelSelector?: string;
  /** keep only what is needed; must keep metadata name, namespace, uid, resourceVersion */
  slim(o: Record<string, unknown>): T;
  onAdd?(o: T): void;
  onUpdate?(o: T): void;
  onDelete?(o: T): void;
  /** the first list (and every relist) is complete */
  onSynced?(): void;
  log: Logger;
  backoff?: { initialMs: number; maxMs: number };
  pageSize?: number;
}

/** client-node's Watch, asking for bookmarks and slimming every object before ListWatch sees it */
class SlimWatch<T> extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly slim: (o: Record<string, unknown>) => T,
    /** ListWatch calls watch() once its cache is up to date (right after applying a list) */
    private readonly onCacheCurrent: () => void,
    private readonly onOpen: () => void,
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    params: Record<string, unknown>,
    cb: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.onCacheCurrent();
    let failed = false;
    const ctl = await super.watch(
      path,
      // as client-go: the server ends each watch after 5–10 minutes (it is then resumed
      // from the last revision), so a watch the network silently lost does not linger
      { ...params, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300) },
      (phase, obj: Record<string, unknown>, raw) => cb(phase, phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? this.slim(obj) : obj, raw),
      (err) => {
        if (err) failed = true;
        done(err);
      },
    );
    if (!failed) this.onOpen();
    return ctl;
  }
}

export class Informer<T extends KubernetesObject> {
  private lw: ListWatch<T>;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  /** a list returned; ListWatch applies it to its cache before it watches */
  private listApplied = false;
  /** a list completed at least once */
  synced = false;
  /** the watch is open and no error came since */
  connected = false;
  lists = 0;
  errors = 0;
  lastError: string | undefined;

  constructor(private readonly o: InformerOptions<T>) {
    this.backoff = new Backoff(o.backoff ?? { initialMs: 500, maxMs: 30_000 });
    const watch = new SlimWatch<T>(
      o.kc,
      o.slim,
      () => {
        if (!this.listApplied) return;
        this.listApplied = false;
        this.synced = true;
        o.onSynced?.();
      },
      () => {
        this.connected = true;
        this.backoff.reset();
      },
    );
    this.lw = new ListWatch<T>(o.path, watch, () => this.listAll(), false, o.labelSelector, o.fieldSelector);
    if (o.onAdd) this.lw.on('add', o.onAdd);
    if (o.onUpdate) this.lw.on('update', o.onUpdate);
    if (o.onDelete) this.lw.on('delete', o.onDelete);
    this.lw.on('error', (e: unknown) => this.failed(e));
  }

  get name(): string {
    return this.o.name;
  }

  /** live: listed and watching (events it does not know about are really unknown) */
  get live(): boolean {
    return this.synced && this.connected;
  }

  private async listAll(): Promise<{ metadata: { resourceVersion: string }; items: T[] }> {
    const limit = this.o.pageSize ?? 500;
    for (let attempt = 0; ; attempt++) {
      const items: T[] = [];
      let rv = '';
      let cont: string | undefined;
      try {
        do {
          const page = await this.o.list({ limit, ...(cont ? { _continue: cont } : {}) });
          if (rv === '') rv = page.metadata?.resourceVersion ?? '';
          for (const it of page.items) items.push(this.o.slim(it as Record<string, unknown>));
          cont = page.metadata?._continue || undefined;
        } while (cont);
      } catch (e) {
        // the snapshot behind a continue token expired: list again from the start, once
        if (cont && attempt === 0 && (e as { code?: number }).code === 410) continue;
        throw e;
      }
      this.lists++;
      this.listApplied = true;
      return { metadata: { resourceVersion: rv }, items };
    }
  }

  private failed(e: unknown): void {
    if (this.stopped) return; // client-node reports its own abort on stop as an error
    this.connected = false;
    this.errors++;
    this.lastError = (e as Error)?.message ?? String(e);
    const delay = this.backoff.next();
    if (this.backoff.attempts <= 3 || this.backoff.attempts % 10 === 0) {
      this.o.log.warn('kubernetes informer failed, retrying', { informer: this.o.name, err: this.lastError, retryInMs: delay, attempts: this.backoff.attempts });
    }
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => this.run(), delay);
    this.restartTimer.unref();
  }

  private run(): void {
    if (this.stopped) return;
    this.lw.start().catch((e: unknown) => this.failed(e));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.connected = false;
    clearTimeout(this.restartTimer);
    await this.lw.stop();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.lw.list(namespace);
  }
}
