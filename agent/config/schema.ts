// One schema composed from the components' own schemas. Validated once at start
// (agent/config/load.ts); the frozen result is passed down in slices.
import { sources } from '../../collector/sources/index.ts';
import { SEVERITIES } from '../../models/alert.ts';
import { rules } from '../../models/rules/index.ts';
import { GROUP_BY } from '../../models/incidents.ts';
import type { JsonSchema } from '../../collector/sources/types.ts';
import { durationSchema } from './duration.ts';
import { storeConfigSchema } from '../store/config.ts';
import { sinksConfigSchema } from '../sinks/index.ts';
import { kubernetesSchema } from '../kube/config.ts';

export function configSchema(): JsonSchema {
  const sourceProps: Record<string, unknown> = {
    enabled: {
      anyOf: [{ const: 'auto' }, { type: 'array', items: { enum: sources.map((s) => s.name) } }],
      errorMessage: `"auto" or a list of: ${sources.map((s) => s.name).join(', ')}`,
    },
  };
  for (const s of sources) sourceProps[s.name] = s.configSchema;
  const ruleProps: Record<string, unknown> = {};
  for (const r of rules) {
    ruleProps[r.id] = {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, severity: { enum: [...SEVERITIES] } },
    };
  }
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      node: { type: 'string', minLength: 1 },
      dataDir: { type: 'string', minLength: 1 },
      log: { type: 'object', additionalProperties: false, properties: { level: { enum: ['debug', 'info', 'warn', 'error'] } } },
      api: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          listen: { type: 'string', pattern: '^(?:\\[[0-9a-fA-F:]+\\]|[^:\\s]+):\\d{1,5}$', errorMessage: 'host:port, e.g. 127.0.0.1:7420' },
          tokens: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'token'],
              properties: { name: { type: 'string', minLength: 1 }, token: { type: 'string', minLength: 8 }, role: { enum: ['read', 'respond', 'admin'] } },
            },
          },
          tokenFile: { type: 'string', minLength: 1 },
          anonymous: { enum: ['none', 'read'] },
          openMetrics: { type: 'boolean' },
          tls: {
            type: 'object',
            additionalProperties: false,
            required: ['certFile', 'keyFile'],
            properties: { certFile: { type: 'string', minLength: 1 }, keyFile: { type: 'string', minLength: 1 }, reloadInterval: durationSchema },
          },
          kubernetesAuth: {
            type: 'object',
            additionalProperties: false,
            properties: {
              kubeconfig: { type: 'string', minLength: 1 },
              context: { type: 'string', minLength: 1 },
              cacheTtl: durationSchema,
              audiences: { type: 'array', items: { type: 'string', minLength: 1 } },
            },
          },
          limits: {
            type: 'object',
            additionalProperties: false,
            properties: {
              maxBodyBytes: { type: 'integer', minimum: 1024 },
              ratePerSecond: { type: 'number', minimum: 0 },
              burst: { type: 'integer', minimum: 1 },
              maxInFlight: { type: 'integer', minimum: 1 },
            },
          },
        },
      },
      sources: { type: 'object', additionalProperties: false, properties: sourceProps },
      learning: {
        type: 'object',
        additionalProperties: false,
        properties: {
          minLearning: durationSchema,
          quietPeriod: durationSchema,
          maxItems: { type: 'integer', minimum: 1 },
          collapseThreshold: { type: 'integer', minimum: 2 },
          connectCollapseThreshold: { type: 'integer', minimum: 2 },
          cidrCollapseThreshold: { type: 'integer', minimum: 2 },
        },
      },
      detection: {
        type: 'object',
        additionalProperties: false,
        properties: {
          cooldown: durationSchema,
          maxOpenAlerts: { type: 'integer', minimum: 1 },
          maxWrittenContainers: { type: 'integer', minimum: 1 },
          fanOut: {
            type: 'object',
            additionalProperties: false,
            properties: { window: durationSchema, maxItems: { type: 'integer', minimum: 1, maximum: 4096 } },
          },
          rules: { type: 'object', additionalProperties: false, properties: ruleProps },
        },
      },
      incidents: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          window: durationSchema,
          maxDuration: durationSchema,
          groupBy: { enum: [...GROUP_BY] },
          processTree: { type: 'boolean' },
          maxTimeline: { type: 'integer', minimum: 1, maximum: 10000 },
          maxOpen: { type: 'integer', minimum: 1 },
        },
      },
      store: storeConfigSchema,
      sinks: sinksConfigSchema,
      kubernetes: kubernetesSchema,
    },
  };
}
