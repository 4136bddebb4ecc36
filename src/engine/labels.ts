// Every object berth creates carries these labels; every query and every removal filters on the project label,
// so berth never touches what it did not create.
export const Label = {
  project: 'dev.berth.project',
  service: 'dev.berth.service',
  client: 'dev.berth.client',
  replica: 'dev.berth.replica',
  configHash: 'dev.berth.config-hash',
  version: 'dev.berth.version',
  /** Stack name (project without the client suffix), so `berth ls` can group clients of one stack. */
  stack: 'dev.berth.stack',
  /** Absolute path of the first stack file, so `berth ls` can say where a project comes from. */
  file: 'dev.berth.file',
  /** Network or volume key as written in the stack file. */
  network: 'dev.berth.network',
  volume: 'dev.berth.volume',
  /** Set on containers made by `berth run` (one-off), so they never count as replicas. */
  oneoff: 'dev.berth.oneoff',
} as const;

/** Engine filter selecting one project's objects. */
export const projectFilter = (project: string, extra: string[] = []) =>
  JSON.stringify({ label: [`${Label.project}=${project}`, ...extra] });

/** The labels that say which project, stack and client own an object; on everything berth creates. */
export function ownerLabels(stack: {
  project: string;
  name: string;
  client?: string;
}): Record<string, string> {
  return {
    [Label.project]: stack.project,
    [Label.stack]: stack.name,
    ...(stack.client ? { [Label.client]: stack.client } : {}),
  };
}
