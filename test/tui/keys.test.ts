import { describe, expect, test } from 'vitest';
import {
  clientsListed,
  type Effect,
  initialKeyState,
  type KeyContext,
  type KeyPress,
  type KeyState,
  reduceKey,
  selectedIndex,
  splitKeys,
} from '../../src/tui/keys.js';

// The key handling without Ink: state in, state and effect out.

const ctx: KeyContext = {
  services: [
    { name: 'web', running: 1 },
    { name: 'app', running: 2 },
    { name: 'db', running: 0 },
  ],
  logSeq: 42,
  canSwitch: true,
};

const k = (input: string, extra: Partial<KeyPress> = {}): KeyPress => ({ input, ...extra });
const UP = k('', { upArrow: true });
const DOWN = k('', { downArrow: true });
const ENTER = k('\r', { return: true });
const ESC = k('', { escape: true });
const BACKSPACE = k('', { backspace: true });

/** Press keys in turn; the state after the last and every effect on the way. */
function press(keys: Array<string | KeyPress>, state: KeyState = initialKeyState, c: KeyContext = ctx) {
  const effects: Effect[] = [];
  for (const key of keys) {
    const r = reduceKey(state, typeof key === 'string' ? k(key) : key, c);
    state = r.state;
    if (r.effect.kind !== 'none') effects.push(r.effect);
  }
  return { state, effects };
}

describe('selection', () => {
  test('j/k and the arrows move it, within the rows', () => {
    expect(press(['j']).state.selected).toBe(1);
    expect(press(['j', 'j', 'j', 'j']).state.selected).toBe(2);
    expect(press(['j', DOWN, 'k']).state.selected).toBe(1);
    expect(press(['k', UP]).state.selected).toBe(0);
  });

  test('a selection past the rows (services went away) is clamped, and moving starts from what is shown', () => {
    const far = { ...initialKeyState, selected: 10 };
    expect(selectedIndex(far, 3)).toBe(2);
    expect(press(['k'], far).state.selected).toBe(1);
    expect(selectedIndex(far, 0)).toBe(0);
    expect(press(['j', 'k', 'r', 's', ENTER], initialKeyState, { ...ctx, services: [] })).toEqual({
      state: { ...initialKeyState, selected: 0 },
      effects: [],
    });
  });
});

describe('actions on the selected service', () => {
  test('r restarts it, s stops a running one and starts a stopped one', () => {
    expect(press(['j', 'r']).effects).toEqual([{ kind: 'restart', service: 'app' }]);
    expect(press(['s']).effects).toEqual([{ kind: 'toggle', service: 'web', verb: 'stopping' }]);
    expect(press(['j', 'j', 's']).effects).toEqual([{ kind: 'toggle', service: 'db', verb: 'starting' }]);
  });

  test('Enter shows its logs, a shows all again', () => {
    expect(press(['j', ENTER]).state.logService).toBe('app');
    expect(press(['j', ENTER, 'a']).state.logService).toBeUndefined();
  });

  test('q and Ctrl-C quit; Ctrl-C even from the search box and the picker', () => {
    expect(press(['q']).effects).toEqual([{ kind: 'quit' }]);
    const ctrlC = k('c', { ctrl: true });
    expect(press([ctrlC]).effects).toEqual([{ kind: 'quit' }]);
    expect(press(['/', ctrlC]).effects).toEqual([{ kind: 'quit' }]);
    const picker = clientsListed(initialKeyState, { names: ['acme'] }).state;
    expect(press([ctrlC], picker).effects).toEqual([{ kind: 'quit' }]);
  });

  test('an unbound key changes nothing', () => {
    const r = reduceKey(initialKeyState, k('x'), ctx);
    expect(r).toEqual({ state: initialKeyState, effect: { kind: 'none' } });
  });
});

