// Fuzzing the config loader (YAML text and parsed structures, the tokens file) and API
// request bodies: 0 crashes (only ConfigError / TokenFileError / a 4xx HttpError, never
// another exception), bounded memory, and a valid input after garbage still gives
// exactly what it gave before. FUZZ_INPUTS inputs each (npm run fuzz: 1,000,000).
// Bodies go through the server's own reading (readBody: size, UTF-8, JSON/YAML) and each
// route's schema in process for every input, and a slice of them (one in 50) through
// the running agent's HTTP API to the real handlers: a JSON 2xx/4xx, never a 5xx.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request as httpRequest } from 'node:http';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { stringify as toYaml } from 'yaml';
import { buildConfig, ConfigError, parseConfigText } from '../../agent/config/load.ts';
import { parseTokenFile, TokenFileError } from '../../agent/api/auth/tokens.ts';
import { readBody } from '../../agent/api/body.ts';
import { HttpError } from '../../agent/api/errors.ts';
import { configBlocks, docBlocks } from '../support/doc-blocks.ts';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentHandle } from '../../agent/agent.ts';
import { startApiAgent } from '../support/api-agent.ts';
import { tempDir } from '../support/agent-proc.ts';
import { waitFor } from '../support/env.ts';
import { FUZZ_INPUTS, FUZZ_SEED, HeapProbe, garbage, mutateBytes, mutateValue, pick, randomValue, report, rng, type Rng } from '../support/fuzz.ts';

const MAX_GROWTH_MIB = 48;

/** keys and strings found in some values: what the structure mutator draws from */
function vocabulary(values: unknown[]): { keys: string[]; strings: string[] } {
  const keys = new Set<string>();
  const strings = new Set<string>(['', '0s', '-1m', '1e999', '**', '/*', '../', 'auto', 'admin', '127.0.0.1:0', '0.0.0.0:99999', 'true']);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) (keys.add(k), walk(x));
    else if (typeof v === 'string') strings.add(v);
  };
  values.forEach(walk);
  return { keys: [...keys], strings: [...strings] };
}

/** a document's top-level sections (a key at column 0 with its indented lines) */
function sections(text: string): string[] {
  const out: string[] = [];
  for (const l of text.split('\n')) {
    if (/^\S/.test(l) || out.length === 0) out.push(l);
    else out[out.length - 1] += '\n' + l;
  }
  return out.filter((x) => x.trim() !== '');
}

/** one to three sections of the documented configs, in any order: small documents the YAML parser gets through fast */
function someSections(r: Rng, all: string[]): string {
  return Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, all)).join('\n') + '\n';
}

/** one to three edits of YAML text by lines: a mutated line, a dropped, duplicated or re-indented one */
function mutateText(text: string, r: Rng, seeds: string[]): string {
  const lines = text.split('\n');
  for (let ops = 1 + Math.floor(r() * 3); ops > 0 && lines.length > 0; ops--) {
    const i = Math.floor(r() * lines.length);
    const roll = r();
    if (roll < 0.4) lines[i] = mutateBytes(Buffer.from(lines[i]), r, () => Buffer.from(pick(r, pick(r, seeds).split('\n')))).toString('utf8');
    else if (roll < 0.6) lines.splice(i, 1);
    else if (roll < 0.75) lines.splice(i, 0, lines[i]);
    else if (roll < 0.9) lines[i] = ' '.repeat(Math.floor(r() * 6)) + lines[i].trimStart();
    else lines[i] = garbage(r, 40).toString('utf8');
  }
  return lines.join('\n');
}

