// What a key does in the UI, as a pure function: (state, key) → (state, effect). The App keeps the state and
// performs the effect (an engine action, a status message, quitting); everything a key decides is tested
// here without Ink or React.

/** A key as Ink reports it (its `Key` fits), reduced to what the UI reads. */
export interface KeyPress {
  input: string;
  ctrl?: boolean;
  meta?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
}

export type Mode =
  | { kind: 'normal' }
  | { kind: 'search'; draft: string }
  | { kind: 'clients'; names: string[]; active?: string; at: number };

export interface KeyState {
  /** Index of the selected service row (clamped to the rows there are when read). */
  selected: number;
  /** The service whose logs the pane shows; all services when undefined. */
  logService?: string;
  search: string;
  /** Log sequence number the pane is frozen at (`p`); live when undefined. */
  pausedAt?: number;
  mode: Mode;
}

export const initialKeyState: KeyState = { selected: 0, search: '', mode: { kind: 'normal' } };

/** What the reducer reads but does not own: the rows on screen and the log feed's position. */
export interface KeyContext {
  services: ReadonlyArray<{ name: string; running: number }>;
  /** Sequence number of the next log line (where a pause freezes the pane). */
  logSeq: number;
  /** Whether this UI can switch clients itself (`berth ui` with a stack file) or only list them. */
  canSwitch: boolean;
}

export type Effect =
  | { kind: 'none' }
  | { kind: 'quit' }
  | { kind: 'restart'; service: string }
  | { kind: 'toggle'; service: string; verb: 'stopping' | 'starting' }
  /** Ask for the stack's clients; the answer comes back through `clientsListed`. */
  | { kind: 'listClients' }
  | { kind: 'switchClient'; name: string }
  | { kind: 'status'; text: string };

export interface Reduced {
  state: KeyState;
  effect: Effect;
}

const NONE: Effect = { kind: 'none' };

/** The selected row, clamped to the rows there are (services come and go under the selection). */
export function selectedIndex(state: KeyState, rowCount: number): number {
  return Math.max(0, Math.min(state.selected, rowCount - 1));
}

/**
 * Keys typed faster than a frame (or sent by a script) arrive as one chunk, "jj": outside search, each
 * character is a key of its own. Escape sequences and the search box's typing (a paste) stay whole.
 */
export function splitKeys(key: KeyPress, mode: Mode): KeyPress[] {
  const { input } = key;
  if (input.length <= 1 || mode.kind === 'search' || key.ctrl || key.meta || input.includes('\u001b'))
    return [key];
  return [...input].map((ch) => ({ ...key, input: ch, return: ch === '\r' }));
}

export function reduceKey(state: KeyState, key: KeyPress, ctx: KeyContext): Reduced {
  if (key.ctrl && key.input === 'c') return { state, effect: { kind: 'quit' } };
  switch (state.mode.kind) {
    case 'search':
      return { state: searchKey(state, state.mode.draft, key), effect: NONE };
    case 'clients':
      return clientsKey(state, state.mode, key, ctx);
    default:
      return normalKey(state, key, ctx);
  }
}

function searchKey(state: KeyState, draft: string, key: KeyPress): KeyState {
  const normal: Mode = { kind: 'normal' };
  if (key.return) return { ...state, mode: normal };
  if (key.escape) return { ...state, search: '', mode: normal };
  let next = draft;
  if (key.backspace || key.delete) next = draft.slice(0, -1);
  else if (key.input && !key.ctrl && !key.meta) next = draft + key.input;
  else return state;
  // The pane filters as you type: the search applies at once, Enter only leaves the box.
  return { ...state, search: next, mode: { kind: 'search', draft: next } };
}

function clientsKey(
  state: KeyState,
  mode: Extract<Mode, { kind: 'clients' }>,
  key: KeyPress,
  ctx: KeyContext,
): Reduced {
  const back = { ...state, mode: { kind: 'normal' } as Mode };
  if (key.escape || key.input === 'c' || key.input === 'q') return { state: back, effect: NONE };
  if (key.upArrow || key.input === 'k')
    return { state: { ...state, mode: { ...mode, at: Math.max(0, mode.at - 1) } }, effect: NONE };
  if (key.downArrow || key.input === 'j')
    return {
      state: { ...state, mode: { ...mode, at: Math.min(mode.names.length - 1, mode.at + 1) } },
      effect: NONE,
    };
  if (key.return) {
    const name = mode.names[mode.at];
    if (!name) return { state: back, effect: NONE };
    if (!ctx.canSwitch)
      return {
        state: back,
        effect: { kind: 'status', text: `to switch: quit and run \`berth use ${name}\`` },
      };
    return { state: back, effect: { kind: 'switchClient', name } };
  }
  return { state, effect: NONE };
}

function normalKey(state: KeyState, key: KeyPress, ctx: KeyContext): Reduced {
  const count = ctx.services.length;
  const sel = selectedIndex(state, count);
  const current = ctx.services[sel];
  const same = (s: KeyState, effect: Effect = NONE): Reduced => ({ state: s, effect });
  const { input } = key;
  if (key.upArrow || input === 'k') return same({ ...state, selected: Math.max(0, sel - 1) });
  if (key.downArrow || input === 'j')
    return same({ ...state, selected: Math.max(0, Math.min(count - 1, sel + 1)) });
  if (key.return) return same(current ? { ...state, logService: current.name } : state);
  if (input === 'a') return same({ ...state, logService: undefined });
  if (input === 'r' && current) return same(state, { kind: 'restart', service: current.name });
  if (input === 's' && current)
    return same(state, {
      kind: 'toggle',
      service: current.name,
      verb: current.running > 0 ? 'stopping' : 'starting',
    });
  if (input === '/') return same({ ...state, mode: { kind: 'search', draft: state.search } });
  if (input === 'p')
    return same({ ...state, pausedAt: state.pausedAt === undefined ? ctx.logSeq : undefined });
  if (input === 'c') return same(state, { kind: 'listClients' });
  if (input === 'q') return same(state, { kind: 'quit' });
  return same(state);
}

/** The answer to `listClients`: open the picker on the active client, or say there is nothing to pick. */
export function clientsListed(state: KeyState, list: { names: string[]; active?: string }): Reduced {
  if (list.names.length === 0)
    return {
      state,
      effect: { kind: 'status', text: 'this stack has no clients (clients/NAME.yaml or x-berth.clients)' },
    };
  // A key pressed while the list was on its way (search opened, say) wins: the picker does not cover it.
  if (state.mode.kind !== 'normal') return { state, effect: NONE };
  const at = Math.max(0, list.names.indexOf(list.active ?? ''));
  return {
    state: { ...state, mode: { kind: 'clients', names: list.names, active: list.active, at } },
    effect: NONE,
  };
}
