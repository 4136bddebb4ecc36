// The user's terminal for interactive verbs (exec, run): whether to allocate a TTY, raw mode while a session
// runs, and passing window-size changes on. Always restored, whatever way the session ends.

export interface TerminalSession {
  /** The container side gets a TTY (both our stdin and stdout are terminals, and -T was not given). */
  tty: boolean;
  stdin: NodeJS.ReadableStream;
  size?: { rows: number; cols: number };
  /** Forward resizes of our terminal to the session until `restore`. */
  follow(resize: (rows: number, cols: number) => Promise<void>): void;
  /** Leave raw mode, stop reading stdin so the process can exit. */
  restore(): void;
}

export function openTerminal(noTty: boolean): TerminalSession {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const tty = !noTty && stdin.isTTY === true && stdout.isTTY === true;
  let onResize: (() => void) | undefined;
  if (tty) {
    stdin.setRawMode(true);
    stdin.resume();
  }
  return {
    tty,
    stdin,
    size: tty ? { rows: stdout.rows, cols: stdout.columns } : undefined,
    follow(resize) {
      if (!tty) return;
      onResize = () => void resize(stdout.rows, stdout.columns);
      stdout.on('resize', onResize);
    },
    restore() {
      if (onResize) stdout.off('resize', onResize);
      if (tty) stdin.setRawMode(false);
      // stdin may be a pipe nobody closes (a test runner, `berth exec` in a script): stop holding the loop
      stdin.pause();
      if (!stdin.isTTY) stdin.destroy();
    },
  };
}

/** `-e K=V` (or `-e K`, taken from our environment, as Docker does) into the engine's `K=V` list. */
export function envEntries(list: string[]): string[] {
  return list.flatMap((e) => {
    if (e.includes('=')) return [e];
    const v = process.env[e];
    return v === undefined ? [] : [`${e}=${v}`];
  });
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
