// In-process fan-out of committed alerts and (on demand) events, for the live
// stream and anything else that wants to watch without touching the pipeline.
import { EventEmitter } from 'node:events';
import type { AlertUpdate } from '../models/alert.ts';
import type { RuntimeEvent } from '../collector/event.ts';

export interface BusEvents {
  alert: [AlertUpdate];
  events: [RuntimeEvent[]];
}

export class Bus extends EventEmitter<BusEvents> {
  /** true while someone asked for raw events (they cost a bit to fan out) */
  wantsEvents(): boolean {
    return this.listenerCount('events') > 0;
  }
}
