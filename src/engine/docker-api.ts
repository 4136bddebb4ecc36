// The slice of Docker's REST API the adapter uses, as one typed object model (dockerode's method names and
// JSON shapes). Two implementations: light.ts over node:http on a local socket (no dockerode import: 0.2-0.4 s
// of start-up saved on every lifecycle verb), and dockerode-api.ts for remote engines. Both throw EngineError.
// Internal to src/engine: nothing above the port sees Docker's shapes.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecHandle {
  start(o: { Detach?: boolean }): Promise<unknown>;
  inspect(): Promise<Docker.ExecInspectInfo>;
}

export interface ContainerApi {
  readonly id: string;
  start(): Promise<unknown>;
  stop(o?: { t?: number }): Promise<unknown>;
  restart(o?: { t?: number }): Promise<unknown>;
  kill(o?: { signal?: string }): Promise<unknown>;
  pause(): Promise<unknown>;
  unpause(): Promise<unknown>;
  remove(o?: { v?: boolean; force?: boolean }): Promise<unknown>;
  rename(o: { name: string }): Promise<unknown>;
  inspect(): Promise<Docker.ContainerInspectInfo>;
  exec(o: Docker.ExecCreateOptions): Promise<ExecHandle>;
  putArchive(tar: Buffer, o: { path: string }): Promise<unknown>;
  changes(): Promise<Array<{ Path: string; Kind: number }> | null>;
  top(o: { ps_args?: string }): Promise<{ Titles: string[]; Processes: string[][] | null }>;
  /** Resolves when the container is no longer running (condition `not-running`). */
  wait(signal?: AbortSignal): Promise<{ StatusCode: number }>;
}

export interface DockerApi {
  /** `unix:///var/run/docker.sock`, `tcp://…`: for messages. */
  readonly endpoint: string;
  /** The answer's headers when the client sees them (light.ts does; dockerode's modem does not). */
  ping(): Promise<{ headers: Record<string, string | string[] | undefined> } | undefined>;
  version(): Promise<{ Version: string; ApiVersion: string }>;
  info(): Promise<{ Swarm?: { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean } }>;
  listContainers(o: { all?: boolean; filters?: string }): Promise<Docker.ContainerInfo[]>;
  listNetworks(o: { filters?: string }): Promise<Docker.NetworkInspectInfo[]>;
  listVolumes(o: { filters?: string }): Promise<{ Volumes: Docker.VolumeInspectInfo[] | null }>;
  listImages(o: { filters?: string }): Promise<Docker.ImageInfo[]>;
  inspectImage(ref: string): Promise<Docker.ImageInspectInfo>;
  removeImage(ref: string): Promise<unknown>;
  tagImage(id: string, o: { repo: string; tag?: string }): Promise<unknown>;
  createContainer(o: Docker.ContainerCreateOptions): Promise<{ id: string }>;
  getContainer(id: string): ContainerApi;
  createNetwork(o: Docker.NetworkCreateOptions): Promise<unknown>;
  connectNetwork(
    id: string,
    o: { Container: string; EndpointConfig?: Docker.EndpointSettings },
  ): Promise<unknown>;
  disconnectNetwork(id: string, o: { Container: string; Force?: boolean }): Promise<unknown>;
  removeNetwork(id: string): Promise<unknown>;
  createVolume(o: Docker.VolumeCreateOptions): Promise<unknown>;
  removeVolume(name: string): Promise<unknown>;
  /**
   * `docker import` of a tar as `ref` (`repo:tag`, the empty image berth's locks are made of). The tag goes in
   * `repo`: Podman's compat API ignores a separate `tag` parameter and names the image `:latest`.
   */
  importImage(tar: Buffer, ref: string): Promise<unknown>;
  /** Any other REST call (swarm services, tasks, secrets, configs, nodes): JSON in, JSON out. */
  request<T>(method: string, path: string, o?: { query?: Query; body?: unknown }): Promise<T>;
  /** A streamed GET (events, logs, export, save): resolves once the engine answered with headers. */
  stream(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    signal?: AbortSignal,
  ): Promise<Readable>;
}

export type Query = Record<string, string | number | boolean | undefined>;
