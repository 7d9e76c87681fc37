// A WHERE clause built from optional filters, with named parameters (no string
// interpolation of values).
export class Where {
  private parts: string[] = [];
  readonly params: Record<string, unknown> = {};

  /** add `sql` (naming @k) when v is defined */
  add(sql: string, k: string, v: unknown): this {
    if (v === undefined) return this;
    this.parts.push(sql);
    this.params[k] = v;
    return this;
  }

  raw(sql: string, params: Record<string, unknown>): this {
    this.parts.push(sql);
    Object.assign(this.params, params);
    return this;
  }

  toString(): string {
    return this.parts.length > 0 ? 'WHERE ' + this.parts.join(' AND ') : '';
  }
}
