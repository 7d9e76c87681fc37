// TLS with a configured certificate, reloaded when the files change (no restart).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, renameSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { startAgent, type AgentHandle } from '../../../agent/agent.ts';
import { buildConfig, ConfigError } from '../../../agent/config/load.ts';
import { silentLogger } from '../../../collector/log.ts';
import { tempDir } from '../../support/agent-proc.ts';
import { CLI, requireComponent, waitFor } from '../../support/env.ts';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';

const run = promisify(execFile);

function openssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** a self-signed certificate for 127.0.0.1 into dir/name.{crt,key} */
function selfSigned(dir: string, name: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

function peer(port: number, ca: Buffer | string): Promise<{ status: number; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', ca, rejectUnauthorized: false, agent: false }, (res) => {
      const cn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cn }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API over TLS', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let agent: AgentHandle | undefined;
  before(function () {
    requireComponent(this, openssl(), 'openssl (to make test certificates)');
    tmp = tempDir('hw-tls-');
  });
  after(async () => {
    await agent?.stop();
    tmp?.cleanup();
  });

  it('serves the configured certificate and reloads it when the files change', async () => {
    const first = selfSigned(tmp.dir, 'a', 'habitwatch-first');
    const certFile = join(tmp.dir, 'tls.crt');
    const keyFile = join(tmp.dir, 'tls.key');
    renameSync(first.cert, certFile);
    renameSync(first.key, keyFile);
    agent = await startAgent(
      buildConfig({ dataDir: join(tmp.dir, 'data'), api: { listen: '127.0.0.1:0', tls: { certFile, keyFile, reloadInterval: '50ms' } }, sources: { enabled: [] } }),
      { log: silentLogger },
    );
    const port = agent.apiPort!;
    assert.deepEqual(await peer(port, ''), { status: 200, cn: 'habitwatch-first' });
    // plain HTTP on the TLS port gets nothing useful
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200 || Promise.reject(new Error('no'))));
    // replaced in place as cert-manager or a secret volume would
    const second = selfSigned(tmp.dir, 'b', 'habitwatch-second');
    renameSync(second.key, keyFile);
    renameSync(second.cert, certFile);
    await waitFor(async () => (await peer(port, '')).cn === 'habitwatch-second', { what: 'reloaded certificate' });
    copyFileSync(certFile, join(tmp.dir, 'served.crt'));
    // a broken pair keeps the last good one serving
    const failed = async (): Promise<number> => (await agent!.metrics.apiTlsReloads.get()).values.find((v) => v.labels.result === 'failed')?.value ?? 0;
    const before = await failed();
    const third = selfSigned(tmp.dir, 'c', 'habitwatch-third');
    renameSync(third.cert, certFile); // key of "second" with the cert of "third": does not load
    await waitFor(async () => (await failed()) > before, { what: 'the refused reload' });
    assert.equal((await peer(port, '')).cn, 'habitwatch-second');
  });

  it('the CLI speaks HTTPS: --ca trusts the agent, an unknown certificate is exit 3 in one line', async () => {
    const port = agent!.apiPort!;
    const cert = join(tmp.dir, 'served.crt');
    const cli = (...args: string[]) => run(process.execPath, [CLI, 'baseline', 'list', '--api', `https://127.0.0.1:${port}`, ...args], { env: { ...process.env, HABITWATCH_TOKEN: '' } });
    const ok = await cli('--ca', cert);
    assert.match(ok.stdout, /no baselines yet/);
    await assert.rejects(cli(), (e: { code: number; stderr: string }) => e.code === 3 && /cannot reach the agent at https:\/\/127\.0\.0\.1:\d+ \(TLS: /.test(e.stderr) && e.stderr.trim().split('\n').length === 1);
    assert.match((await cli('--insecure')).stdout, /no baselines yet/);
  });

  it('an unusable certificate is a config error at start', () => {
    assert.throws(() => buildConfig({ api: { tls: { certFile: join(tmp.dir, 'missing.crt'), keyFile: join(tmp.dir, 'missing.key') } } }), (e: unknown) => e instanceof ConfigError && /api\.tls: cannot read/.test(e.message));
  });
});
