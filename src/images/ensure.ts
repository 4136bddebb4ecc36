// Making the images a run needs: build, pull or nothing per service (policy.ts decides), one job per image
// reference, bounded, through the engine port.
import type { Service } from '../model/stack.js';
import type { Engine, PullEvent } from '../engine/port.js';
import { BerthError } from '../errors.js';
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
        job = queue.add(() => ensureImage(engine, s, opts)) as Promise<{ id: string }>;
        byImage.set(s.image, job);
      }
      ids.set(s.name, (await job).id);
    }),
  );
  return ids;
}
