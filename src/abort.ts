import { setMaxListeners } from 'node:events';

/**
 * An AbortController for one run of a verb. Its signal is shared by every engine call and wait of the run
 * (one listener per container), so Node's leak warning, which fires at 11 listeners, would print on any stack
 * over ten services; the listeners are removed as the calls end, so the bound is lifted for this signal only.
 */
export function runAbortController(): AbortController {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  return ac;
}
