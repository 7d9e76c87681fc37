// An emulated Kubernetes API server for tests, on a loopback port.
//
// No kube-apiserver (nor etcd) can be installed on the machines these tests run on, so
// this server emulates one: it speaks the real wire protocol — the same paths, JSON
// bodies, Status errors, resourceVersion semantics, list pagination, chunked watch
// streams with bookmarks, 410 Expired, 409 Conflict, field and label selectors, CRDs
// with their schema and status subresource, TokenReview and SubjectAccessReview — so the
// code under test talks to it through the real `@kubernetes/client-node` (its informers,
// ListWatch, generated API clients) or the real kubectl. The client is never stubbed.
//
// What it leaves out (nobody here needs it): server-side apply, strategic merge keys,
// admission, garbage collection, controllers (a Deployment does not make ReplicaSets:
// tests create the objects a controller would, see objects.ts), protobuf.
//
// Tests drive it directly (apply/remove objects, install CRDs, compact history, send
// bookmarks, close watches, go down and come back) and read its request log:
//
//   const kube = await KubeApiServer.start();            // HTTPS on 127.0.0.1:<free port>
//   const kc = kube.kubeConfig('a-token');                // client-node KubeConfig (CA trusted)
//   writeFileSync(file, kube.kubeconfigYaml('a-token'));  // for agents run as processes, kubectl
//   kube.installCrd('manifests/base/crds/….yaml');
//   const rs = kube.apply(replicaSet(kube.apply(deployment('shop', 'web'))));   // objects.ts
//   kube.apply(pod({ namespace: 'shop', owner: rs, node: 'node-a', containers: [{ name: 'app', id }] }));
//   kube.reviews.addToken('t', { username: 'alice', groups: ['sre'] });          // TokenReview
//   kube.reviews.grant('group:sre', [{ apiGroups: ['habitwatch.io'], resources: ['workloadbaselines'], verbs: ['get'] }]);
//   await kube.down('refuse'); …; await kube.up();                               // outages
//   kube.requests   // [{ verb: 'watch', group: '', resource: 'pods', query: {…}, user, code }, …]
//   GET /api/v1/namespaces/ns/pods/name:port/proxy/…  // the pod proxy, to status.podIP (proxy.ts)
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createHttp } from 'node:http';
import type { Socket } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { apiVersionOf, builtinResources, resourcesOfCrd, rtKey, type ResourceType } from './resources.ts';
import { Store, type KubeObject } from './store.ts';
import { SelectorError } from './selectors.ts';
import { Reviews, type UserInfo } from './reviews.ts';
import { serveWatch, statusBody, type OpenWatch } from './watch.ts';
import * as rest from './rest.ts';
import { ApiError } from './rest.ts';
import { discovery } from './discovery.ts';
import { asTable, wantsTable } from './table.ts';
import { testCertificate } from './tls.ts';
import { answerReview, forbidden, readJson, resolvePath, verbOf } from './route.ts';
import { parseProxyPath, podAddress, proxyRequest, proxyUpgrade, type ProxyTarget } from './proxy.ts';

export interface KubeApiOptions {
  /** changes kept for watches/continues before older revisions answer 410 (default 10000) */
  historyLimit?: number;
  /** interval of BOOKMARK events on watches that allow them (default 1000 ms) */
  bookmarkIntervalMs?: number;
  /** the server ends every watch after this long (default: never) */
  watchTimeoutMs?: number;
  /** how an expired watch is refused: an ERROR event on a 200 stream (kube-apiserver's watch cache, default) or an HTTP 410 */
  expiredWatch?: 'event' | 'status';
  /** refuse requests without a bearer token known to `reviews.tokens` (401) */
  authenticate?: boolean;
  /** enforce `reviews.grants` on every request (403), as RBAC would */
  authorize?: boolean;
  /** serve HTTPS with a throwaway CA (default true; client-node refuses plain HTTP unless TLS checks are off) */
  tls?: boolean;
}

export interface RequestRecord {
  time: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** the Kubernetes authorisation verb: get, list, watch, create, update, patch, delete, deletecollection */
  verb: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** non-resource URL (discovery, /version) */
  nonResource?: boolean;
  user: string;
  /** HTTP status sent (for watches: when the stream ended) */
  code?: number;
}

