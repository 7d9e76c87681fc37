// Building the habitwatch image without a container registry (`npm run test:image` and
// the image bench). The Containerfile's BASE is made here: Debian 12 from Debian's
// archive with mmdebstrap, plus this machine's Node (binary, npm, C headers) and its
// extra CA certificates (a TLS-intercepting proxy re-signs the npm registry on some
// machines: npm in the build trusts what this machine's npm trusts), imported with
// podman. It is cached under a tag derived from everything that goes into it, so a
// second run on one machine reuses it, and a changed Node makes a new one. buildah then
// builds the Containerfile as anyone would (its layer cache makes a rebuild cheap).
//
// This machine's constraints, and how they are met without touching the Containerfile:
// - cgroup v1 with the v2 hierarchy mounted beside it ("hybrid"): crun refuses to run
//   there, so `podman run` uses runc and `buildah build` its chroot isolation;
// - no CAP_SYS_RESOURCE for root here: podman's default rlimits would need it, so runs
//   and builds ask for limits below this machine's;
// - the agent's API is reached on the host network (a free port); the DaemonSet's pod
//   network has nothing to do with its privileges.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './env.ts';

const run = promisify(execFile);
export const IMAGE = 'localhost/habitwatch:test';
const BASE_REPO = 'localhost/habitwatch-test-base';
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
/** rlimits below this machine's (see above) */
export const ULIMITS = ['--ulimit=nofile=16384:16384', '--ulimit=nproc=8192:8192'];
/** what `podman run` needs on this machine besides the pod's own settings */
export const RUN_ENV_FLAGS = ['--runtime=runc', '--network=host', ...ULIMITS];

const CA_DIR = '/usr/local/share/ca-certificates';

export function imageToolsMissing(): string[] {
  const missing: string[] = [];
  for (const tool of ['buildah', 'podman', 'runc', 'mmdebstrap']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore', timeout: 20000 });
    } catch {
      missing.push(tool);
    }
  }
  return missing;
}

/** this machine's Node installation: prefix, binary, npm's directory */
function hostNode(): { prefix: string; node: string; npm: string; headers: string } {
  const node = realpathSync(process.execPath);
  const prefix = dirname(dirname(node));
  const npm = join(prefix, 'lib', 'node_modules', 'npm');
  const headers = join(prefix, 'include', 'node');
  for (const p of [npm, headers]) if (!existsSync(p)) throw new Error(`this machine's Node has no ${p}: cannot make a build base from it`);
  return { prefix, node, npm, headers };
}

function baseTag(): string {
  const n = hostNode();
  const h = createHash('sha256');
  h.update(`${SUITE} ${MIRROR} minbase ca-certificates v1\n`);
  h.update(readFileSync(n.node));
  h.update(readFileSync(join(n.npm, 'package.json')));
  h.update(readFileSync(join(n.headers, 'node_version.h')));
  if (existsSync(CA_DIR)) for (const f of readdirSync(CA_DIR).sort()) h.update(f).update(readFileSync(join(CA_DIR, f)));
  return `${BASE_REPO}:${h.digest('hex').slice(0, 16)}`;
}

async function imageExists(tag: string): Promise<boolean> {
  return run('podman', ['image', 'exists', tag]).then(
    () => true,
    () => false,
  );
}

/** The build base: made once per machine and Node (see above). */
export async function buildBase(log: (m: string) => void): Promise<string> {
  const tag = baseTag();
  if (await imageExists(tag)) {
    log(`base ${tag} cached`);
    return tag;
  }
  const n = hostNode();
  const tar = join(tmpdir(), `hw-base-${process.pid}.tar`);
  log(`base: mmdebstrap ${SUITE} + node ${process.version} from ${n.prefix}`);
  try {
    const hooks = [
      `mkdir -p "$1${n.prefix}/bin" "$1${n.prefix}/lib/node_modules" "$1${n.prefix}/include"`,
      `copy-in ${n.node} ${n.prefix}/bin`,
      `copy-in ${n.npm} ${n.prefix}/lib/node_modules`,
      `copy-in ${n.headers} ${n.prefix}/include`,
      `ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1${n.prefix}/bin/npm"; ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$1${n.prefix}/bin/npx"`,
      ...(existsSync(CA_DIR) && readdirSync(CA_DIR).length > 0 ? [`copy-in ${CA_DIR} /usr/local/share`, 'chroot "$1" update-ca-certificates'] : []),
    ];
    await run(
      'mmdebstrap',
      ['--variant=minbase', '--include=ca-certificates', '--mode=root', ...hooks.map((h) => `--customize-hook=${h}`), SUITE, tar, MIRROR],
      { maxBuffer: 64 << 20, timeout: 15 * 60 * 1000 },
    );
    await run(
      'podman',
      ['import', '--change', 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', '--change', `ENV PATH=${n.prefix}/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, tar, tag],
      { maxBuffer: 64 << 20, timeout: 10 * 60 * 1000 },
    );
    log(`base ${tag} made`);
    return tag;
  } finally {
    rmSync(tar, { force: true });
  }
}

/** buildah build of the repository's Containerfile on `base`; returns the log */
export async function buildImage(base: string, log: (m: string) => void): Promise<string> {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  let revision = 'unknown';
  try {
    revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  log(`buildah build on ${base}`);
  const { stdout, stderr } = await run(
    'buildah',
    [
      'build',
      '--isolation=chroot',
      '--network=host',
      '--layers',
      ...ULIMITS,
      `--build-arg=BASE=${base}`,
      `--build-arg=VERSION=${pkg.version}`,
      `--build-arg=REVISION=${revision}`,
      '-f',
      join(REPO, 'Containerfile'),
      '-t',
      IMAGE,
      REPO,
    ],
    { maxBuffer: 256 << 20, timeout: 30 * 60 * 1000 },
  );
  return stdout + stderr;
}

export interface ImageFacts {
  sizeBytes: number;
  user: string;
  entrypoint: string[];
  cmd: string[];
  labels: Record<string, string>;
  healthcheck: unknown;
}

export async function inspectImage(tag = IMAGE): Promise<ImageFacts> {
  const { stdout } = await run('podman', ['image', 'inspect', tag]);
  const [i] = JSON.parse(stdout) as { Size: number; Config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; Labels?: Record<string, string>; Healthcheck?: unknown } }[];
  return { sizeBytes: i.Size, user: i.Config.User ?? '', entrypoint: i.Config.Entrypoint ?? [], cmd: i.Config.Cmd ?? [], labels: i.Config.Labels ?? {}, healthcheck: i.Config.Healthcheck };
}

/** build (or reuse the layers of) the image and say how large it is, MiB */
export async function imageMiB(log: (m: string) => void): Promise<number> {
  await buildImage(await buildBase(log), log);
  return (await inspectImage()).sizeBytes / (1 << 20);
}
