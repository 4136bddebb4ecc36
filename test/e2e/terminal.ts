// A real terminal for e2e tests of the UI: a detached tmux session, 100×30, read back as its screen text.
import { execFileSync } from 'node:child_process';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function terminal(session: string, waitMs: number) {
  const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  return {
    /** Run a shell command line in a new session. */
    open: (cmd: string) => tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', cmd),
    keys: (...keys: string[]) => {
      for (const k of keys) tmux('send-keys', '-t', session, k);
    },
    /** The screen once it satisfies pred; a timeout shows the last screen, which says what went wrong. */
    async until(pred: (s: string) => boolean, what: string, ms = waitMs): Promise<string> {
      const t0 = Date.now();
      let s = '';
      while (Date.now() - t0 < ms) {
        s = screen();
        if (pred(s)) return s;
        await sleep(150);
      }
      throw new Error(`timed out waiting for ${what}; the screen:\n${s}`);
    },
    close: () => {
      try {
        tmux('kill-session', '-t', session);
      } catch {}
    },
  };
}
