// Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat…): one message
// per batch, one line per alert, mrkdwn text. New alerts only; repeats stay quiet.
import type { Alert, Severity } from '../../../models/alert.ts';
import type { Incident } from '../../../models/incident.ts';
import { defineSink, type Delivery, type IncidentDelivery } from '../types.ts';
import { checkResponse, createHttpClient } from '../http.ts';
import { slackDefaults, slackSchema, type SlackConfig } from './config.ts';

const ICON: Record<Severity, string> = {
  info: ':information_source:',
  low: ':large_blue_circle:',
  medium: ':large_yellow_circle:',
  high: ':red_circle:',
  critical: ':rotating_light:',
};

/** Slack mrkdwn needs &, < and > escaped */
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function line(a: Alert): string {
  const w = a.workload;
  const where = [w.namespace ? `${w.namespace}/` : '', `${w.kind}/${w.name}`, w.container ? ` (${w.container})` : '', ` on ${w.node}`].join('');
  return `${ICON[a.severity]} *${a.severity.toUpperCase()}* \`${esc(a.rule)}\` ${esc(a.summary)} — ${esc(where)}${a.mitre?.technique ? ` [${a.mitre.technique}]` : ''}`;
}

/** a new incident, or one that escalated (the only updates a Slack sink gets) */
function incidentLine(i: Incident, escalated: boolean): string {
  const techniques = i.mitre.map((m) => m.technique).join(', ');
  const what = escalated ? `incident escalated to *${i.severity.toUpperCase()}*` : `*${i.severity.toUpperCase()}* incident`;
  return `${ICON[i.severity]} ${what}: ${esc(i.summary)} on ${esc(i.workload.node)} [${techniques}] (${i.alerts} alert${i.alerts === 1 ? '' : 's'}, id ${i.id})`;
}

export function renderSlack(batch: Delivery[], c: Pick<SlackConfig, 'channel' | 'username' | 'iconEmoji'>): Record<string, string> {
  return message(batch.length === 1 ? '' : `*habitwatch: ${batch.length} alerts*\n`, batch.map((d) => line(d.alert)), c);
}

export function renderSlackIncidents(batch: IncidentDelivery[], c: Pick<SlackConfig, 'channel' | 'username' | 'iconEmoji'>): Record<string, string> {
  return message(batch.length === 1 ? '' : `*habitwatch: ${batch.length} incidents*\n`, batch.map((d) => incidentLine(d.incident, d.update)), c);
}

function message(head: string, lines: string[], c: Pick<SlackConfig, 'channel' | 'username' | 'iconEmoji'>): Record<string, string> {
  const msg: Record<string, string> = { text: head + lines.join('\n') };
  if (c.channel) msg.channel = c.channel;
  if (c.username) msg.username = c.username;
  if (c.iconEmoji) msg.icon_emoji = c.iconEmoji;
  return msg;
}

export default defineSink<SlackConfig>({
  type: 'slack',
  description: 'Slack-compatible incoming webhook (text message per batch)',
  configSchema: slackSchema,
  defaults: slackDefaults,
  defaultBatchSize: 20,
  wantsUpdates: () => false,
  create(c, ctx) {
    const http = createHttpClient(c);
    return {
      async send(batch, signal) {
        const body = JSON.stringify(renderSlack(batch, c));
        checkResponse(await http.post(body, { 'Content-Type': 'application/json' }, ctx.timeoutMs, signal), ctx.now());
      },
      async sendIncidents(batch, signal) {
        const body = JSON.stringify(renderSlackIncidents(batch, c));
        checkResponse(await http.post(body, { 'Content-Type': 'application/json' }, ctx.timeoutMs, signal), ctx.now());
      },
      close: () => http.close(),
    };
  },
});