describe('search', () => {
  test('typing filters at once; Enter keeps the search, Esc clears it', () => {
    let { state } = press(['/', 'e', 'r', 'r', 'x', BACKSPACE, 'o']);
    expect(state.mode).toEqual({ kind: 'search', draft: 'erro' });
    expect(state.search).toBe('erro');
    state = press([ENTER], state).state;
    expect(state).toMatchObject({ search: 'erro', mode: { kind: 'normal' } });
    // reopening edits the kept search; Esc drops it
    state = press(['/'], state).state;
    expect(state.mode).toEqual({ kind: 'search', draft: 'erro' });
    expect(press([ESC], state).state).toMatchObject({ search: '', mode: { kind: 'normal' } });
  });

  test('keys that act elsewhere are text in the search box', () => {
    const { state, effects } = press(['/', 'q', 'r', 's', 'j']);
    expect(state.search).toBe('qrsj');
    expect(state.selected).toBe(0);
    expect(effects).toEqual([]);
  });
});

describe('pause', () => {
  test('p freezes the pane at the current log sequence, p again follows', () => {
    const paused = press(['p']).state;
    expect(paused.pausedAt).toBe(42);
    expect(press(['p'], paused, { ...ctx, logSeq: 99 }).state.pausedAt).toBeUndefined();
  });
});

describe('clients', () => {
  test('c asks for the clients; the answer opens the picker on the active one', () => {
    expect(press(['c']).effects).toEqual([{ kind: 'listClients' }]);
    const r = clientsListed(initialKeyState, { names: ['acme', 'globex', 'initech'], active: 'globex' });
    expect(r.state.mode).toEqual({
      kind: 'clients',
      names: ['acme', 'globex', 'initech'],
      active: 'globex',
      at: 1,
    });
    expect(r.effect).toEqual({ kind: 'none' });
  });

  test('a stack without clients says so', () => {
    const r = clientsListed(initialKeyState, { names: [] });
    expect(r.state).toBe(initialKeyState);
    expect(r.effect).toMatchObject({ kind: 'status', text: expect.stringContaining('no clients') });
  });

  test('an answer arriving after another key opened the search does not cover it', () => {
    const searching = press(['/']).state;
    expect(clientsListed(searching, { names: ['acme'] }).state).toBe(searching);
  });

  test('↑/↓ j/k choose within the list; Enter switches; Esc, c and q go back without switching', () => {
    const picker = clientsListed(initialKeyState, { names: ['acme', 'globex'], active: 'acme' }).state;
    expect(press(['j', 'j', 'j', ENTER], picker)).toEqual({
      state: { ...initialKeyState, mode: { kind: 'normal' } },
      effects: [{ kind: 'switchClient', name: 'globex' }],
    });
    expect(press([DOWN, UP, 'k', ENTER], picker).effects).toEqual([{ kind: 'switchClient', name: 'acme' }]);
    for (const back of [ESC, 'c', 'q']) {
      const r = press([back], picker);
      expect(r.state.mode).toEqual({ kind: 'normal' });
      expect(r.effects).toEqual([]);
    }
    // the selection behind the picker did not move
    expect(press(['j', 'j'], picker).state.selected).toBe(0);
  });

  test('where the UI cannot switch (attached up, -p), Enter says how to', () => {
    const picker = clientsListed(initialKeyState, { names: ['acme', 'globex'], active: 'acme' }).state;
    expect(press(['j', ENTER], picker, { ...ctx, canSwitch: false }).effects).toEqual([
      { kind: 'status', text: 'to switch: quit and run `berth use globex`' },
    ]);
  });
});

describe('keys in one chunk', () => {
  const normal = initialKeyState.mode;
  test('"jj" from a script or fast typing is two keys; Enter inside a chunk is Enter', () => {
    expect(splitKeys(k('jj'), normal).map((x) => x.input)).toEqual(['j', 'j']);
    const keys = splitKeys(k('j\rq'), normal);
    expect(keys.map((x) => [x.input, x.return])).toEqual([
      ['j', false],
      ['\r', true],
      ['q', false],
    ]);
    expect(press(keys).effects).toEqual([{ kind: 'quit' }]);
    expect(press(keys).state.logService).toBe('app');
  });

  test('a paste into the search box, escape sequences and modified keys stay whole', () => {
    expect(splitKeys(k('timeout'), { kind: 'search', draft: '' })).toEqual([k('timeout')]);
    expect(splitKeys(k('\u001b[A'), normal)).toHaveLength(1);
    expect(splitKeys(k('ab', { meta: true }), normal)).toHaveLength(1);
    expect(press(['/', k('time'), k('out')]).state.search).toBe('timeout');
  });
});
