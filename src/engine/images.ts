// Images on the engine: build a service from its context, pull by reference, resolve IDs, and decide which of
// those a service needs before its containers can be created (`ensureImage`). The decision itself is pure
// (`imageAction`) so the pull_policy rules are unit-tested without an engine.
import type Docker from 'dockerode';
import { BerthError } from '../errors.js';
import type { Service } from '../compose/types.js';
import { Label } from './labels.js';

/** One thing worth telling the user while images are being made ready. */
export type ImageProgress =
  | { kind: 'build'; service: string; line: string }
  | { kind: 'pull'; service: string; image: string; event: PullEvent }
  | { kind: 'status'; service: string; image: string; message: string };

/** One JSON message of the engine's pull stream. `id` is a layer ID for layer events. */
export interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
}

// ---------------------------------------------------------------------------------------------- references

/** Split an image reference into what the engine's pull wants: a registry port is not a tag. */
export function splitReference(ref: string): { repository: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), digest: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref };
}

/** The reference with Docker's implicit `:latest`, as the engine stores it. */
export function withDefaultTag(ref: string): string {
  const r = splitReference(ref);
  return r.tag || r.digest ? ref : `${ref}:latest`;
}

// ---------------------------------------------------------------------------------------------- inspection

export interface ImageState {
  id: string;
  /** When the engine last tagged the image (a pull or build): the clock for pull_policy daily/weekly. */
  lastTagTime?: Date;
}

/** The image's ID and last tag time, or undefined when the engine does not have it. */
export async function inspectImage(docker: Docker, ref: string): Promise<ImageState | undefined> {
  try {
    const info = (await docker.getImage(ref).inspect()) as unknown as {
      Id: string;
      Metadata?: { LastTagTime?: string };
    };
    const t = info.Metadata?.LastTagTime;
    const lastTagTime = t && !t.startsWith('0001-') ? new Date(t) : undefined;
    return { id: info.Id, lastTagTime };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** The image ID of a reference, or undefined when it is not present (no pull). */
export async function resolveImageId(docker: Docker, ref: string): Promise<string | undefined> {
  return (await inspectImage(docker, ref))?.id;
}

// ---------------------------------------------------------------------------------------------- engine streams

/** Read the engine's newline-delimited JSON stream (build, pull), one parsed message at a time. */
export function readJsonStream<T>(stream: NodeJS.ReadableStream, onMessage: (m: T) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let buffered = '';
    const flush = (text: string) => {
      const trimmed = text.trim();
      if (trimmed === '') return;
      try {
        onMessage(JSON.parse(trimmed) as T);
      } catch (err) {
        if (err instanceof SyntaxError) return; // a non-JSON line from a proxy: nothing to report
        throw err;
      }
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        try {
          flush(buffered.slice(0, nl));
        } catch (err) {
          reject(err);
        }
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
    stream.on('end', () => {
      try {
        flush(buffered);
        resolvePromise();
      } catch (err) {
        reject(err);
      }
    });
    stream.on('error', reject);
  });
}

/** The message of an error the engine answered with (dockerode puts the JSON body on the error). */
function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string } | null; reason?: string; message?: string };
  return (e.json?.message ?? e.message ?? String(err)).trim();
}

// ---------------------------------------------------------------------------------------------- build

