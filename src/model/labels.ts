// Every object berth creates carries these labels, and every query and removal filters on the project label,
// so berth never touches what it did not create. Decoding lives here too, so every reader agrees on defaults
// (a container without a replica label is replica 1, as Compose numbers them).

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
  /** On a routed client's web containers: the router project that serves them (`berth use A B`). */
  router: 'dev.berth.router',
  /** On a routed client's web containers: the host name it is reached at, `<client>.<stack>.localhost`. */
  route: 'dev.berth.route',
  /** On a routed client's web containers: the container port the router sends requests to. */
  routePort: 'dev.berth.route-port',
  /** `router` on the client router's container (its project is berth-router or BERTH_ROUTER_PROJECT). */
  role: 'dev.berth.role',
  /** On snapshot images: when the snapshot was taken. */
  snapshotTime: 'dev.berth.snapshot-time',
  /**
   * On snapshot images: where the snapshot came from. Not `project`/`service`: a container made from the image
   * inherits its labels, and with those it would pass for a replica of the project (and `up` would remove it
   * as an interrupted recreate's leftover).
   */
  snapshotProject: 'dev.berth.snapshot-project',
  snapshotStack: 'dev.berth.snapshot-stack',
  snapshotService: 'dev.berth.snapshot-service',
  snapshotClient: 'dev.berth.snapshot-client',
  /** On the image berth makes of a folder named in `build.additional_contexts`, for one build: the name. */
  namedContext: 'dev.berth.named-context',
} as const;

/** Who owns an object, as its labels say. */
export interface Owner {
  project: string;
  stack?: string;
  client?: string;
  /** Absolute path of the stack file the object was made from. */
  file?: string;
}

export type Labels = Record<string, string>;

/** The labels that say which project, stack and client own an object; on everything berth creates. */
export function ownerLabels(stack: { project: string; name: string; client?: string }): Labels {
  return {
    [Label.project]: stack.project,
    [Label.stack]: stack.name,
    ...(stack.client ? { [Label.client]: stack.client } : {}),
  };
}

export function ownerOf(labels: Labels | null | undefined): Owner {
  const l = labels ?? {};
  return {
    project: l[Label.project] ?? '',
    stack: l[Label.stack] || undefined,
    client: l[Label.client] || undefined,
    file: l[Label.file] || undefined,
  };
}

/** Replica number of a container: 1 when unlabelled. */
export function replicaOf(labels: Labels | null | undefined): number {
  const n = Number(labels?.[Label.replica]);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** Made by `berth run`: older berths wrote `True`. */
export function isOneOff(labels: Labels | null | undefined): boolean {
  const v = labels?.[Label.oneoff];
  return v === 'true' || v === 'True';
}

/** A label selector as engines take them: `key` (present) or `key=value`. */
export type LabelSelector = string;

export const projectSelector = (project: string): LabelSelector => `${Label.project}=${project}`;

/**
 * Docker Compose's labels, written next to berth's so tools that group Compose projects (`docker compose ls/ps`,
 * Docker Desktop, VS Code's Docker view, lazydocker) show berth's stacks. Written only: berth never reads them to
 * decide what is its own (a container of `docker compose` carries them too), and they stay out of the config
 * hash, so adding them recreates nothing. No `com.docker.compose.config-hash`: that one is Compose's own digest
 * of its model, which berth does not compute.
 */
export const ComposeLabel = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  version: 'com.docker.compose.version',
} as const;

/** Compose's project labels of a container, network or volume (as Compose writes them on each). */
export function composeProjectLabels(
  stack: { project: string; workingDir: string; files: string[] },
  version: string,
): Labels {
  return {
    [ComposeLabel.project]: stack.project,
    [ComposeLabel.workingDir]: stack.workingDir,
    [ComposeLabel.configFiles]: stack.files.join(','),
    [ComposeLabel.version]: version,
  };
}

/** Compose's labels of a service's container: replica `number`, or a one-off (`True`/`False`, as Compose writes). */
export function composeContainerLabels(
  stack: { project: string; workingDir: string; files: string[] },
  service: string,
  version: string,
  replica: number | 'oneoff',
): Labels {
  return {
    ...composeProjectLabels(stack, version),
    [ComposeLabel.service]: service,
    [ComposeLabel.oneoff]: replica === 'oneoff' ? 'True' : 'False',
    ...(replica === 'oneoff' ? {} : { [ComposeLabel.number]: String(replica) }),
  };
}
