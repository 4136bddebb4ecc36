// Which containers the log feed reads: a project's service containers (one-offs left out), through the port.
import type { Engine } from '../engine/port.js';
import { projectSelector } from '../model/index.js';
import type { LogTarget } from './types.js';

/** One container as a log target; undefined when it is gone or not one of the project's services. */
export async function inspectLogTarget(engine: Engine, id: string): Promise<LogTarget | undefined> {
  const c = await engine.inspectContainer(id);
  if (!c?.service || c.oneoff) return undefined;
  return { id: c.id, name: c.name, service: c.service, replica: c.replica, tty: c.tty, running: c.running };
}

/** Every container of the project (running or not), one-off `berth run` containers left out. */
export async function listLogTargets(engine: Engine, project: string): Promise<LogTarget[]> {
  const list = await engine.listContainers({ all: true, labels: [projectSelector(project)] });
  const targets = await Promise.all(
    list.filter((c) => !c.oneoff && c.service).map((c) => inspectLogTarget(engine, c.id)),
  );
  return targets
    .filter((t): t is LogTarget => t !== undefined)
    .sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica);
}
