// The API server's pod proxy, as kube-apiserver serves it:
//
//   /api/v1/namespaces/{ns}/pods/{[scheme:]name[:port]}/proxy[/{path}]
//
// authorised as the `proxy` subresource of pods (get for GET, create for POST, …),
// forwarded to the pod's IP (status.podIP; 127.0.0.1 in tests) and port, WebSocket
// upgrades included. Like kube-apiserver it does not pass the caller's Authorization
// header on to the pod (kubernetes/kubernetes#38775): the pod sees the request without it.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { KubeObject } from './store.ts';

const PROXY = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/proxy(\/.*)?$/;

export interface ProxyTarget {
  namespace: string;
  pod: string;
  scheme: 'http' | 'https';
  port?: number;
  /** the path (and query) to request from the pod */
  path: string;
}

/** a pod proxy request path, or undefined */
export function parseProxyPath(rawUrl: string): ProxyTarget | undefined {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const m = PROXY.exec(path);
  if (!m) return undefined;
  const parts = decodeURIComponent(m[2]).split(':');
  let scheme: 'http' | 'https' = 'http';
  if (parts[0] === 'http' || parts[0] === 'https') scheme = parts.shift() as 'http' | 'https';
  const [pod, port] = parts;
  return { namespace: decodeURIComponent(m[1]), pod, scheme, ...(port ? { port: Number(port) } : {}), path: (m[3] ?? '/') + (q < 0 ? '' : rawUrl.slice(q)) };
}

/** where the pod listens: its IP and the named port (or the first container port) */
export function podAddress(pod: KubeObject, t: ProxyTarget): { host: string; port: number } | undefined {
  const status = pod.status as { podIP?: string } | undefined;
  const spec = pod.spec as { containers?: { ports?: { containerPort: number }[] }[] } | undefined;
  const host = status?.podIP;
  const port = t.port ?? spec?.containers?.flatMap((c) => c.ports ?? [])[0]?.containerPort;
  return host && port ? { host, port } : undefined;
}

/** the caller's headers minus what kube-apiserver keeps for itself */
function forwardHeaders(req: IncomingMessage, host: string, port: number): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'authorization' && k !== 'host') h[k] = v;
  h.host = `${host}:${port}`;
  h['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  return h;
}

export function proxyRequest(req: IncomingMessage, res: ServerResponse, t: ProxyTarget, addr: { host: string; port: number }, onError: (e: Error) => void): void {
  const send = t.scheme === 'https' ? httpsRequest : httpRequest;
  const up = send({ host: addr.host, port: addr.port, method: req.method, path: t.path, headers: forwardHeaders(req, addr.host, addr.port), rejectUnauthorized: false }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', onError);
  req.pipe(up);
}

/** a WebSocket (or any) upgrade: the request line and headers re-sent, then the bytes piped both ways */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, t: ProxyTarget, addr: { host: string; port: number }): void {
  const up = t.scheme === 'https' ? tlsConnect({ host: addr.host, port: addr.port, rejectUnauthorized: false }) : netConnect(addr.port, addr.host);
  up.on('error', () => socket.destroy());
  socket.on('error', () => up.destroy());
  up.once(t.scheme === 'https' ? 'secureConnect' : 'connect', () => {
    const lines = [`${req.method} ${t.path} HTTP/1.1`];
    for (const [k, v] of Object.entries(forwardHeaders(req, addr.host, addr.port))) for (const x of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${x}`);
    up.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) up.write(head);
    up.pipe(socket);
    socket.pipe(up);
  });
}