describe(`fuzz: config and API bodies (${FUZZ_INPUTS} inputs each)`, function () {
  this.timeout(FUZZ_INPUTS > 100_000 ? 0 : 120_000); // npm run fuzz: as long as it takes
  // the YAML parser's warnings go to the process's stderr, outside the JSON log and its
  // redaction: whatever a client or a config file holds, there must be none
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message.slice(0, 200));
  before(() => process.on('warning', onWarning));
  after(() => process.off('warning', onWarning));
  afterEach(async () => {
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    assert.deepEqual(warnings.splice(0), [], 'process warnings');
  });

  it('config: YAML text and structures give a config or a ConfigError, nothing else; the documented config loads the same after', () => {
    const texts = configBlocks().map((b) => b.text);
    assert.ok(texts.length >= 4, `config examples in the docs: ${texts.length}`);
    const parsed = texts.map((t) => parseConfigText(t, 'doc'));
    const { keys, strings } = vocabulary(parsed);
    const parts = texts.flatMap(sections);
    const reference = JSON.stringify(buildConfig(parsed[0]));
    const r = rng(FUZZ_SEED);
    const heap = new HeapProbe();
    let ok = 0;
    let refused = 0;
    for (let i = 0; i < FUZZ_INPUTS; i++) {
      if (i % Math.max(1, Math.floor(FUZZ_INPUTS / 20)) === 0) heap.sample(i / FUZZ_INPUTS);
      const roll = r();
      // generated first: a fault of the generator is not the loader's
      const input: { text: string } | { value: unknown } =
        roll < 0.45
          ? { text: mutateText(someSections(r, parts), r, texts) }
          : roll < 0.9
            ? { value: mutateValue(pick(r, parsed), r, keys, strings) }
            : { text: roll < 0.95 ? toYaml(randomValue(r, keys, strings)) : garbage(r).toString('utf8') };
      try {
        buildConfig('text' in input ? parseConfigText(input.text, 'fuzz.yaml') : input.value);
        ok++;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw new Error(`input ${i} (seed ${FUZZ_SEED}): ${(e as Error).stack}`);
        for (const p of e.problems) assert.ok(!p.includes('\n') && p.length > 0, `one line per problem: ${JSON.stringify(p)}`);
        refused++;
      }
    }
    assert.ok(ok > 0 && refused > FUZZ_INPUTS / 10, `accepted ${ok}, refused ${refused}`);
    assert.equal(JSON.stringify(buildConfig(parsed[0])), reference, 'the documented config after the run');
    assert.ok(heap.growthMiB() < MAX_GROWTH_MIB, `heap grew ${heap.growthMiB().toFixed(1)} MiB`);
    report({ parser: 'config', accepted: ok, refused, heapGrowthMiB: +heap.growthMiB().toFixed(2) });
  });

  it('tokens file: entries or a TokenFileError, nothing else', () => {
    const texts = docBlocks().filter((b) => b.lang === 'yaml' && /^tokens:/m.test(b.text)).map((b) => b.text.replace('<hex SHA-256 of the token>', 'a'.repeat(64)));
    assert.ok(texts.length >= 1);
    const reference = JSON.stringify(parseTokenFile(texts[0], 'doc'));
    const r = rng(FUZZ_SEED + 1);
    for (let i = 0; i < FUZZ_INPUTS; i++) {
      try {
        parseTokenFile(r() < 0.9 ? mutateText(pick(r, texts), r, texts) : garbage(r).toString('utf8'), 'fuzz.yaml');
      } catch (e) {
        if (!(e instanceof TokenFileError)) throw new Error(`input ${i} (seed ${FUZZ_SEED}): ${(e as Error).stack}`);
      }
    }
    assert.equal(JSON.stringify(parseTokenFile(texts[0], 'doc')), reference);
    report({ parser: 'tokens-file' });
  });

  describe('API bodies', () => {
    const TOKEN = 'admin-token-0123456789';
    const W = 'shop/Deployment/web';
    const exec = (t: number, exe: string): string =>
      JSON.stringify({ time: t, kind: 'exec', workload: { id: W, namespace: 'shop', kind: 'Deployment', name: 'web', container: 'app' }, process: { pid: 7, exe, args: [exe] } }) + '\n';
    let tmp: ReturnType<typeof tempDir>;
    let agent: AgentHandle;
    let concrete: (path: string) => string;
    before(async () => {
      tmp = tempDir('hw-fuzz-api-');
      const input = join(tmp.dir, 'events.jsonl');
      writeFileSync(input, exec(Date.now(), '/usr/bin/web'));
      agent = await startApiAgent(join(tmp.dir, 'data'), input, [{ name: 'boss', token: TOKEN, role: 'admin' }], { ratePerSecond: 100_000, burst: 100_000, maxBodyBytes: 64 * 1024 });
      await waitFor(() => agent.profiler.baselines.get(`${W}#app`)?.meta.state === 'stable', { what: 'stable baseline' });
      appendFileSync(input, exec(Date.now(), '/usr/bin/curl'));
      const alertId = await waitFor(() => agent.alerts.list({ workload: W })[0]?.id, { what: 'an alert' });
      const incidentId = agent.alerts.get(alertId)!.incident!;
      concrete = (path) => path.replace('{id*}', W).replace('{id}', path.startsWith('/v1/incidents/') ? incidentId : alertId);
    });
    after(async () => {
      await agent?.stop();
      tmp?.cleanup();
    });

    /** a valid body for a schema: required members with their first allowed value */
    function example(schema: Record<string, unknown>): unknown {
      if (Array.isArray(schema.enum)) return schema.enum[0];
      if ('const' in schema) return schema.const;
      // a body of two shapes (import: a WorkloadBaseline object, else a document): the members of both
      if (schema.then && schema.else) return { ...(example(schema.else as Record<string, unknown>) as object), ...(example(schema.then as Record<string, unknown>) as object) };
      if (schema.type === 'object') {
        const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
        return Object.fromEntries(Object.entries(props).map(([k, s]) => [k, example(s)]).filter(([k]) => k !== 'container'));
      }
      if (schema.type === 'array') return [example(schema.items as Record<string, unknown>)];
      if (schema.type === 'boolean') return true;
      return 'x';
    }

    function fakeRequest(body: Buffer): Readable & { headers: Record<string, string> } {
      return Object.assign(Readable.from(body.length > 0 ? [body] : []), { headers: { 'content-length': String(body.length) } });
    }

    it('every input: read (size, UTF-8, JSON or YAML) and checked against each route schema, or a 4xx with a message', async () => {
      const routes = agent.api!.routeList().filter((x) => x.bodySchema !== undefined);
      assert.ok(routes.length >= 5, `routes with a body: ${routes.length}`);
      const ajv = new Ajv2020({ allErrors: false, strict: false });
      const checks = routes.map((x) => ajv.compile(x.bodySchema!));
      const seeds = routes.map((x) => example(x.bodySchema!));
      const { keys, strings } = vocabulary(seeds);
      const seedBytes = seeds.map((s) => Buffer.from(JSON.stringify(s)));
      const r = rng(FUZZ_SEED + 2);
      const heap = new HeapProbe();
      let valid = 0;
      for (let i = 0; i < FUZZ_INPUTS; i++) {
        if (i % Math.max(1, Math.floor(FUZZ_INPUTS / 20)) === 0) heap.sample(i / FUZZ_INPUTS);
        const roll = r();
        const yaml = r() < 0.2;
        const body =
          roll < 0.4 ? mutateBytes(pick(r, seedBytes), r, () => pick(r, seedBytes)) : roll < 0.8 ? Buffer.from((yaml ? toYaml : JSON.stringify)(mutateValue(pick(r, seeds), r, keys, strings)) ?? '') : garbage(r, 300);
        try {
          const v = await readBody(fakeRequest(body) as never, 4096, yaml ? 'yaml' : 'json');
          for (const check of checks) if (check(v ?? {})) valid++;
        } catch (e) {
          if (!(e instanceof HttpError) || e.status < 400 || e.status >= 500) throw new Error(`input ${i} (seed ${FUZZ_SEED}): ${(e as Error).stack}`);
          assert.ok(e.message.length > 0);
        }
      }
      const validSeeds = checks.filter((check, k) => check(seeds[k]));
      assert.ok(validSeeds.length >= 5, `routes whose example body is valid: ${validSeeds.length}`);
      assert.ok(valid > 0, 'some mutated bodies were still valid');
      assert.ok(heap.growthMiB() < MAX_GROWTH_MIB, `heap grew ${heap.growthMiB().toFixed(1)} MiB`);
      report({ parser: 'api-bodies', schemaValid: valid, heapGrowthMiB: +heap.growthMiB().toFixed(2) });
    });

    it('one input in 50 through the HTTP API to the real handlers: JSON 2xx or 4xx, never a 5xx', async () => {
      const routes = agent.api!.routeList().filter((x) => x.bodySchema !== undefined);
      const seeds = routes.map((x) => example(x.bodySchema!));
      const { keys, strings } = vocabulary(seeds);
      const r = rng(FUZZ_SEED + 3);
      const port = agent.apiPort!;
      const statuses: Record<number, number> = {};
      const n = Math.max(100, Math.floor(FUZZ_INPUTS / 50));
      for (let i = 0; i < n; i++) {
        const k = Math.floor(r() * routes.length);
        const path = concrete(routes[k].path);
        const roll = r();
        const body = roll < 0.5 ? Buffer.from(JSON.stringify(mutateValue(seeds[k], r, keys, strings)) ?? '') : roll < 0.8 ? mutateBytes(Buffer.from(JSON.stringify(seeds[k])), r, () => Buffer.from(JSON.stringify(pick(r, seeds)))) : garbage(r, 300);
        const res = await post(port, path, body, TOKEN, r() < 0.1 ? 'application/yaml' : 'application/json');
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        assert.ok(res.status < 500, `POST ${path} ${JSON.stringify(body.toString('latin1').slice(0, 200))}: ${res.status} ${res.text.slice(0, 200)}`);
        const parsed = JSON.parse(res.text) as { error?: string };
        if (res.status >= 400) assert.ok(typeof parsed.error === 'string' && parsed.error.length > 0, res.text);
      }
      assert.ok(Object.keys(statuses).some((s) => Number(s) >= 400), JSON.stringify(statuses));
      report({ parser: 'api-http', requests: n, statuses });
      assert.equal((await post(port, '/healthz', Buffer.alloc(0), TOKEN, 'application/json', 'GET')).status, 200);
    });
  });
});

function post(port: number, path: string, body: Buffer, token: string, type: string, method = 'POST'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${token}`, 'content-type': type, 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
