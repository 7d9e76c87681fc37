// The package's entry for programs (`import { replay } from 'habitwatch'`; the CLI is
// bin/habitwatch.js): the offline replay, and the types of the documented contracts —
// alerts (docs/alert-schema.md) and normalised events (docs/events.md).
export { replay, type ReplayOptions, type ReplayResult } from './cli/replay.ts';
export type { Alert, Severity } from '../models/alert.ts';
export type { RuntimeEvent, EventKind } from '../collector/event.ts';
