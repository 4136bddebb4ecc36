// What every operation is given: the engine it acts on, a sink for progress, and the signal that Ctrl-C (or a
// UI's quit) aborts. Operations never print and never exit; they return typed results and throw BerthErrors.
import type { Engine } from '../engine/port.js';
import type { RunListener } from '../executor/events.js';

export interface OpContext {
  engine: Engine;
  onEvent?: RunListener;
  signal?: AbortSignal;
}

export const emitter = (ctx: OpContext): RunListener => ctx.onEvent ?? (() => {});
