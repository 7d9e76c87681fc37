// Content-hash ids (UUID-shaped): the same inputs always give the same id, so replays
// are deterministic and a restart re-derives what it had.
import { createHash } from 'node:crypto';

export function contentId(...parts: (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
