// The UI owns the whole terminal while it runs and gives it back as it found it. Its frame fills every row,
// so drawn on the normal screen it would push the user's scrollback away (Ink clears the screen to redraw a
// frame that tall) and, on quit, leave the cursor at the end of the footer, where the shell prompt would
// land. On the alternate screen (as less, vim and htop do) quitting restores the screen and the cursor as
// they were before the UI started.
import { render } from 'ink';
import type { ReactElement } from 'react';

/** Switch to the alternate screen (saving the cursor) and start drawing at its top-left corner. */
export const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
/** Back to the normal screen, the cursor where it was. */
export const LEAVE_ALT_SCREEN = '\u001b[?1049l';

export interface FullScreenIo {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Route console.* through Ink while the UI runs (default true). */
  patchConsole?: boolean;
}

export interface FullScreen {
  /** Unmount the UI, give the terminal back, then print `after` on the normal screen, where it stays
   *  (attached `up` prints its stop progress there, as Compose leaves it in the scrollback). */
  close(after?: readonly string[]): void;
}

export function mountFullScreen(node: ReactElement, io: FullScreenIo): FullScreen {
  const { stdout } = io;
  // Not on a pipe (or a test's fake stream): there is no screen to switch.
  const alternate = stdout.isTTY === true;
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    process.off('exit', leave);
    if (alternate) stdout.write(LEAVE_ALT_SCREEN);
  };
  if (alternate) {
    stdout.write(ENTER_ALT_SCREEN);
    // process.exit (a second Ctrl-C while the stack stops) or a crash must not strand the user there.
    process.once('exit', leave);
  }
  const instance = render(node, {
    exitOnCtrlC: false,
    patchConsole: io.patchConsole ?? true,
    stdout,
    stdin: io.stdin,
  });
  let closed = false;
  return {
    close(after = []) {
      if (closed) return;
      closed = true;
      instance.unmount();
      leave();
      if (after.length > 0) stdout.write(after.map((l) => `${l}\n`).join(''));
    },
  };
}
