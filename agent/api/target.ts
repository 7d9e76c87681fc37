// The request target (path and query) of an API call, parsed strictly: whatever a
// client sends becomes either decoded path segments and a query, or an HttpError
// with a 4xx status and a message — never an exception that turns into a 500.
import { HttpError } from './errors.ts';

export interface Target {
  /** the raw path as sent (for messages) */
  path: string;
  /** decoded, non-empty path segments */
  segments: string[];
  query: URLSearchParams;
}

/** control characters (C0, DEL) and the Unicode replacement character of a bad decode */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\ufffd]/;
export const MAX_TARGET = 8192;

function decode(s: string, where: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `malformed percent-escape in ${where}: ${JSON.stringify(s.slice(0, 80))}`);
  }
}

export function parseTarget(raw: string | undefined): Target {
  const url = raw ?? '/';
  if (url.length > MAX_TARGET) throw new HttpError(414, `request target longer than ${MAX_TARGET} characters`);
  // origin-form only: "/path?query" (absolute-form and authority-form are for proxies)
  if (!url.startsWith('/')) throw new HttpError(400, 'request target must be a path starting with "/"');
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const rawSegs = path.split('/');
  const segments: string[] = [];
  for (let i = 1; i < rawSegs.length; i++) {
    const s = rawSegs[i];
    if (s === '') {
      // a trailing slash is tolerated; "//" inside a path is not a path we serve
      if (i === rawSegs.length - 1) continue;
      throw new HttpError(400, 'empty path segment ("//")');
    }
    const d = decode(s, 'path');
    if (d === '.' || d === '..') throw new HttpError(400, `path traversal segment "${d}" is not allowed`);
    if (CONTROL.test(d)) throw new HttpError(400, 'control characters are not allowed in the path');
    segments.push(d);
  }
  return { path, segments, query: parseQuery(q < 0 ? '' : url.slice(q + 1)) };
}

function parseQuery(qs: string): URLSearchParams {
  const out = new URLSearchParams();
  if (qs === '') return out;
  for (const part of qs.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decode((eq < 0 ? part : part.slice(0, eq)).replaceAll('+', ' '), 'query');
    const v = eq < 0 ? '' : decode(part.slice(eq + 1).replaceAll('+', ' '), 'query');
    if (CONTROL.test(k) || CONTROL.test(v)) throw new HttpError(400, 'control characters are not allowed in the query');
    out.append(k, v);
  }
  return out;
}
