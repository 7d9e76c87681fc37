// Would `readOnlyRootFilesystem: true` hold for this workload, and with which emptyDir
// mounts? From the file_write items its baseline learned (create, write, rename,
// unlink and chmod all need a writable file system).
import type { BaselineSnapshot } from '../../../models/baseline/baseline.ts';

/** never on the container's root file system under Kubernetes */
const NOT_ROOTFS: [RegExp, string][] = [
  [/^\/(proc|sys)(\/|$)/, 'kernel pseudo file system'],
  [/^\/dev(\/|$)/, '/dev is a tmpfs the runtime mounts'],
  [/^\/etc\/(hosts|hostname|resolv\.conf)$/, 'mounted by the kubelet'],
  [/^\/var\/run\/secrets\/kubernetes\.io(\/|$)/, 'service-account volume'],
];

/** directories whose content comes with the image: an emptyDir there hides it */
const IMAGE_DIRS = /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|etc|opt|boot)(\/|$)/;

export interface EmptyDirSuggestion {
  mountPath: string;
  /** the learned write items this mount covers */
  paths: string[];
  /** set when the mount would hide files the image ships there */
  warning?: string;
}

export interface WritableReport {
  workload: string;
  containers: string[];
  readOnlyRootFilesystem: {
    /** no learned write touches the root file system at all */
    holdsAsIs: boolean;
    /** it holds once the suggested emptyDir mounts are added */
    holdsWithEmptyDirs: boolean;
    /** writes no mount can absorb (files directly in /) */
    blockers: string[];
  };
  emptyDirs: EmptyDirSuggestion[];
  ignored: { path: string; why: string }[];
  /** a strategic-merge-style patch for the pod template's container and volumes */
  patch: {
    securityContext: { readOnlyRootFilesystem: true };
    volumeMounts: { name: string; mountPath: string }[];
    volumes: { name: string; emptyDir: Record<string, never> }[];
  };
}

/** the directory a write item needs writable: its parent, wildcards cut off */
function dirOf(path: string): string {
  const star = path.indexOf('*');
  const cut = star < 0 ? path : path.slice(0, star);
  const slash = cut.lastIndexOf('/');
  return slash <= 0 ? '/' : cut.slice(0, slash);
}

function volumeName(mountPath: string, used: Set<string>): string {
  const base = ('hw' + mountPath.toLowerCase().replace(/[^a-z0-9]+/g, '-')).replace(/-+$/, '').slice(0, 58);
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  used.add(name);
  return name;
}

/** `mounts`: paths already on volumes (the pod's own volumeMounts), not the root file system */
export function writableReport(workload: string, snaps: BaselineSnapshot[], mounts: string[] = []): WritableReport {
  const ignored: { path: string; why: string }[] = [];
  const dirs = new Map<string, Set<string>>();
  const blockers: string[] = [];
  const onMount = (p: string): string | undefined => mounts.find((m) => p === m || p.startsWith(m.endsWith('/') ? m : m + '/'));
  for (const s of snaps) {
    for (const it of s.items.file_write ?? []) {
      const p = it.key;
      const why = NOT_ROOTFS.find(([re]) => re.test(p))?.[1] ?? (onMount(p) ? `on the volume mounted at ${onMount(p)}` : undefined) ?? (!p.startsWith('/') ? 'not a file path' : undefined);
      if (why) {
        ignored.push({ path: p, why });
        continue;
      }
      const d = dirOf(p);
      if (d === '/') {
        blockers.push(p);
        continue;
      }
      let set = dirs.get(d);
      if (!set) dirs.set(d, (set = new Set()));
      set.add(p);
    }
  }
  // one mount per outermost directory: /var/cache/nginx covers /var/cache/nginx/proxy
  const sorted = [...dirs.keys()].sort();
  const emptyDirs: EmptyDirSuggestion[] = [];
  for (const d of sorted) {
    const outer = emptyDirs.find((e) => d.startsWith(e.mountPath + '/'));
    if (outer) {
      outer.paths.push(...dirs.get(d)!);
      continue;
    }
    emptyDirs.push({ mountPath: d, paths: [...dirs.get(d)!], ...(IMAGE_DIRS.test(d) ? { warning: `an emptyDir at ${d} hides what the image ships there: copy it in with an init container, or make the app write elsewhere` } : {}) });
  }
  for (const e of emptyDirs) e.paths.sort();
  const used = new Set<string>();
  const named = emptyDirs.map((e) => ({ name: volumeName(e.mountPath, used), mountPath: e.mountPath }));
  return {
    workload,
    containers: snaps.map((s) => s.meta.container),
    readOnlyRootFilesystem: { holdsAsIs: emptyDirs.length === 0 && blockers.length === 0, holdsWithEmptyDirs: blockers.length === 0, blockers: blockers.sort() },
    emptyDirs,
    ignored: ignored.sort((a, b) => (a.path < b.path ? -1 : 1)),
    patch: {
      securityContext: { readOnlyRootFilesystem: true },
      volumeMounts: named,
      volumes: named.map((n) => ({ name: n.name, emptyDir: {} })),
    },
  };
}
