// `down --rmi local|all`: which images a project's services use, which of those berth may remove, and their
// removal once the containers are gone. Compose's rules (pkg/compose/image_pruner.go): `local` takes the images
// built under the default name (services with `build:` and no `image:`), `all` every image a service uses.
// berth's own on top: an image under the default name that berth did not build is not the user's to lose by
// implication, and snapshots and build-context images are never removed here, whatever the mode. Removal is by
// reference and never forced, so an image with other tags is only untagged and one a container still uses stays.
import { engineMessage, isEngineError } from '../engine/errors.js';
import { withDefaultTag } from '../model/image-ref.js';
import { isSnapshotImage, Label, type ObservedContainer, type ObservedImage } from '../model/index.js';
import type { Stack } from '../model/stack.js';
import { emitter, type OpContext } from './context.js';

export const RMI_MODES = ['local', 'all'] as const;
export type RmiMode = (typeof RMI_MODES)[number];

export interface ImageCandidate {
  /** Reference as the engine stores it (`:latest` made explicit); what is removed and shown. */
  ref: string;
  /** The service that uses it (the first, when several share it). */
  service: string;
  /** The name berth tags a build with when the service sets no `image:`: removed by `local` too. */
  local: boolean;
}

/** The tag berth builds a service without `image:` as (src/compose/normalize.ts): the stack's, not the client's. */
const defaultBuildName = (stackName: string, service: string) => `${stackName}-${service}`;

/** An image ID rather than a name: a container whose tag moved on lists its image so. Never a removal target. */
const isImageId = (ref: string) => /^(sha256:)?[0-9a-f]{12,64}$/.test(ref);

/**
 * The images `down --rmi MODE` considers, in service order, each once. From the stack file when there is one
 * (the services it enables, as Compose's project holds them); otherwise from the containers' labels and images,
 * as Compose rebuilds a project from its containers. `orphans`: services whose containers `--remove-orphans`
 * removes; their builds go too, as Compose prunes every image it built for the project then.
 */
export function imageCandidates(
  mode: RmiMode,
  stack: Stack | undefined,
  containers: ObservedContainer[],
  orphans: string[] = [],
): ImageCandidate[] {
  const out = new Map<string, ImageCandidate>();
  const add = (image: string, service: string, local: boolean) => {
    if (!local && mode !== 'all') return;
    if (image === '' || isImageId(image)) return;
    const ref = withDefaultTag(image);
    const had = out.get(ref);
    if (!had) out.set(ref, { ref, service, local });
    else if (local && !had.local) out.set(ref, { ref, service, local });
  };
  if (stack) {
    for (const s of Object.values(stack.services)) {
      if (s.provider) continue; // no container, no image
      add(s.image, s.name, s.build !== undefined && s.image === defaultBuildName(stack.name, s.name));
    }
    for (const o of orphans) add(defaultBuildName(stack.name, o), o, true);
    return [...out.values()];
  }
  for (const c of containers) {
    const stackName = c.labels[Label.stack];
    add(c.image, c.service, stackName !== undefined && c.image === defaultBuildName(stackName, c.service));
  }
  return [...out.values()];
}

export type Verdict = { remove: true } | { remove: false; warning?: string };

/**
 * Whether berth removes a candidate, given the engine's image (undefined: not there, nothing to do, as Compose
 * skips images that do not exist).
 */
export function verdict(c: ImageCandidate, img: ObservedImage | undefined): Verdict {
  if (!img) return { remove: false };
  const keep = (why: string) => ({
    remove: false as const,
    warning: `Image ${c.ref}  ${why}; left in place`,
  });
  if (isSnapshotImage(c.ref) || img.labels[Label.snapshotTime] !== undefined)
    return keep('is a berth snapshot (`docker rmi` it yourself if you no longer need it)');
  if (c.ref.startsWith('berth-context/') || img.labels[Label.namedContext] !== undefined)
    return keep('is a build context berth manages');
  // Under the default name, the user never named it: remove it only if berth built it.
  if (c.local && img.labels[Label.service] === undefined) return keep('was not built by berth');
  return { remove: true };
}

export interface ImageRemoval {
  /** References removed (or untagged, when the image had other tags). */
  removed: string[];
  /** Candidates that exist on the engine, removed or not: a down with these had something to do. */
  found: number;
  errors: string[];
}

/** Remove the candidates one after another (tags of one image must not race), reporting each as Compose does. */
export async function removeImages(ctx: OpContext, candidates: ImageCandidate[]): Promise<ImageRemoval> {
  const emit = emitter(ctx);
  const result: ImageRemoval = { removed: [], found: 0, errors: [] };
  for (const c of candidates) {
    let v: Verdict;
    try {
      const img = await ctx.engine.inspectImage(c.ref);
      if (img) result.found++;
      v = verdict(c, img);
    } catch (err) {
      result.errors.push(`image ${c.ref}: ${engineMessage(err)}`);
      continue;
    }
    if (!v.remove) {
      if (v.warning) emit({ type: 'warning', message: v.warning });
      continue;
    }
    const t0 = Date.now();
    try {
      await ctx.engine.removeImage(c.ref);
      result.removed.push(c.ref);
      emit({
        type: 'progress',
        kind: 'Image',
        name: c.ref,
        status: 'Removed',
        done: true,
        elapsedMs: Date.now() - t0,
      });
    } catch (err) {
      // Compose's answers: in use (by any container, of any project) is a warning, gone meanwhile is nothing
      if (isEngineError(err, 'conflict'))
        emit({ type: 'warning', message: `Image ${c.ref}  Resource is still in use; left in place` });
      else if (isEngineError(err, 'not-found'))
        emit({ type: 'warning', message: `Image ${c.ref}  No resource found to remove` });
      else {
        result.errors.push(`image ${c.ref}: ${engineMessage(err)}`);
        emit({
          type: 'progress',
          kind: 'Image',
          name: c.ref,
          status: 'Error',
          done: true,
          detail: engineMessage(err),
        });
      }
    }
  }
  return result;
}
