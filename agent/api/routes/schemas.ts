// JSON Schemas of request bodies. The same schemas are in docs/openapi.yaml; the
// conformance test checks they agree.
import { BASELINE_KINDS } from '../../../models/baseline/items.ts';
import { ALERT_STATUSES } from '../../store/alerts.ts';

const container = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^/\\s]+$' };
const note = { type: 'string', maxLength: 1000 };

export const itemsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'items'],
  properties: {
    kind: { enum: [...BASELINE_KINDS] },
    items: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 1024 } },
    container,
    note,
  },
};

export const relearnBody = {
  type: 'object',
  additionalProperties: false,
  properties: { container, reset: { type: 'boolean' }, note },
};

export const lockBody = {
  type: 'object',
  additionalProperties: false,
  properties: { container, note },
};

export const alertApproveBody = {
  type: 'object',
  additionalProperties: false,
  properties: { note },
};

export const alertStatusBody = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { enum: [...ALERT_STATUSES] }, note },
};
