// Making the images a run needs: build, pull or nothing per service (policy.ts decides), one job per image
// reference, bounded, through the engine port.
import type { Service } from '../model/stack.js';
import type { BuilderInfo, Engine, PullEvent } from '../engine/port.js';
import { buildKitGap, classicOnly } from '../engine/buildkit-policy.js';
import { classifyContext } from '../engine/named-contexts.js';
import { BerthError, badInput } from '../errors.js';
import { imageAction, type PullOverride } from './policy.js';

/** One thing worth telling the user while images are being made ready. */
export type ImageProgress =
  | { kind: 'build'; service: string; line: string }
  | { kind: 'pull'; service: string; image: string; event: PullEvent }
  | { kind: 'status'; service: string; image: string; message: string };

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
  /**
   * Every service of the stack: a build's `service:NAME` contexts are made ready too when NAME is not among
   * the services asked for, as Compose adds build dependencies.
   */
  all?: Record<string, Service>;
}

/** Make sure a service's image is on the engine (build, pull or nothing, per `imageAction`). Resolves to its ID. */
export async function ensureImage(
  engine: Engine,
  service: Service,
  opts: EnsureOptions = {},
): Promise<{ id: string; action: 'none' | 'build' | 'pull' }> {
  const state = await engine.inspectImage(service.image);
  const action = imageAction(service, { exists: state !== undefined, lastTagTime: state?.lastTagTime }, opts);
  const progress = opts.onProgress;
  switch (action.do) {
    case 'none':
      return { id: state!.id, action: 'none' };
    case 'fail':
      throw new BerthError(action.reason, { pos: service.pos, hint: action.hint });
    case 'build': {
      const refusal = buildRefusal(service, await engine.builder());
      if (refusal) throw refusal;
      progress?.({ kind: 'status', service: service.name, image: service.image, message: 'building' });
      const id = await engine.buildImage(service, {
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
      const id = await engine.pullImage(service.image, {
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
  engine: Engine,
  services: Service[],
  opts: EnsureOptions & { concurrency?: number } = {},
): Promise<Map<string, string>> {
  const asked = new Set(services.map((s) => s.name));
  services = opts.all ? withBuildDependencies(services, opts.all) : services;
  // Before any build starts: a build the engine's builder cannot honour stops the run while nothing is half made.
  const builds = services.filter((s) => s.build);
  const builder = builds.length ? await engine.builder() : undefined;
  for (const s of builds) {
    const refusal = buildRefusal(s, builder!);
    if (!refusal) continue;
    const state = await engine.inspectImage(s.image);
    const action = imageAction(s, { exists: state !== undefined, lastTagTime: state?.lastTagTime }, opts);
    if (action.do === 'build') throw refusal;
  }
  const { default: PQueue } = await import('p-queue');
  const queue = new PQueue({ concurrency: opts.concurrency ?? 2 });
  const byImage = new Map<string, Promise<{ id: string }>>();
  const ids = new Map<string, string>();
  // a service that builds its image goes first, so a service that only uses the same tag waits for it
  const ordered = [...services].sort((a, b) => Number(b.build !== undefined) - Number(a.build !== undefined));
  const byName = new Map(services.map((s) => [s.name, s]));
  const ready = new Map<string, Promise<{ id: string }>>();
  // A build with `service:NAME` contexts starts once NAME's image is there (the loader rejects circles; the
  // `seen` guard only keeps a bad model from waiting forever). Waiting happens outside the queue, so a
  // waiting build never holds a slot its dependency needs.
  const jobOf = (s: Service, seen: Set<string>): Promise<{ id: string }> => {
    const known = ready.get(s.name);
    if (known) return known;
    const deps = (s.build?.after ?? [])
      .filter((n) => !seen.has(n))
      .map((n) => byName.get(n))
      .filter((d): d is Service => d !== undefined);
    const job = Promise.all(deps.map((d) => jobOf(d, new Set([...seen, s.name])))).then(() => {
      let j = byImage.get(s.image);
      if (!j) {
        j = queue.add(() => ensureImage(engine, s, opts)) as Promise<{ id: string }>;
        byImage.set(s.image, j);
      }
      return j;
    });
    ready.set(s.name, job);
    return job;
  };
  await Promise.all(
    ordered.map(async (s) => {
      const { id } = await jobOf(s, new Set());
      if (asked.has(s.name)) ids.set(s.name, id);
    }),
  );
  return ids;
}

/**
 * The services and, transitively, the services their builds' `service:NAME` contexts name (as Compose's
 * `addBuildDependencies`), each after the services it needs: running them in this order, a few at a time,
 * a build only waits for builds that have already started.
 */
export function withBuildDependencies(services: Service[], all: Record<string, Service>): Service[] {
  const out: Service[] = [];
  const state = new Map<string, 'open' | 'done'>();
  // iterative depth-first walk; the loader has rejected circles, `open` only keeps a bad model from looping
  for (const start of services) {
    if (state.has(start.name)) continue;
    const todo: Array<{ s: Service; deps: string[] }> = [{ s: start, deps: [...(start.build?.after ?? [])] }];
    state.set(start.name, 'open');
    while (todo.length > 0) {
      const top = todo[todo.length - 1]!;
      const next = top.deps.shift();
      if (next === undefined) {
        todo.pop();
        state.set(top.s.name, 'done');
        out.push(top.s);
        continue;
      }
      const dep = Object.hasOwn(all, next) ? all[next] : undefined;
      if (!dep || state.has(next)) continue;
      state.set(next, 'open');
      todo.push({ s: dep, deps: [...(dep.build?.after ?? [])] });
    }
  }
  return out;
}

const bareKey = (key: string) => key.slice(key.lastIndexOf('.') + 1);

/**
 * Why the engine's builder cannot build this service as its file says, or undefined when it can. The classic
 * builder has no SSH forwarding, build secrets, entitlements or privileged builds; BuildKit through the engine
 * API has secrets and SSH, but no entitlements (buildkit-policy.ts). Named contexts work on both, but for the
 * values berth cannot make an image of.
 * Each key is named with its line, instead of building an image that silently lacks it.
 */
export function buildRefusal(service: Service, builder: BuilderInfo): BerthError | undefined {
  if (builder.refused)
    return badInput(`cannot build service "${service.name}": ${builder.refused}`, {
      pos: service.pos,
      hint: 'unset DOCKER_BUILDKIT (or set it to 0) to build with the classic builder',
    });
  const b = service.build;
  const unsupported = b && contextRefusal(service, b);
  if (unsupported) return unsupported;
  const needs = b?.needsBuildKit ?? [];
  if (!b || needs.length === 0) return undefined;
  if (builder.kind === 'classic') return needsBuildKit(service, needs, builder.reason);
  const gaps = needs.flatMap((n) => {
    const why = buildKitGap(bareKey(n.key), b);
    return why ? [`\`${n.key}\` (${n.at}): ${why}`] : [];
  });
  if (gaps.length)
    return badInput(
      `service "${service.name}" cannot be built as written: ${gaps.length > 1 ? `\n  ${gaps.join('\n  ')}` : gaps[0]}`,
      {
        pos: service.pos,
        hint: `build the image with \`docker buildx build -t ${service.image} ...\` (BuildKit's own API), then run berth with --no-build; or remove the key`,
      },
    );
  // what Compose says of a build secret BuildKit cannot be given, before anything is built
  for (const sec of b.secrets ?? []) {
    const at = needs.find((n) => n.key.endsWith('.secrets'))?.at;
    const where = at ? ` (${at})` : '';
    if (sec.file === undefined && sec.environment === undefined)
      return badInput(
        `service "${service.name}": build secret \`${sec.source}\`${where}: build.secrets only supports environment or file-based secrets`,
        {
          pos: service.pos,
          hint: `give the top-level secret \`${sec.source}\` a \`file:\` or an \`environment:\``,
        },
      );
    if (sec.environment !== undefined && sec.value === undefined)
      return badInput(
        `service "${service.name}": environment variable ${sec.environment} required by build secret \`${sec.source}\`${where} is not set`,
        { pos: service.pos, hint: `set ${sec.environment} (in the shell or the .env file)` },
      );
  }
  const classic = classicOnly(b);
  if (classic.length)
    return badInput(
      `service "${service.name}": ${needs.map((n) => `\`${n.key}\` (${n.at})`).join(', ')} need${needs.length > 1 ? '' : 's'} BuildKit, but ${classic.map((c) => `\`build.${c.key}\``).join(', ')} need${classic.length > 1 ? '' : 's'} the classic builder (${classic.map((c) => c.why).join('; ')})`,
      {
        pos: service.pos,
        hint: `remove ${classic.map((c) => `\`build.${c.key}\``).join(', ')} or the BuildKit-only keys`,
      },
    );
  return undefined;
}

/**
 * A named context berth cannot serve on this engine (a git or URL context, an OCI layout, a Bake `target:`):
 * berth makes each context an image and rewrites the Dockerfile (engine/named-contexts.ts), which needs the
 * context's files or image at hand.
 */
function contextRefusal(service: Service, b: NonNullable<Service['build']>): BerthError | undefined {
  for (const [name, value] of Object.entries(b.additional_contexts ?? {})) {
    const c = classifyContext(value);
    if (c.kind !== 'unsupported') continue;
    return badInput(
      `service "${service.name}": build.additional_contexts \`${name}\`: \`${value}\` is not supported on this engine: ${c.why}`,
      {
        pos: b.contextsAt?.[name] ?? service.pos,
        hint: 'use a local folder, `docker-image://REF` or `service:NAME`; or build the image yourself and run berth with --no-build',
      },
    );
  }
  return undefined;
}

/** A BuildKit-only key on an engine that builds with the classic builder, and why that builder is used. */
export function needsBuildKit(
  service: Service,
  needs: Array<{ key: string; at: string }>,
  why = "the engine's builder is the classic one",
): BerthError {
  const list = needs.map((n) => `\`${n.key}\` (${n.at})`).join(', ');
  return badInput(
    `service "${service.name}": ${list} ${needs.length > 1 ? 'need' : 'needs'} BuildKit; berth builds with the engine's classic builder here (${why}), which cannot honour ${needs.length > 1 ? 'them' : 'it'}`,
    {
      pos: service.pos,
      hint:
        why === 'DOCKER_BUILDKIT=0'
          ? 'unset DOCKER_BUILDKIT to build with BuildKit'
          : `build the image with BuildKit yourself (\`docker buildx build -t ${service.image} ...\`), then run berth with --no-build; or remove the key`,
    },
  );
}
