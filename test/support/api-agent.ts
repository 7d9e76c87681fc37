// An in-process agent for the responder API tests: its API on a free loopback port with
// the given tokens, learning from an events file it follows, with the tiny learning
// times tests use (a baseline is stable ~200 ms after its last new item).
import type { Role } from '../../agent/api/auth/types.ts';
import type { LimitsConfig } from '../../agent/api/limits.ts';
import { startAgent, type AgentHandle } from '../../agent/agent.ts';
import { buildConfig } from '../../agent/config/load.ts';
import { silentLogger } from '../../collector/log.ts';

export async function startApiAgent(dataDir: string, input: string | undefined, tokens: { name: string; token: string; role?: Role }[], limits?: Partial<LimitsConfig>): Promise<AgentHandle> {
  return startAgent(
    buildConfig({
      dataDir,
      api: { listen: '127.0.0.1:0', tokens, ...(limits ? { limits } : {}) },
      sources: input === undefined ? { enabled: [] } : { enabled: ['events'], events: { paths: [input], follow: true } },
      learning: { minLearning: '0s', quietPeriod: '200ms' },
      store: { flushInterval: '100ms' },
    }),
    { log: silentLogger },
  );
}
