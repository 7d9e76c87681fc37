// Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat…): one message
// per batch, one line per alert, mrkdwn text. New alerts only; repeats stay quiet.
import type { Alert, Severity } from '../../../models/alert.ts';
import { defineSink, type Delivery } from '../types.ts';
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

export function renderSlack(batch: Delivery[], c: Pick<SlackConfig, 'channel' | 'username' | 'iconEmoji'>): Record<string, string> {
  const head = batch.length === 1 ? '' : `*habitwatch: ${batch.length} alerts*\n`;
  const msg: Record<string, string> = { text: head + batch.map((d) => line(d.alert)).join('\n') };
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
      close: () => http.close(),
    };
  },
});
