// Images on the engine: build a service from its context, pull by reference, resolve IDs, and decide which of
// those a service needs before its containers can be created (`ensureImage`). The decision itself is pure
// (`imageAction`) so the pull_policy rules are unit-tested without an engine.
import type Docker from 'dockerode';
import type { Service } from '../model/stack.js';
import { BerthError, ExitCode } from '../errors.js';
import { isSnapshotImage, Label } from '../model/index.js';
import { splitReference } from '../model/image-ref.js';
import { engineMessage } from './errors.js';
import type { BuildOptions, Engine, PullOptions } from './port.js';

// ---------------------------------------------------------------------------------------------- references

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

// ---------------------------------------------------------------------------------------------- build

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
 * `buildkit`: the engine's socket, to build with BuildKit through a session; otherwise the classic builder.
 */
/**
 * A classic builder's step header, the step a failure is blamed on: Docker's `Step 2/5 : RUN …` and Podman's
 * `STEP 2/5: RUN …` (its compat API streams buildah's own output).
 */
export function isBuildStep(line: string): boolean {
  return /^(?:Step \d+\/\d+ :|STEP \d+\/\d+:) /.test(line);
}

export async function buildImage(
  docker: () => Promise<Docker>,
  engine: Engine,
  service: Service,
  opts: BuildOptions = {},
  buildkit?: string,
): Promise<string> {
  if (!service.build) throw new Error(`service ${service.name} has no build section`);
  const previous = await engine.inspectImage(service.image);
  refuseForeignTarget(service, previous);
  // named contexts: images made ready and a rewritten Dockerfile (the builder sees no named contexts)
  const { prepareNamedContexts } = await import('./context-images.js');
  const contexts = await prepareNamedContexts(docker, engine, service, opts);
  let outcome: BuildOutcome;
  try {
    outcome = buildkit
      ? await buildKitBuild(buildkit, service, opts, contexts?.dockerfile)
      : await classicBuild(await docker(), service, opts, contexts?.dockerfile);
  } finally {
    await contexts?.cleanup();
  }
  if (outcome.failure)
    throw buildFailed(service, outcome.failure.step, outcome.failure.message, outcome.failure.lines);
  const id = outcome.id ?? (await engine.inspectImage(service.image))?.id;
  if (!id) throw buildFailed(service, outcome.step, 'the engine reported no image');
  if (previous && previous.id !== id) await dropSuperseded(engine, previous.id);
  return id;
}

interface BuildOutcome {
  id?: string;
  /** The last step the output named (classic builder). */
  step?: string;
  failure?: { message: string; step?: string; lines?: string[] };
}