export interface BuildOptions {
  /**
   * Stack the image belongs to, recorded as dev.berth.stack. Not the project: every client of a stack builds
   * the same image under the same name, and a per-project label would make each client's build a different
   * image, so building for one client would change the image ID under the others and recreate them.
   */
  stack?: string;
  noCache?: boolean;
  /** Ask the engine to pull newer base images. Only when the user asked (`--pull`): never by default. */
  pull?: boolean;
  /** Build output, one line at a time (without the newline). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** The engine's query for a build of this service (everything but the context). */
export function buildQuery(
  service: Service,
  dockerfile: string,
  opts: Pick<BuildOptions, 'stack' | 'noCache' | 'pull'>,
): Record<string, unknown> {
  const b = service.build;
  if (!b) throw new Error(`service ${service.name} has no build section`);
  const labels: Record<string, string> = { ...b.labels, [Label.service]: service.name };
  if (opts.stack) labels[Label.stack] = opts.stack;
  const q: Record<string, unknown> = {
    t: [service.image, ...(b.tags ?? [])],
    dockerfile,
    labels,
    rm: true,
    forcerm: true,
  };
  if (Object.keys(b.args).length > 0) q.buildargs = b.args;
  if (b.target) q.target = b.target;
  if (opts.noCache || b.no_cache) q.nocache = true;
  // never let a build reach a registry on its own; pull only on an explicit --pull
  if (opts.pull) q.pull = true;
  if (b.network) q.networkmode = b.network;
  if (b.shm_size) q.shmsize = b.shm_size;
  if (b.extra_hosts?.length) q.extrahosts = b.extra_hosts.join(',');
  if (b.cache_from?.length) q.cachefrom = JSON.stringify(b.cache_from);
  if (b.platforms?.length) q.platform = b.platforms[0];
  return q;
}

/**
 * Build a service's image from its context (honouring `.dockerignore`) and tag it with `service.image`.
 * Resolves to the image ID. A failing Dockerfile step becomes a BerthError naming the step and the message.
 */
export async function buildImage(docker: Docker, service: Service, opts: BuildOptions = {}): Promise<string> {
  if (!service.build) throw new Error(`service ${service.name} has no build section`);
  // loaded only when building: `up` reads imageAction from this module on every run
  const { prepareContext } = await import('./build-context.js');
  const ctx = await prepareContext(service.build);
  const query = buildQuery(service, ctx.dockerfile, opts);
  const previous = await resolveImageId(docker, service.image);
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.buildImage(
      ctx.tar as unknown as NodeJS.ReadableStream,
      {
        ...query,
        abortSignal: opts.signal,
      } as Docker.ImageBuildOptions,
    )) as NodeJS.ReadableStream;
  } catch (err) {
    ctx.tar.destroy();
    throw buildFailed(service, undefined, engineMessage(err));
  }
  let lastStep: string | undefined;
  let id: string | undefined;
  let failure: string | undefined;
  let pending = '';
  const emit = (text: string) => {
    pending += text;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (/^Step \d+\/\d+ : /.test(line)) lastStep = line;
      opts.onLine?.(line);
      nl = pending.indexOf('\n');
    }
  };
  await readJsonStream<BuildMessage>(stream, (m) => {
    if (m.stream) emit(m.stream);
    else if (m.status) emit(`${m.status}\n`);
    if (m.aux?.ID) id = m.aux.ID;
    if (m.error || m.errorDetail) failure = (m.errorDetail?.message ?? m.error ?? '').trim();
  });
  if (pending) emit('\n');
  if (failure !== undefined) throw buildFailed(service, lastStep, failure);
  id ??= await resolveImageId(docker, service.image);
  if (!id) throw buildFailed(service, lastStep, 'the engine reported no image');
  if (previous && previous !== id) await dropSuperseded(docker, previous);
  return id;
}

/**
 * A rebuild moves the tag to the new image and leaves the old one untagged. Remove it when berth built it
 * (it carries the service label), nothing tags it any more, and no container uses it: the engine refuses
 * the removal (no force) while a container still runs from it, which is what we want.
 */
async function dropSuperseded(docker: Docker, id: string): Promise<void> {
  try {
    const info = await docker.getImage(id).inspect();
    const untagged = (info.RepoTags ?? []).filter((t) => t !== '<none>:<none>').length === 0;
    if (untagged && info.Config?.Labels?.[Label.service] !== undefined) await docker.getImage(id).remove();
  } catch {
    // in use, already gone, or a child image still needs it: leave it
  }
}

