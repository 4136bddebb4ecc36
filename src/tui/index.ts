// The terminal UI's entry point; the components are exported for tests and for reuse.
// Callers run hideCiFromInk (./interactive-env.ts) before they import this module: it loads ink.

export { App, type AppProps, type UiActions } from './App.js';
export { runUi, type UiOptions, type UiTarget } from './session.js';
export { UiStore } from './store.js';
