// Making the images a run needs: build, pull or nothing per service (policy.ts decides), one job per image
// reference, bounded, through the engine port.
import type { Service } from '../model/stack.js';
import type { Engine, PullEvent } from '../engine/port.js';
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
      const needs = service.build?.needsBuildKit;
      if (needs?.length) throw needsBuildKit(service, needs);
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
  // Before any build starts: a build that needs BuildKit stops the run while nothing is half made.
  for (const s of services) {
    const needs = s.build?.needsBuildKit;
    if (!needs?.length) continue;
    const state = await engine.inspectImage(s.image);
    const action = imageAction(s, { exists: state !== undefined, lastTagTime: state?.lastTagTime }, opts);
    if (action.do === 'build') throw needsBuildKit(s, needs);
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
      ids.set(s.name, (await jobOf(s, new Set())).id);
    }),
  );
  return ids;
}

/**
 * berth builds through the engine's classic builder, which has no named contexts, SSH forwarding, build
 * secrets, entitlements or privileged builds: say which key of the file needs BuildKit, instead of building
 * an image that silently lacks it.
 */
export function needsBuildKit(service: Service, needs: Array<{ key: string; at: string }>): BerthError {
  const list = needs.map((n) => `\`${n.key}\` (${n.at})`).join(', ');
  return badInput(
    `service "${service.name}": ${list} ${needs.length > 1 ? 'need' : 'needs'} BuildKit; berth builds with the engine's classic builder, which cannot honour ${needs.length > 1 ? 'them' : 'it'}`,
    {
      pos: service.pos,
      hint: `build the image with BuildKit yourself (\`docker buildx build -t ${service.image} ...\`), then run berth with --no-build; or remove the key`,
    },
  );
}