function buildFailed(service: Service, step: string | undefined, message: string): BerthError {
  const where =
    service.build?.dockerfile_inline !== undefined ? 'dockerfile_inline' : service.build?.dockerfile;
  return new BerthError(
    `build of service "${service.name}" failed${step ? ` at ${step}` : ''}\n  ${message}`,
    {
      pos: service.pos,
      hint: `fix ${where ?? 'the Dockerfile'} in ${service.build?.context ?? 'the build context'} and run \`berth build ${service.name}\` again`,
    },
  );
}

// ---------------------------------------------------------------------------------------------- pull

export interface PullOptions {
  /** Service the image is for, for messages (the image reference stands in when absent). */
  service?: string;
  onEvent?: (e: PullEvent) => void;
  signal?: AbortSignal;
}

/** Pull an image by reference, reporting the engine's per-layer progress. Resolves to the image ID. */
export async function pullImage(docker: Docker, ref: string, opts: PullOptions = {}): Promise<string> {
  const { repository, tag, digest } = splitReference(ref);
  const query = digest
    ? { fromImage: `${repository}@${digest}` }
    : { fromImage: repository, tag: tag ?? 'latest' };
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.createImage({ ...query, abortSignal: opts.signal })) as NodeJS.ReadableStream;
  } catch (err) {
    throw pullFailed(ref, opts.service, engineMessage(err));
  }
  let failure: string | undefined;
  await readJsonStream<PullEvent & { errorDetail?: { message?: string } }>(stream, (m) => {
    if (m.error || m.errorDetail) failure = (m.errorDetail?.message ?? m.error ?? '').trim();
    opts.onEvent?.(m);
  });
  if (failure !== undefined) throw pullFailed(ref, opts.service, failure);
  const id = await resolveImageId(docker, ref);
  if (!id) throw pullFailed(ref, opts.service, 'the engine reported success but has no such image');
  return id;
}

function pullFailed(ref: string, service: string | undefined, message: string): BerthError {
  return new BerthError(`cannot pull image ${ref}${service ? ` for service "${service}"` : ''}: ${message}`, {
    hint: `check that its registry is reachable; or give the service a \`build:\` section and run \`berth build${service ? ` ${service}` : ''}\`, or make the image locally (\`docker tag <local image> ${ref}\`)`,
  });
}

// ---------------------------------------------------------------------------------------------- ensure

export type PullOverride = 'always' | 'missing' | 'never';

export interface EnsureOptions {
  /** Stack the image belongs to (label on built images; see BuildOptions.stack). */
  stack?: string;
  /** true: build now (`up --build`); false: never build (`up --no-build`); undefined: only when needed. */
  build?: boolean;
  /** `up --pull`: overrides the service's pull_policy. */
  pull?: PullOverride;
  /** Passed to builds: `--no-cache`. */
  noCache?: boolean;
  onProgress?: (p: ImageProgress) => void;
  signal?: AbortSignal;
  /** Clock for pull_policy daily/weekly (tests). */
  now?: Date;
}

export type ImageAction =
  | { do: 'none' }
  | { do: 'build' }
  | { do: 'pull' }
  | { do: 'fail'; reason: string; hint: string };

const DAY_MS = 24 * 3600 * 1000;

/**
 * What a service needs before its containers can be created, given whether its image is present. An image
 * that exists is never pulled unless the policy or the caller says so; a missing image is built when the
 * service can be built, pulled otherwise.
 */
