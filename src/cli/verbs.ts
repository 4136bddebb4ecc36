import type { Command } from 'commander';

/**
 * Every verb lives in its own file under src/cli/ and exports `register(program)`. Verb files stay light at
 * import time (heavy modules such as the engine client, ink and react are imported inside the action), so `berth
 * --help` and `berth config` start fast. Add a verb by adding its module here.
 */
export type RegisterVerb = (program: Command) => void;

export async function registerVerbs(program: Command): Promise<void> {
  const modules: Array<{ register: RegisterVerb }> = await Promise.all([
    // verbs: keep alphabetical
    import('./build.js'),
    import('./cache.js'),
    import('./config.js'),
    import('./cp.js'),
    import('./diff.js'),
    import('./down.js'),
    import('./events.js'),
    import('./exec.js'),
    import('./export.js'),
    import('./images.js'),
    import('./kill.js'),
    import('./logs.js'),
    import('./ls.js'),
    import('./pause.js'),
    import('./port.js'),
    import('./ps.js'),
    import('./pull.js'),
    import('./restart.js'),
    import('./restore.js'),
    import('./rm.js'),
    import('./run.js'),
    import('./snapshot.js'),
    import('./start.js'),
    import('./stop.js'),
    import('./top.js'),
    import('./ui.js'),
    import('./up.js'),
    import('./use.js'),
    import('./version.js'),
    import('./wait.js'),
    import('./watch.js'),
  ]);
  for (const m of modules) m.register(program);
}
