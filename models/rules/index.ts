// The rule registry: one line per rule.
import type { Rule } from './types.ts';
import { agentRuleIds } from '../agent-alert.ts';
import unexpectedExec from './unexpected-exec/rule.ts';
import unexpectedFileWrite from './unexpected-file-write/rule.ts';
import unexpectedFileOpen from './unexpected-file-open/rule.ts';
import unexpectedListen from './unexpected-listen/rule.ts';
import unexpectedConnect from './unexpected-connect/rule.ts';
import unexpectedSyscall from './unexpected-syscall/rule.ts';
import execWritablePath from './exec-writable-path/rule.ts';
import driftExec from './drift-exec/rule.ts';
import writeSystemPath from './write-system-path/rule.ts';
import shellSpawned from './shell-spawned/rule.ts';
import packageManager from './package-manager/rule.ts';
import listenerByTool from './listener-by-tool/rule.ts';
import minerPortEgress from './miner-port-egress/rule.ts';
import filelessExec from './fileless-exec/rule.ts';
import dangerousSyscall from './dangerous-syscall/rule.ts';
import saTokenRead from './sa-token-read/rule.ts';
import forbiddenItem from './forbidden-item/rule.ts';
import credentialFileRead from './credential-file-read/rule.ts';
import setuidBitSet from './setuid-bit-set/rule.ts';
import historyTampering from './history-tampering/rule.ts';
import logTampering from './log-tampering/rule.ts';
import downloadPipeToShell from './download-pipe-to-shell/rule.ts';
import decodedPipeToShell from './decoded-pipe-to-shell/rule.ts';
import masquerading from './masquerading/rule.ts';
import discoveryCommands from './discovery-commands/rule.ts';
import portScan from './port-scan/rule.ts';

// on equal severity the earlier rule speaks for an event: the more specific ones first
export const rules: Rule[] = [
  unexpectedExec,
  unexpectedFileWrite,
  unexpectedFileOpen,
  unexpectedListen,
  unexpectedConnect,
  unexpectedSyscall,
  masquerading,
  execWritablePath,
  driftExec,
  setuidBitSet,
  writeSystemPath,
  historyTampering,
  logTampering,
  downloadPipeToShell,
  decodedPipeToShell,
  discoveryCommands,
  portScan,
  shellSpawned,
  packageManager,
  listenerByTool,
  minerPortEgress,
  filelessExec,
  dangerousSyscall,
  saTokenRead,
  credentialFileRead,
  forbiddenItem,
];

/** the ids of every registered rule and of the agent's self-alerts (config keys and sink filters are checked against it) */
export const ruleIds: readonly string[] = [...rules.map((r) => r.id), ...agentRuleIds];
