// The `sinks` key's schema, built from the sink registry (agent/sinks/index.ts).
// Discriminated by `type` with if/then rather than oneOf, so a bad webhook entry
// is reported as "sinks.0: must have required property 'url'", not as a failure
// to match every other sink type too.
import type { JsonSchema } from '../../collector/sources/types.ts';
import { commonSinkProperties, sinkTypes } from '../sinks/index.ts';

export function sinksSchema(): JsonSchema {
  const types = Object.keys(sinkTypes);
  return {
    type: 'array',
    items: {
      type: 'object',
      required: ['type', 'name'],
      properties: { type: { enum: types } },
      allOf: Object.values(sinkTypes).map((t) => {
        const own = t.configSchema as { properties?: Record<string, JsonSchema>; required?: string[] };
        return {
          if: { properties: { type: { const: t.type } }, required: ['type'] },
          then: {
            additionalProperties: false,
            required: own.required ?? [],
            properties: { type: {}, ...commonSinkProperties, ...(own.properties ?? {}) },
          },
        };
      }),
    },
  };
}
