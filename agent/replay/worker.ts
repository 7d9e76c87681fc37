// Worker-thread entry of a sharded replay (started by agent/replay/parallel.ts).
// Protocol: → {progress}* → {read}; ← {finish, lastTime}; → {result}.
import { parentPort, workerData } from 'node:worker_threads';
import { ShardReplay, type ShardParams } from './shard.ts';

const port = parentPort!;
const shard = new ShardReplay(workerData as ShardParams);
const read = await shard.read((events) => port.postMessage({ type: 'progress', events }));
port.once('message', (m: { type: 'finish'; lastTime: number }) => {
  port.postMessage({ type: 'result', result: shard.finish(m.lastTime) });
});
port.postMessage({ type: 'read', read });
