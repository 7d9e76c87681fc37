// The `sinks` key's schema comes from the sink registry (agent/sinks/index.ts) once
// it exists; this indirection keeps config loading working while it is built.
import type { JsonSchema } from '../../collector/sources/types.ts';

export function sinksSchema(): JsonSchema {
  return { type: 'array', items: { type: 'object', required: ['type'] } };
}
