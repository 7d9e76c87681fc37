// TLS for the API: a certificate and key from files, reloaded when either changes
// (cert-manager and Kubernetes secret mounts replace the files in place). A new pair
// that does not load keeps the old one serving and says why.
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from '../../collector/log.ts';

export interface TlsConfig {
  certFile: string;
  keyFile: string;
  /** how often the files are checked for changes */
  reloadIntervalMs: number;
}

export class TlsError extends Error {
  override name = 'TlsError';
}

function stamp(f: string): string {
  try {
    const s = statSync(f);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (e) {
    return `missing:${(e as NodeJS.ErrnoException).code}`;
  }
}

/** read and check a pair; throws TlsError naming the problem */
export function loadPair(cfg: TlsConfig): SecureContextOptions {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(cfg.certFile);
    key = readFileSync(cfg.keyFile);
  } catch (e) {
    throw new TlsError(`cannot read TLS certificate/key: ${(e as Error).message}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new TlsError(`TLS certificate/key do not load (${cfg.certFile}, ${cfg.keyFile}): ${(e as Error).message}`);
  }
  return { cert, key };
}

/** Watch the pair and swap the server's context when it changes; returns a stop function. */
export function watchPair(server: HttpsServer, cfg: TlsConfig, log: Logger, onReload?: (ok: boolean) => void): () => void {
  let last = stamp(cfg.certFile) + '|' + stamp(cfg.keyFile);
  const timer = setInterval(() => {
    const now = stamp(cfg.certFile) + '|' + stamp(cfg.keyFile);
    if (now === last) return;
    last = now;
    try {
      server.setSecureContext(loadPair(cfg));
      log.info('tls certificate reloaded', { certFile: cfg.certFile });
      onReload?.(true);
    } catch (e) {
      log.error('tls certificate reload failed; still serving the previous one', { err: (e as Error).message });
      onReload?.(false);
    }
  }, cfg.reloadIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
