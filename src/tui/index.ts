// The terminal UI's entry point; the components are exported for tests and for reuse.
// First: it must run before ink is loaded (see the module).
import './interactive-env.js';

export { App, type AppProps, type UiActions } from './App.js';
export { runUi, type UiOptions, type UiTarget } from './session.js';
export { UiStore } from './store.js';
