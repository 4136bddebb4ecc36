// How berth names what it creates. One place, so `up`, `down`, `ls`, snapshots and the planner agree.

/** `<stack>` or `<stack>-<client>`: the engine project of a stack for one client. */
export const projectName = (stack: string, client?: string) => (client ? `${stack}-${client}` : stack);

/** `<project>-<service>-<n>`, or the file's `container_name`. */
export const containerName = (project: string, service: string, replica: number, fixed?: string) =>
  fixed ?? `${project}-${service}-${replica}`;

/** `<project>_<key>` unless the file names the network or volume itself. */
export const resourceName = (project: string, key: string, fixed?: string) => fixed ?? `${project}_${key}`;

/** Name under which a recreate's new container waits until the old one is gone; the planner cleans it up by name. */
export const temporaryName = (oldId: string, canonical: string) => `${oldId.slice(0, 12)}_${canonical}`;

/** Repository of a service's snapshots: `berth-snapshot/<project>-<service>` (lowercase, as engines want). */
export const snapshotRepo = (project: string, service: string) =>
  `berth-snapshot/${project}-${service}`.toLowerCase();

/** Snapshot images are berth's users' data: nothing may build onto them or remove them as a side effect. */
export const isSnapshotImage = (ref: string) => ref.toLowerCase().startsWith('berth-snapshot/');
