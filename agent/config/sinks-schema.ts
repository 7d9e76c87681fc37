// The `sinks` key's schema comes from the sink registry (agent/sinks/index.ts).
import type { JsonSchema } from '../../collector/sources/types.ts';
import { sinksConfigSchema } from '../sinks/index.ts';

export function sinksSchema(): JsonSchema {
  return sinksConfigSchema;
}
