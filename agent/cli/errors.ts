// Errors the CLI turns into a message and an exit code (main.ts is the only place that exits).
export class UsageError extends Error {
  override name = 'UsageError';
}
