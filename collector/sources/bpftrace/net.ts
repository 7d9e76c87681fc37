// Network records of habitwatch.bt: L (TCP listen) and C (TCP/UDP connect). Layouts in
// habitwatch.bt's header.
import type { EventKind, EventRecord, ProcessInfo, Proto, RuntimeEvent } from '../../event.ts';
import type { SourceStats } from '../../stats.ts';
import { decodeComm, isInt, isUint } from './decode.ts';
import { SOURCE } from './files.ts';

/** what the network records need from the parser they belong to */
export interface NetHost {
  readonly stats: SourceStats;
  readonly counts: { listen: number; connect: number };
  envelope(nsecs: string, cgroupId: string, process: ProcessInfo, kind: EventKind): EventRecord | undefined;
  emit(ev: RuntimeEvent, out: RuntimeEvent[]): void;
}

// L nsecs pid tid cgroup uid family comm addr port
export function listenRecord(h: NetHost, f: string[], out: RuntimeEvent[]): void {
  if (f.length !== 10 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[4]) || !isInt(f[5]) || !isUint(f[9]) || Number(f[9]) > 65535 || (f[6] !== '2' && f[6] !== '10') || f[8] === '') {
    h.stats.bad(SOURCE, 'bad_net_record', f.join('\t'));
    return;
  }
  const ev = h.envelope(f[1], f[4], { pid: Number(f[2]), exe: decodeComm(f[7]), args: [], uid: Number(f[5]) }, 'listen');
  if (!ev) return;
  ev.proto = 'tcp';
  ev.addr = f[8];
  ev.port = Number(f[9]);
  h.counts.listen++;
  h.emit(ev.event(), out);
}

// C nsecs pid tid cgroup uid proto family comm addr port
export function connectRecord(h: NetHost, f: string[], out: RuntimeEvent[]): void {
  if (f.length !== 11 || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[4]) || !isInt(f[5]) || (f[6] !== 'tcp' && f[6] !== 'udp') || (f[7] !== '2' && f[7] !== '10') || f[9] === '' || !isUint(f[10]) || Number(f[10]) > 65535) {
    h.stats.bad(SOURCE, 'bad_net_record', f.join('\t'));
    return;
  }
  const ev = h.envelope(f[1], f[4], { pid: Number(f[2]), exe: decodeComm(f[8]), args: [], uid: Number(f[5]) }, 'connect');
  if (!ev) return;
  ev.proto = f[6] as Proto;
  ev.dstAddr = f[9];
  ev.dstPort = Number(f[10]);
  h.counts.connect++;
  h.emit(ev.event(), out);
}