export class KubeApiServer {
  readonly store: Store;
  readonly reviews = new Reviews();
  readonly requests: RequestRecord[] = [];
  private types = new Map<string, ResourceType>();
  private server: Server;
  private sockets = new Set<Socket>();
  private watches = new Set<OpenWatch>();
  private mode: 'up' | 'refuse' | 'unavailable' = 'up';
  /** runs before every resource request is served (after authorisation): tests change state under a client's feet */
  beforeServe?: (r: RequestRecord) => void;
  private opts: Required<Omit<KubeApiOptions, 'watchTimeoutMs'>> & { watchTimeoutMs?: number };
  port = 0;

  private constructor(opts: KubeApiOptions) {
    this.opts = {
      historyLimit: opts.historyLimit ?? 10_000,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 1000,
      expiredWatch: opts.expiredWatch ?? 'event',
      authenticate: opts.authenticate ?? false,
      authorize: opts.authorize ?? false,
      tls: opts.tls ?? true,
      ...(opts.watchTimeoutMs !== undefined ? { watchTimeoutMs: opts.watchTimeoutMs } : {}),
    };
    this.store = new Store(this.opts.historyLimit);
    for (const t of builtinResources()) this.addType(t);
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    this.server = this.opts.tls ? createHttps({ ...testCertificate() }, handler) : createHttp(handler);
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: KubeApiOptions = {}): Promise<KubeApiServer> {
    const k = new KubeApiServer(opts);
    await k.listen(0);
    return k;
  }

  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** the CA certificate (PEM) clients must trust (undefined without TLS) */
  get caCert(): string | undefined {
    return this.opts.tls ? testCertificate().cert : undefined;
  }

  /** open watch streams right now */
  get watchCount(): number {
    return this.watches.size;
  }

  openWatches(resource?: string): number {
    return [...this.watches].filter((w) => resource === undefined || w.type.resource === resource).length;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private addType(t: ResourceType): void {
    this.types.set(`${t.group}/${t.version}/${t.resource}`, t);
  }

  typeOf(apiVersion: string, kind: string): ResourceType {
    for (const t of this.types.values()) if (apiVersionOf(t) === apiVersion && t.kind === kind) return t;
    throw new Error(`the emulated server does not serve ${apiVersion} ${kind}`);
  }

  // --- direct control (not logged, no checks: what controllers and kubelets would do) ---

  /** create or replace an object as given (status included); returns it as stored */
  apply(obj: KubeObject): KubeObject {
    if (obj.kind === 'CustomResourceDefinition') this.installCrd(obj);
    const t = this.typeOf(obj.apiVersion ?? '', obj.kind ?? '');
    const o = structuredClone(obj);
    if (!t.namespaced) delete o.metadata.namespace;
    else o.metadata.namespace ??= 'default';
    const cur = this.store.get(rtKey(t), o.metadata.namespace, o.metadata.name!);
    if (!cur) return this.store.create(rtKey(t), o, { generation: t.generation });
    o.metadata = { ...o.metadata, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, generation: cur.metadata.generation };
    return this.store.update(rtKey(t), o);
  }

  /** read an object as stored (undefined when absent) */
  read(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const t = this.typeOf(apiVersion, kind);
    return this.store.get(rtKey(t), t.namespaced ? namespace : undefined, name);
  }

  /** every stored object of a kind */
  all(apiVersion: string, kind: string): KubeObject[] {
    return this.store.list(rtKey(this.typeOf(apiVersion, kind)));
  }

  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const t = this.typeOf(apiVersion, kind);
    this.store.delete(rtKey(t), t.namespaced ? namespace : undefined, name);
  }