async function buildKitBuild(
  socket: string,
  service: Service,
  opts: BuildOptions,
  dockerfileText?: string,
): Promise<BuildOutcome> {
  const { buildWithBuildKit } = await import('./buildkit-build.js');
  const query = buildQuery(service, '', opts);
  delete query.dockerfile;
  let r: Awaited<ReturnType<typeof buildWithBuildKit>>;
  try {
    r = await buildWithBuildKit(socket, service, query, {
      onLine: opts.onLine,
      signal: opts.signal,
      dockerfileText,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    return { failure: { message: engineMessage(err) } };
  }
  return { id: r.id, failure: r.failure };
}

async function classicBuild(
  docker: Docker,
  service: Service,
  opts: BuildOptions,
  dockerfileText?: string,
): Promise<BuildOutcome> {
  // loaded only when building: `up` reads imageAction from this module on every run
  const { prepareContext } = await import('./build-context.js');
  const ctx = await prepareContext(service.build!, dockerfileText);
  const query = buildQuery(service, ctx.dockerfile, opts);
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
    return { failure: { message: engineMessage(err) } };
  }
  let lastStep: string | undefined;
  let id: string | undefined;
  let failure: string | undefined;
  let pending = '';
  const tail: string[] = [];
  const emit = (text: string) => {
    pending += text;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (isBuildStep(line)) {
        lastStep = line;
        tail.length = 0;
      } else if (!/^ ---> |^(Running in|Removing intermediate container) /.test(line)) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the classic builder colours stderr
        tail.push(line.replace(/\x1b\[[0-9;]*m/g, ''));
        if (tail.length > 12) tail.shift();
      }
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
  if (failure !== undefined)
    return { step: lastStep, failure: { message: failure, step: lastStep, lines: tail } };
  return { id, step: lastStep };
}

/**
 * A rebuild moves the tag to the new image and leaves the old one untagged. Remove it when berth built it
 * (it carries the service label), nothing tags it any more, and no container uses it: the engine refuses
 * the removal (no force) while a container still runs from it, which is what we want.
 */
async function dropSuperseded(engine: Engine, id: string): Promise<void> {
  try {
    const info = await engine.inspectImage(id);
    if (!info || info.tags.length > 0) return;
    // only what berth built, never a snapshot (a snapshot carries its time label)
    if (info.labels[Label.service] === undefined || info.labels[Label.snapshotTime] !== undefined) return;
    await engine.removeImage(id);
  } catch {
    // in use, already gone, or a child image still needs it: leave it
  }
}

/**
 * A build tags `image:`. When that name already belongs to an image berth did not build (a snapshot, a pulled
 * or hand-made image), tagging over it would strand that image and the next rebuild would remove it: a user's
 * snapshot lost to `up --build`. Refuse, and say how to go on.
 */
function refuseForeignTarget(
  service: Service,
  existing: { labels: Record<string, string> } | undefined,
): void {
  const snapshot = isSnapshotImage(service.image) || existing?.labels[Label.snapshotTime] !== undefined;
  const foreign = existing !== undefined && existing.labels[Label.service] === undefined;
  if (!snapshot && !foreign) return;
  throw new BerthError(
    `will not build service "${service.name}" onto ${service.image}: ${snapshot ? 'that is a berth snapshot' : 'that image was not built by berth'}, and a build would replace it`,
    {
      // The stack file asks for something berth will not do: bad input, like any other refused stack file.
      exitCode: ExitCode.BadInput,
      pos: service.pos,
      hint: snapshot
        ? `to run from the snapshot, remove \`build:\` from the service in the overlay that sets \`image: ${service.image}\` (or use \`berth up --no-build\`); to build, give the service another \`image:\` name`
        : `give the service an \`image:\` name of its own, or remove the existing image yourself (\`docker rmi ${service.image}\`) if you no longer need it`,
    },
  );
}

function buildFailed(
  service: Service,
  step: string | undefined,
  message: string,
  lines: string[] = [],
): BerthError {
  const where =
    service.build?.dockerfile_inline !== undefined ? 'dockerfile_inline' : service.build?.dockerfile;
  // the step's last output lines (what the command said before it failed), unless that is the message itself
  const shown = lines.filter((l) => l.trim() !== '' && l.trim() !== message);
  const output = shown.length ? `\n  its last output:\n${shown.map((l) => `    ${l}`).join('\n')}` : '';
  return new BerthError(
    `build of service "${service.name}" failed${step ? ` at ${step}` : ''}\n  ${message}${output}`,
    {
      pos: service.pos,
      hint: `fix ${where ?? 'the Dockerfile'} in ${service.build?.context ?? 'the build context'} and run \`berth build ${service.name}\` again`,
    },
  );
}

// ---------------------------------------------------------------------------------------------- pull

/** Pull an image by reference, reporting the engine's per-layer progress. Resolves to the image ID. */
export async function pullImage(
  docker: Docker,
  engine: Engine,
  ref: string,
  opts: PullOptions = {},
): Promise<string> {
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
  await readJsonStream<
    NonNullable<Parameters<NonNullable<PullOptions['onEvent']>>[0]> & { errorDetail?: { message?: string } }
  >(stream, (m) => {
    if (m.error || m.errorDetail) failure = (m.errorDetail?.message ?? m.error ?? '').trim();
    opts.onEvent?.(m);
  });
  if (failure !== undefined) throw pullFailed(ref, opts.service, failure);
  const id = (await engine.inspectImage(ref))?.id;
  if (!id) throw pullFailed(ref, opts.service, 'the engine reported success but has no such image');
  return id;
}

function pullFailed(ref: string, service: string | undefined, message: string): BerthError {
  return new BerthError(`cannot pull image ${ref}${service ? ` for service "${service}"` : ''}: ${message}`, {
    hint: `check that its registry is reachable; or give the service a \`build:\` section and run \`berth build${service ? ` ${service}` : ''}\`, or make the image locally (\`docker tag <local image> ${ref}\`)`,
  });
}
