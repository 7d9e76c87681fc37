// Real Prometheus against a running agent: every PromQL expression of the Grafana
// dashboard returns data after a scenario, every metric the PrometheusRule names is
// exported, and promtool check/test rules pass on the PrometheusRule's spec.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { parse, stringify } from 'yaml';
import { REPO, requireComponent, waitFor } from '../support/env.ts';
import { have, promQuery, PROMETHEUS, PROMTOOL, startPrometheus, type ServerProcess } from '../agent/sinks/servers.ts';
import { agentAvailable, AGENT_BIN, apiGet, appendEvents, evilExec, startAgent, TOKEN, waitForDeliveryStarted, writeAgentConfig, type AgentProcess } from '../agent/sinks/agent-process.ts';
import { startReceiver, type Receiver } from '../agent/sinks/helpers.ts';

const RULE_MANIFEST = join(REPO, 'manifests', 'base', 'prometheusrule.yaml');
const RULE_TESTS = join(REPO, 'manifests', 'base', 'tests', 'prometheusrule.test.yaml');
const DASHBOARD = join(REPO, 'manifests', 'base', 'grafana-dashboard.json');

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string }[];
}

function ruleSpec(): { groups: RuleGroup[] } {
  const m = parse(readFileSync(RULE_MANIFEST, 'utf8')) as { apiVersion: string; kind: string; spec: { groups: RuleGroup[] } };
  assert.equal(m.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(m.kind, 'PrometheusRule');
  return m.spec;
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

function dashboardExprs(): { title: string; expr: string }[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const out: { title: string; expr: string }[] = [];
  const walk = (ps: Panel[]): void => {
    for (const p of ps) {
      for (const t of p.targets ?? []) out.push({ title: p.title, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  return out;
}

/** Grafana variables to plain PromQL, as Grafana would with "All" selected */
const concrete = (expr: string): string => expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*');

const metricNames = (expr: string): string[] => [...new Set(expr.match(/\bhabitwatch_[a-z0-9_]+/g) ?? [])].map((n) => n.replace(/_(bucket|sum|count)$/, ''));

describe('e2e: PrometheusRule and Grafana dashboard', function () {
  this.timeout(120000);

  it('promtool check rules and promtool test rules pass on the PrometheusRule spec', function () {
    requireComponent(this, have(PROMTOOL), `${PROMTOOL} (Debian package prometheus)`);
    const dir = mkdtempSync(join(tmpdir(), 'hw-promtool-'));
    try {
      writeFileSync(join(dir, 'prometheusrule.rules.yaml'), stringify(ruleSpec()));
      copyFileSync(RULE_TESTS, join(dir, 'prometheusrule.test.yaml'));
      const check = execFileSync(PROMTOOL, ['check', 'rules', 'prometheusrule.rules.yaml'], { cwd: dir, encoding: 'utf8' });
      assert.match(check, /SUCCESS/);
      const test = execFileSync(PROMTOOL, ['test', 'rules', 'prometheusrule.test.yaml'], { cwd: dir, encoding: 'utf8' });
      assert.match(test, /SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every alert of the PrometheusRule has a promtool unit test', () => {
    const alerts = ruleSpec().groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean);
    const tests = readFileSync(RULE_TESTS, 'utf8');
    for (const a of alerts) assert.match(tests, new RegExp(`alertname: ${a}\\b`), `${a} untested`);
  });

  describe('a real Prometheus scrapes a running agent', () => {
    let dir: string;
    let agent: AgentProcess | undefined;
    let prom: ServerProcess | undefined;
    let hook: Receiver | undefined;
    let ws: WebSocket | undefined;
    before(function () {
      dir = mkdtempSync(join(tmpdir(), 'hw-e2e-prom-'));
    });
    after(async () => {
      ws?.terminate();
      await prom?.stop();
      await agent?.kill('SIGTERM');
      await hook?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('every dashboard expression returns data and every metric the rules name is exported', async function () {
      requireComponent(this, have(PROMETHEUS), `${PROMETHEUS} (Debian package prometheus)`);
      requireComponent(this, agentAvailable(), `the agent (${AGENT_BIN})`);
      hook = await startReceiver();
      const { config, events } = writeAgentConfig(dir, [{ type: 'webhook', name: 'siem', url: `${hook.url}/hook`, hmacSecret: 'k' }]);
      agent = await startAgent(config);
      await waitForDeliveryStarted(agent);

      // a live-stream client, so the stream panels have a client to count
      ws = new WebSocket(`ws://127.0.0.1:${agent.port}/v1/stream`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      ws.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        ws!.once('open', () => resolve());
        ws!.once('unexpected-response', (_q, r) => reject(new Error(`stream upgrade answered ${r.statusCode}`)));
      });

      // the scenario: ordinary execs, alerts (exec from /tmp), and a couple of undecodable lines
      const rules = ruleSpec();
      const ruleFile = stringify(rules);
      prom = await startPrometheus(
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: ['rules.yaml'],
          scrape_configs: [
            {
              job_name: 'habitwatch',
              metrics_path: '/metrics',
              authorization: { credentials: TOKEN },
              static_configs: [{ targets: [`127.0.0.1:${agent.port}`] }],
            },
          ],
        }),
        { 'rules.yaml': ruleFile },
      );
      const normal = (i: number): string =>
        JSON.stringify({
          time: Date.now(),
          kind: 'exec',
          process: { pid: 500 + i, exe: '/usr/bin/node', args: ['node', 'server.js'] },
          workload: { id: 'shop/Deployment/web', namespace: 'shop', kind: 'Deployment', name: 'web', container: 'web' },
          enrichment: 'complete',
        });
      // several rounds over a few seconds so rate() over 1m sees more than one sample of growth
      for (let round = 0; round < 4; round++) {
        appendEvents(events, [
          ...Array.from({ length: 20 }, (_, i) => normal(round * 20 + i)),
          ...Array.from({ length: 3 }, (_, i) => evilExec(round * 3 + i)),
          '{not json',
        ]);
        const want = (round + 1) * 3;
        await waitFor(() => hook!.requests.flatMap((r) => (r.json as { alerts: unknown[] }).alerts).length >= want, {
          what: `${want} alerts delivered to the webhook`,
          timeoutMs: 20000,
        });
        await waitFor(async () => (await promQuery(prom!.url, 'count(count_over_time(up{job="habitwatch"}[1m]) >= 1)')).length > 0, { timeoutMs: 20000 });
        const seen = (await promQuery(prom.url, 'count_over_time(up{job="habitwatch"}[1m])'))[0];
        await waitFor(async () => Number((await promQuery(prom!.url, 'count_over_time(up{job="habitwatch"}[1m])'))[0]?.value[1] ?? 0) >= Number(seen?.value[1] ?? 0) + 2, {
          what: 'two more scrapes',
          timeoutMs: 20000,
        });
      }
      assert.equal((await promQuery(prom.url, 'up{job="habitwatch"}'))[0]?.value[1], '1', 'Prometheus scrapes the agent');

      const missingData: string[] = [];
      for (const { title, expr } of dashboardExprs()) {
        const q = concrete(expr);
        try {
          await waitFor(async () => (await promQuery(prom!.url, q)).length > 0, { timeoutMs: 10000, what: q });
        } catch (e) {
          missingData.push(`${title}: ${q} (${(e as Error).message.slice(0, 200)})`);
        }
      }
      assert.deepEqual(missingData, [], `dashboard expressions without data:\n${missingData.join('\n')}`);

      // every metric the rules and the dashboard name is exported by the agent
      const exposition = (await apiGet(agent.port, '/metrics')).text;
      const exported = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      const named = new Set([
        ...rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))),
        ...dashboardExprs().flatMap((d) => metricNames(d.expr)),
      ]);
      const missing = [...named].filter((n) => !exported.has(n));
      assert.deepEqual(missing, [], 'metrics named by rules/dashboard but not exported');
      assert.ok(named.size >= 15);
      // no pid, path or IP as a label value anywhere in the exposition
      assert.doesNotMatch(exposition, /\{[^}]*="\/(tmp|usr|proc)\//, 'no path label values');
      assert.doesNotMatch(exposition, /\{[^}]*="\d+\.\d+\.\d+\.\d+"/, 'no IP label values');
      assert.doesNotMatch(exposition, /\bpid="/, 'no pid label');

      // the rules load and evaluate in the real Prometheus without errors
      await waitFor(async () => {
        const r = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { health: string; lastError?: string }[] }[] } };
        const all = r.data.groups.flatMap((g) => g.rules);
        return all.length === rules.groups.flatMap((g) => g.rules).length && all.every((x) => x.health === 'ok');
      }, { what: 'all rules healthy in Prometheus', timeoutMs: 20000 });
    });
  });
});
