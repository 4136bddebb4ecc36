// Ink renders only the last frame, at exit, when it believes it runs in CI (is-in-ci reads CI and
// CONTINUOUS_INTEGRATION once, when ink is first imported). `berth ui` on a real terminal is interactive
// whatever the environment says (a developer's shell may export CI=true), so on a TTY those variables are
// hidden from this process before ink loads.
// A function its callers run before they import the UI, not a side effect of importing this module first: in
// the bundled CLI an external package's import (ink) is hoisted above the inlined code of the chunk that
// imports it, so a side-effect module listed first still ran after ink had read CI.

/** Hide CI from ink on a terminal. Call before `import('../tui/index.js')`. */
export function hideCiFromInk(): void {
  if (process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
}
