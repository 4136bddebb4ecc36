import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { App, type UiActions } from '../../src/tui/App.js';
import {
  ENTER_ALT_SCREEN,
  type FullScreen,
  LEAVE_ALT_SCREEN,
  mountFullScreen,
} from '../../src/tui/fullscreen.js';
import { UiStore } from '../../src/tui/store.js';
import { inputReady, recordedEvents, untilEvent } from './helpers.js';

// The terminal as the UI leaves it: a fake TTY that records every byte written to it.

class FakeTty extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 30;
  written = '';
  write = (s: string) => {
    this.written += s;
    return true;
  };
}

class FakeKeys extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  press(s: string) {
    this.data = s;
    this.emit('readable');
  }
}

function open(progress?: string[]) {
  const store = new UiStore({ stack: 'shop', project: 'shop', engine: 'docker 20.10.24' }, [
    { name: 'web', replicas: 1, image: 'berth/busybox:latest' },
  ]);
  const events = recordedEvents();
  for (const e of events.slice(0, untilEvent(events, 'start', 'shop-web-1'))) store.event(e);
  const stdout = new FakeTty();
  const stdin = new FakeKeys();
  let screen: FullScreen | undefined;
  const actions: UiActions = {
    restart: async () => {},
    toggle: async () => {},
    clients: async () => ({ names: [] }),
    quit: vi.fn(() => {
      for (const l of progress ?? []) store.addProgress(l);
      screen?.close(store.progress);
    }),
  };
  screen = mountFullScreen(<App store={store} actions={actions} color={false} frameMs={5} />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    patchConsole: false,
  });
  opened = screen;
  return { stdout, stdin, actions };
}

let opened: FullScreen | undefined;
afterEach(() => opened?.close());

describe('the terminal after quitting', () => {
  test('q gives the screen back as it was: the UI ran on the alternate screen and nothing is left after it', async () => {
    const t = open();
    await inputReady(t.stdin);
    t.stdin.press('q');
    await vi.waitFor(() => expect(t.stdout.written).toContain(LEAVE_ALT_SCREEN), { timeout: 10_000 });
    const out = t.stdout.written;
    expect(out.startsWith(ENTER_ALT_SCREEN)).toBe(true);
    // the frame (with its footer) was drawn in between, and nothing after the way back: the shell prompt
    // lands where it was before the UI started, not on the footer
    const drawn = out.slice(ENTER_ALT_SCREEN.length, out.lastIndexOf(LEAVE_ALT_SCREEN));
    expect(drawn).toContain('q quit');
    expect(out.endsWith(LEAVE_ALT_SCREEN)).toBe(true);
    expect(out.split(LEAVE_ALT_SCREEN)).toHaveLength(2);
    // the cursor is not left hidden (Ink hides it while it draws)
    const hidden = drawn.lastIndexOf('\u001b[?25l');
    expect(hidden === -1 || drawn.lastIndexOf('\u001b[?25h') > hidden).toBe(true);
  });

  test('attached up: the stop progress stays on the normal screen, each line ended, after the UI is gone', async () => {
    const t = open(['Container shop-web-1  Stopping', 'Container shop-web-1  Stopped']);
    await inputReady(t.stdin);
    t.stdin.press('q');
    await vi.waitFor(() => expect(t.stdout.written).toContain(LEAVE_ALT_SCREEN), { timeout: 10_000 });
    const after = t.stdout.written.split(LEAVE_ALT_SCREEN)[1];
    expect(after).toBe('Container shop-web-1  Stopping\nContainer shop-web-1  Stopped\n');
  });

  test('closing twice (q, then a signal) leaves the alternate screen and prints the progress once', async () => {
    const t = open(['Container shop-web-1  Stopped']);
    await inputReady(t.stdin);
    t.stdin.press('q');
    await vi.waitFor(() => expect(t.stdout.written).toContain(LEAVE_ALT_SCREEN), { timeout: 10_000 });
    opened?.close(['Container shop-web-1  Stopped']);
    const parts = t.stdout.written.split(LEAVE_ALT_SCREEN);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe('Container shop-web-1  Stopped\n');
  });
});