export function imageAction(
  service: Pick<Service, 'name' | 'image' | 'build' | 'pull_policy'>,
  present: { exists: boolean; lastTagTime?: Date },
  opts: Pick<EnsureOptions, 'build' | 'pull' | 'now'> = {},
): ImageAction {
  const canBuild = service.build !== undefined;
  if (canBuild && opts.build === true) return { do: 'build' };
  const policy = opts.pull ?? service.pull_policy;
  if (canBuild && policy === 'build' && opts.build !== false) return { do: 'build' };
  if (policy === 'always') return { do: 'pull' };
  if (present.exists) {
    const age = present.lastTagTime ? (opts.now ?? new Date()).getTime() - present.lastTagTime.getTime() : 0;
    if (policy === 'daily' && age > DAY_MS) return { do: 'pull' };
    if (policy === 'weekly' && age > 7 * DAY_MS) return { do: 'pull' };
    return { do: 'none' };
  }
  if (canBuild && opts.build !== false) return { do: 'build' };
  if (policy === 'never' || (policy === 'build' && !canBuild)) {
    return {
      do: 'fail',
      reason: `image ${service.image} for service "${service.name}" is not present and pull_policy is ${policy}`,
      hint: canBuild
        ? `build it first: \`berth build ${service.name}\``
        : `make the image locally (\`docker tag <local image> ${service.image}\`) or allow pulling it`,
    };
  }
  if (canBuild) {
    return {
      do: 'fail',
      reason: `image ${service.image} for service "${service.name}" is not present and building was turned off`,
      hint: `build it first: \`berth build ${service.name}\``,
    };
  }
  return { do: 'pull' };
}

/** Make sure a service's image is on the engine (build, pull or nothing, per `imageAction`). Resolves to its ID. */
export async function ensureImage(
  docker: Docker,
  service: Service,
  opts: EnsureOptions = {},
): Promise<{ id: string; action: 'none' | 'build' | 'pull' }> {
  const state = await inspectImage(docker, service.image);
  const action = imageAction(service, { exists: state !== undefined, lastTagTime: state?.lastTagTime }, opts);
  const progress = opts.onProgress;
  switch (action.do) {
    case 'none':
      return { id: (state as ImageState).id, action: 'none' };
    case 'fail':
      throw new BerthError(action.reason, { pos: service.pos, hint: action.hint });
    case 'build': {
      progress?.({ kind: 'status', service: service.name, image: service.image, message: 'building' });
      const id = await buildImage(docker, service, {
        stack: opts.stack,
        noCache: opts.noCache,
        signal: opts.signal,
        onLine: progress && ((line) => progress({ kind: 'build', service: service.name, line })),
      });
      progress?.({ kind: 'status', service: service.name, image: service.image, message: 'built' });
      return { id, action: 'build' };
    }
    case 'pull': {
      progress?.({ kind: 'status', service: service.name, image: service.image, message: 'pulling' });
      const id = await pullImage(docker, service.image, {
        service: service.name,
        signal: opts.signal,
        onEvent:
          progress &&
          ((event) => progress({ kind: 'pull', service: service.name, image: service.image, event })),
      });
      progress?.({ kind: 'status', service: service.name, image: service.image, message: 'pulled' });
      return { id, action: 'pull' };
    }
  }
}

/**
 * `ensureImage` for several services, bounded (the machine has two cores and a build is CPU-bound), with
 * one build or pull per image reference even when services share it. Resolves to image ID by service name.
 */
export async function ensureImages(
  docker: Docker,
  services: Service[],
  opts: EnsureOptions & { concurrency?: number } = {},
): Promise<Map<string, string>> {
  const { default: PQueue } = await import('p-queue');
  const queue = new PQueue({ concurrency: opts.concurrency ?? 2 });
  const byImage = new Map<string, Promise<{ id: string }>>();
  const ids = new Map<string, string>();
  // a service that builds its image goes first, so a service that only uses the same tag waits for it
  const ordered = [...services].sort((a, b) => Number(b.build !== undefined) - Number(a.build !== undefined));
  await Promise.all(
    ordered.map(async (s) => {
      let job = byImage.get(s.image);
      if (!job) {
        job = queue.add(() => ensureImage(docker, s, opts)) as Promise<{ id: string }>;
        byImage.set(s.image, job);
      }
      ids.set(s.name, (await job).id);
    }),
  );
  return ids;
}
