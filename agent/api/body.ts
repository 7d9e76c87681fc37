// Request bodies: size-capped, typed by Content-Type, parsed into plain data.
// Everything a client can get wrong here is a 4xx with a message.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { HttpError } from './errors.ts';

export type BodyType = 'json' | 'yaml';

const TYPES: Record<string, BodyType> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
};

/** the declared type of a request body, checked against what the route accepts */
export function bodyTypeOf(req: IncomingMessage, accepted: readonly BodyType[]): BodyType {
  const ct = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
  const t = TYPES[ct];
  if (t === undefined || !accepted.includes(t)) {
    throw new HttpError(415, `Content-Type must be ${accepted.map((a) => (a === 'json' ? 'application/json' : 'application/yaml')).join(' or ')} (got ${ct})`);
  }
  return t;
}

/** 413 before reading a byte when the declared length is already too large */
export function checkDeclaredLength(req: IncomingMessage, max: number): void {
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) > max) throw new HttpError(413, `body of ${cl} bytes is larger than the limit of ${max} bytes`, { Connection: 'close' });
}

export async function readBody(req: IncomingMessage, max: number, type: BodyType): Promise<unknown> {
  checkDeclaredLength(req, max);
  const chunks: Buffer[] = [];
  let len = 0;
  for await (const c of req) {
    len += (c as Buffer).length;
    if (len > max) throw new HttpError(413, `body larger than the limit of ${max} bytes`, { Connection: 'close' });
    chunks.push(c as Buffer);
  }
  if (len === 0) return undefined;
  const buf = Buffer.concat(chunks);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new HttpError(400, 'body is not valid UTF-8');
  }
  if (type === 'yaml') {
    try {
      // one document, plain data only (no custom tags, no aliases bombs)
      return parseYaml(text, { maxAliasCount: 0, customTags: [], logLevel: 'error' });
    } catch (e) {
      throw new HttpError(400, `body is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Read and throw away what is left of a refused body (bounded), so the client sees our answer. */
export function drain(req: IncomingMessage, limit = 16 << 20): void {
  let n = 0;
  req.on('data', (c: Buffer) => {
    n += c.length;
    if (n > limit) req.destroy();
  });
  req.resume();
}
