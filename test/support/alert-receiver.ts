// A loopback webhook receiver that accepts every delivery (the webhook sink's default
// JSON body) and keeps what arrived: deliveries counted with their duplicates, alerts
// by id. Shared by the storm driver and the storage-fault tests.
import { createServer, type Server } from 'node:http';

export interface ReceivedAlert {
  id: string;
  rule: string;
  workload: { id: string };
  evidence?: { detail?: string; path?: string };
}

export interface AlertReceiver {
  url: string;
  /** deliveries received, duplicates included */
  deliveries(): number;
  /** the latest version of every alert received, by id */
  alerts: Map<string, ReceivedAlert>;
  close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
  let deliveries = 0;
  const alerts = new Map<string, ReceivedAlert>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts?: { alert: ReceivedAlert }[] };
        for (const d of body.alerts ?? []) {
          deliveries++;
          alerts.set(d.alert.id, d.alert);
        }
      } catch {
        // not a body of ours: answered all the same, counted as nothing
      }
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    deliveries: () => deliveries,
    alerts,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
