// Ink renders only the last frame, at exit, when it believes it runs in CI (is-in-ci reads CI and
// CONTINUOUS_INTEGRATION once, when ink is first imported). `berth ui` on a real terminal is interactive
// whatever the environment says (a developer's shell may export CI=true), so on a TTY those variables are
// hidden from this process before ink loads. This module must be imported before anything that imports ink.
if (process.stdout.isTTY) {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
}

export {};
