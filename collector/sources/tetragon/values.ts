// Reading Tetragon's protojson values: objects, strings, and 64-bit integers that
// protojson prints as strings.
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const int = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  // protojson prints 64-bit integers as strings
  if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) return Number(v);
  return undefined;
};
