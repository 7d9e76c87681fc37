// The replay worker as one self-contained ES module. Workers cannot use the tsx
// loader the CLI runs under (it takes ~1 s per thread to transpile the modules
// again); esbuild, which tsx already ships, bundles them once in ~0.1–0.3 s and the
// worker then starts in ~0.1 s. The bundle only imports node: built-ins, so it
// runs from a data: URL: nothing is written to disk.
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

export async function workerModule(): Promise<URL> {
  const { build } = await import('esbuild');
  const r = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = r.outputFiles[0].text;
  // a bare import would not resolve from a data: URL: fail here, clearly, instead
  const bare = /\bfrom\s*["'](?!node:)([^"'.][^"']*)["']/.exec(code);
  if (bare) throw new Error(`replay worker bundle imports ${bare[1]}; only node: built-ins are allowed`);
  return new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}