  /** serve the resources a CustomResourceDefinition defines (object, or a YAML file of one) */
  installCrd(crd: KubeObject | string): void {
    const obj = typeof crd === 'string' ? (parseAllDocuments(readFileSync(crd, 'utf8'))[0].toJSON() as KubeObject) : crd;
    for (const t of resourcesOfCrd(obj)) this.addType(t);
    const ct = this.typeOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    if (!this.store.get(rtKey(ct), undefined, obj.metadata.name!)) this.store.create(rtKey(ct), { ...structuredClone(obj), apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' });
  }

  /** forget the change history: watches and continues from older revisions get 410 */
  compact(): void {
    this.store.compact();
  }

  /** send a BOOKMARK now on every watch that allows them */
  bookmarkNow(): void {
    for (const w of this.watches) w.bookmark();
  }

  /** end every watch stream cleanly (clients reconnect from their last revision) */
  closeWatches(): void {
    for (const w of [...this.watches]) w.end();
  }

  /**
   * Go down: 'refuse' closes the port and drops every connection (connection refused
   * until up()); 'unavailable' keeps the port but answers 503 and ends every watch.
   */
  async down(how: 'refuse' | 'unavailable' = 'refuse'): Promise<void> {
    this.mode = how;
    this.closeWatches();
    if (how === 'refuse') {
      const closed = new Promise<void>((r) => this.server.close(() => r()));
      for (const s of this.sockets) s.destroy();
      await closed;
    }
  }

  /** come back on the same port */
  async up(): Promise<void> {
    if (this.mode === 'refuse') await this.listen(this.port);
    this.mode = 'up';
  }

  async close(): Promise<void> {
    this.closeWatches();
    if (this.server.listening) {
      const closed = new Promise<void>((r) => this.server.close(() => r()));
      for (const s of this.sockets) s.destroy();
      await closed;
    }
  }

  /** a client-node KubeConfig for this server, authenticating with `token` when given */
  kubeConfig(token?: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigYaml(token));
    return kc;
  }

  /** a kubeconfig file's text for this server (for agents run as processes, and kubectl) */
  kubeconfigYaml(token?: string): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: emulated\n  cluster:\n    server: ${this.url}\n    ${this.caCert ? `certificate-authority-data: ${Buffer.from(this.caCert).toString('base64')}` : 'insecure-skip-tls-verify: true'}`,
      'users:',
      // kubectl prompts for a user name when a user has no credentials at all
      `- name: tester\n  user:\n    token: ${token ?? 'no-token-configured'}`,
      'contexts:',
      '- name: emulated\n  context:\n    cluster: emulated\n    user: tester',
      'current-context: emulated',
      '',
    ].join('\n');
  }

  /**
   * What a pod's service account gives it, under `prefix` (for client-node's
   * loadFromCluster(prefix)): token, ca.crt and namespace files, plus the environment
   * the kubelet sets (KUBERNETES_SERVICE_HOST/PORT). Returns that environment.
   */
  writeServiceAccount(prefix: string, token: string, namespace = 'habitwatch'): Record<string, string> {
    const dir = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), token);
    writeFileSync(join(dir, 'namespace'), namespace);
    if (this.caCert) writeFileSync(join(dir, 'ca.crt'), this.caCert);
    return { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(this.port) };
  }

  // --- HTTP -------------------------------------------------------------------------

  private send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
    if (res.headersSent) return void res.end();
    res.writeHead(code, { 'Content-Type': contentType });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulated');
    const rec: RequestRecord = { time: Date.now(), method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), verb: '', user: 'system:anonymous' };
    this.requests.push(rec);
    res.on('finish', () => (rec.code = res.statusCode));
    res.on('close', () => (rec.code ??= res.statusCode));
    try {
      if (this.mode === 'unavailable') throw new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      const user = this.authenticate(req);
      rec.user = user.username;
      const proxied = parseProxyPath(req.url ?? '/');
      if (proxied) {
        const addr = this.proxyTarget(proxied, verbOf(req.method ?? 'GET', true, false), user, rec);
        return proxyRequest(req, res, proxied, addr, (e) => this.send(res, 503, statusBody(503, 'ServiceUnavailable', `error trying to reach service: ${e.message}`)));
      }
      const target = resolvePath(this.types, url.pathname, rec);
      if (!target) {
        rec.verb = (req.method ?? 'GET').toLowerCase();
        rec.nonResource = true;
        if (this.opts.authorize && !this.reviews.allows(user, { path: url.pathname, verb: rec.verb })) throw forbidden(user, rec);
        const d = discovery([...this.types.values()], url.pathname, `127.0.0.1:${this.port}`);
        if (d === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return this.send(res, 200, d);
      }
      const { t, ns, name, sub } = target;
      const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
      rec.verb = verbOf(req.method ?? 'GET', name !== undefined, watch);
      if (this.opts.authorize && !this.reviews.allows(user, { verb: rec.verb, group: t.group, resource: t.resource, subresource: sub, namespace: ns, name })) {
        throw forbidden(user, rec);
      }
      const body = ['POST', 'PUT', 'PATCH'].includes(req.method ?? '') ? await readJson(req) : undefined;
      this.beforeServe?.(rec);
      if (t.virtual) {
        if (rec.verb !== 'create') throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
        return this.send(res, 201, answerReview(this.reviews, t, body, user));
      }
      if (sub !== undefined && !(sub === 'status' && t.statusSubresource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      const table = wantsTable(req.headers.accept);
      switch (rec.verb) {
        case 'watch':
          return serveWatch(this.store, t, ns, url.searchParams, req, res, this.opts, this.watches);
        case 'list': {
          const l = rest.list(this.store, t, ns, url.searchParams);
          return this.send(res, 200, table ? asTable(t, l.items as KubeObject[], l.metadata as Record<string, unknown>) : l);
        }
        case 'get': {
          const o = rest.get(this.store, t, ns, name!);
          return this.send(res, 200, table ? asTable(t, [o], {}) : o);
        }
        case 'create':
          return this.send(res, 201, rest.create(this.store, t, ns, body));
        case 'update':
          return this.send(res, 200, rest.update(this.store, t, ns, name!, body, sub));
        case 'patch':
          return this.send(res, 200, rest.patch(this.store, t, ns, name!, body, req.headers['content-type'] ?? '', sub));
        case 'delete':
          return this.send(res, 200, rest.remove(this.store, t, ns, name!));
        case 'deletecollection': {
          const l = rest.list(this.store, t, ns, url.searchParams);
          for (const o of l.items as KubeObject[]) rest.remove(this.store, t, o.metadata.namespace, o.metadata.name!);
          return this.send(res, 200, statusBody(200, '', ''));
        }
        default:
          throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      }
    } catch (e) {
      if (e instanceof ApiError) return this.send(res, e.code, e.body());
      if (e instanceof SelectorError) return this.send(res, 400, statusBody(400, 'BadRequest', e.message));
      return this.send(res, 500, statusBody(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
    }
  }

  /** authorise a pod proxy request (the pods/proxy subresource) and find where the pod listens */
  private proxyTarget(t: ProxyTarget, verb: string, user: UserInfo, rec: RequestRecord): { host: string; port: number } {
    Object.assign(rec, { verb, group: '', version: 'v1', resource: 'pods', subresource: 'proxy', namespace: t.namespace, name: t.pod });
    if (this.opts.authorize && !this.reviews.allows(user, { verb, group: '', resource: 'pods', subresource: 'proxy', namespace: t.namespace, name: t.pod })) throw forbidden(user, rec);
    const pod = this.read('v1', 'Pod', t.namespace, t.pod);
    if (!pod) throw new ApiError(404, 'NotFound', `pods "${t.pod}" not found`);
    const addr = podAddress(pod, t);
    if (!addr) throw new ApiError(503, 'ServiceUnavailable', `pod ${t.pod} has no IP or port to proxy to`);
    return addr;
  }

  /** WebSocket upgrades through the pod proxy (kubectl port-forward/exec are not emulated) */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const rec: RequestRecord = { time: Date.now(), method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0], query: {}, verb: 'get', user: 'system:anonymous' };
    this.requests.push(rec);
    try {
      if (this.mode !== 'up') throw new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      const user = this.authenticate(req);
      rec.user = user.username;
      const t = parseProxyPath(req.url ?? '/');
      if (!t) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      proxyUpgrade(req, socket, head, t, this.proxyTarget(t, 'get', user, rec));
      rec.code = 101;
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', String(e));
      rec.code = err.code;
      const body = JSON.stringify(err.body());
      socket.end(`HTTP/1.1 ${err.code} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
  }

  private authenticate(req: IncomingMessage): UserInfo {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const user = m ? this.reviews.tokens.get(m[1].trim()) : undefined;
    if (user) return user;
    if (this.opts.authenticate) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return { username: 'system:anonymous', groups: ['system:unauthenticated'] };
  }


}

