import type { Command } from 'commander';

/**
 * Every verb lives in its own file under src/cli/ and exports `register(program)`. Verb files stay light at
 * import time (heavy modules such as the engine client, ink and react are imported inside the action), so `berth
 * --help` and `berth config` start fast. Add a verb by adding its module here.
 */
export type RegisterVerb = (program: Command) => void;

/** Each verb's module, by the verb names it registers. */
const VERBS: Record<string, () => Promise<{ register: RegisterVerb }>> = {
  // verbs: keep alphabetical
  build: () => import('./build.js'),
  cache: () => import('./cache.js'),
  config: () => import('./config.js'),
  cp: () => import('./cp.js'),
  create: () => import('./create.js'),
  diff: () => import('./diff.js'),
  down: () => import('./down.js'),
  events: () => import('./events.js'),
  exec: () => import('./exec.js'),
  export: () => import('./export.js'),
  images: () => import('./images.js'),
  kill: () => import('./kill.js'),
  logs: () => import('./logs.js'),
  ls: () => import('./ls.js'),
  pause: () => import('./pause.js'),
  port: () => import('./port.js'),
  ps: () => import('./ps.js'),
  pull: () => import('./pull.js'),
  restart: () => import('./restart.js'),
  restore: () => import('./restore.js'),
  rm: () => import('./rm.js'),
  run: () => import('./run.js'),
  scale: () => import('./scale.js'),
  snapshot: () => import('./snapshot.js'),
  start: () => import('./start.js'),
  stop: () => import('./stop.js'),
  top: () => import('./top.js'),
  ui: () => import('./ui.js'),
  unpause: () => import('./pause.js'),
  up: () => import('./up.js'),
  use: () => import('./use.js'),
  version: () => import('./version.js'),
  wait: () => import('./wait.js'),
  watch: () => import('./watch.js'),
};

/**
 * The verb the command line names: the first word that is not a global option or its value. Undefined for
 * help, a bare `berth` or a word that is no verb (commander then needs every verb, to list them or to suggest).
 */
export function verbOf(program: Command, args: string[]): string | undefined {
  const takesValue = new Set<string>();
  for (const o of program.options)
    if (o.required || o.optional) for (const f of [o.short, o.long]) if (f) takesValue.add(f);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      if (!a.includes('=') && takesValue.has(a)) i++;
      continue;
    }
    return Object.hasOwn(VERBS, a) && a !== 'help' ? a : undefined;
  }
  return undefined;
}

/**
 * Registers only the verb being run when the command line names one: importing all ~30 verb modules costs a
 * call more CPU than `config -q` itself needs. Help, no verb or an unknown one registers them all.
 */
export async function registerVerbs(program: Command, args?: string[]): Promise<void> {
  const verb = args ? verbOf(program, args) : undefined;
  const loaders = verb ? [VERBS[verb]!] : Object.values(VERBS);
  // a module registering two verbs (pause, unpause) is imported once per name but registers once
  for (const m of new Set(await Promise.all(loaders.map((load) => load())))) m.register(program);
}
