// `watch` (Compose's `docker compose watch` and `up --watch`): bring the services up, then act on file changes
// as their `develop.watch` rules say, until the signal aborts. Deciding what a batch of changes does is pure
// (plan/watch.ts, debounced by plan/watch-batch.ts); this module watches the files (chokidar), reads the build
// contexts' `.dockerignore`, and applies the work through the engine port: a tar extracted at `/` for a sync,
// `rm -rf` in the container for a deletion, restart, exec, and a rebuild through `up` (so ownership checks,
// the project lock and the recreate swap apply as for any `up --build`).
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseDockerignore } from '../engine/build-context.js';
import { syncArchive } from '../engine/sync-archive.js';
import { BerthError, badInput } from '../errors.js';
import { isOneOff, Label, projectSelector } from '../model/index.js';
import type { Service, Stack, WatchExec, WatchRule } from '../model/stack.js';
import { type BatchOptions, Batcher } from '../plan/watch-batch.js';
import {
  describeWork,
  type Matcher,
  relativeInside,
  type ServiceWork,
  serviceMatcher,
} from '../plan/watch.js';
import type { OpContext } from './context.js';
import { up } from './up.js';

export interface WatchOptions {
  /** Services to bring up and watch (all when undefined); those without `develop.watch` are only brought up. */
  services?: string[];
  /** Do not run `up` first (`--no-up`, and `up --watch`, which has just run it). */
  noUp?: boolean;
  /** Remove the image a rebuild replaced when nothing tags or uses it (Compose's `--prune`, on by default). */
  prune?: boolean;
  /** A line for the user: Compose prints these after `⦿ `. */
  onLog: (line: string, kind?: 'info' | 'error') => void;
  /** Called once every path is being watched. */
  onReady?: () => void;
  batch?: BatchOptions;
}

interface Watched {
  service: Service;
  matcher: Matcher;
}

/** Resolves once the signal aborted and the work in flight finished. */
export async function watch(ctx: OpContext, stack: Stack, opts: WatchOptions): Promise<void> {
  const services = watchedServices(stack, opts.services);
  if (!opts.noUp) {
    const { result } = await up(ctx, stack, { services: opts.services });
    if (result?.interrupted) return;
    if (result && !result.ok)
      throw new BerthError(
        `could not bring up ${[...new Set(result.failures.map((f) => `"${f.service}"`))].join(', ')}; not watching`,
      );
  }
  if (ctx.signal?.aborted) return;
  const watched: Watched[] = await Promise.all(
    services.map(async (service) => ({
      service,
      matcher: serviceMatcher({ service, dockerignore: await readDockerignore(service) }),
    })),
  );
  const apply = new Applier(ctx, stack, opts);

  for (const w of watched) {
    const initial = (w.service.watch ?? []).flatMap((r, i) => (r.initial_sync && r.target ? [i] : []));
    if (initial.length) await apply.initialSync(w, initial);
  }

  const { watch: chokidar } = await import('chokidar');
  const roots = [...new Set(watched.flatMap((w) => w.service.watch!.map((r) => r.path)))];
  // A path no rule would act on is not even watched (keeps node_modules and .git out of inotify).
  const ignored = (p: string) => {
    let inside = false;
    for (const w of watched)
      for (const [i, r] of w.service.watch!.entries()) {
        if (relativeInside(r.path, p) === undefined) continue;
        inside = true;
        if (!w.matcher.ignores(i, p)) return false;
      }
    return inside;
  };
  // One batch is applied at a time; what changes meanwhile (an editor's second write, a rebuild's own
  // outputs) is gathered and applied as one batch after it, so one save never rebuilds twice in a row.
  const waiting = new Set<string>();
  let running: Promise<void> | undefined;
  const drain = async () => {
    while (waiting.size > 0 && !ctx.signal?.aborted) {
      const paths = [...waiting];
      waiting.clear();
      await apply.batch(watched, paths);
    }
    running = undefined;
  };
  const batcher = new Batcher((paths) => {
    for (const p of paths) waiting.add(p);
    running ??= drain();
  }, opts.batch);
  const watcher = chokidar(roots, { ignoreInitial: true, ignored, persistent: true });
  // e.g. ENOSPC when inotify's watch limit is reached: a message, not a stack trace
  const failed = new Promise<never>((_, reject) =>
    watcher.on('error', (err) =>
      reject(
        new BerthError(`watching ${roots.join(', ')} failed: ${messageOf(err)}`, {
          hint: 'on Linux a big tree may need a higher fs.inotify.max_user_watches (sysctl)',
        }),
      ),
    ),
  );
  failed.catch(() => {});
  watcher.on('all', (_event, p) => batcher.add(path.resolve(p)));
  try {
    await Promise.race([new Promise<void>((res) => watcher.once('ready', () => res())), failed]);
    opts.onLog('Watch enabled');
    opts.onReady?.();
    await Promise.race([aborted(ctx.signal), failed]);
  } finally {
    batcher.close();
    await watcher.close();
    await running;
  }
}

/**
 * The selected services that have watch rules, checked: at least one, a `rebuild` only with `build:`, every
 * path there. `up --watch` calls it before `up`, so a bad rule stops it before anything changed.
 */
export function watchedServices(stack: Stack, selected?: string[]): Service[] {
  const services = (selected ?? Object.keys(stack.services))
    .map((s) => stack.services[s]!)
    .filter((s) => s.watch?.length);
  if (services.length === 0)
    throw badInput('none of the selected services is configured for watch', {
      hint: 'add a `develop: {watch: [...]}` section to a service (see docs/commands.md)',
    });
  for (const s of services) for (const r of s.watch!) checkRule(s, r);
  return services;
}

function checkRule(s: Service, r: WatchRule): void {
  const where = { pos: r.pos, frame: r.frame };
  if (r.action === 'rebuild' && !s.build)
    throw badInput(`service "${s.name}": action \`rebuild\` needs a \`build:\` section`, {
      ...where,
      hint: 'add `build:` to the service, or use `sync` or `restart`',
    });
  if (!existsSync(r.path))
    throw badInput(`service "${s.name}": watch path ${r.path} does not exist`, {
      ...where,
      hint: 'create it, or fix `path:` (relative paths start at the stack file’s folder)',
    });
}

async function readDockerignore(s: Service): Promise<string[] | undefined> {
  const b = s.build;
  if (!b || /^[a-z]+:\/\//.test(b.context)) return undefined;
  const dockerfile = path.resolve(b.context, b.dockerfile);
  for (const f of [`${dockerfile}.dockerignore`, path.join(b.context, '.dockerignore')]) {
    try {
      return parseDockerignore(await fsp.readFile(f, 'utf8'));
    } catch {
      // not there: the next candidate
    }
  }
  return undefined;
}

const aborted = (signal?: AbortSignal) =>
  new Promise<void>((res) => {
    if (!signal || signal.aborted) return res();
    signal.addEventListener('abort', () => res(), { once: true });
  });

/** Applies the work of each batch through the engine; a failure is reported and watching goes on. */
class Applier {
  constructor(
    private readonly ctx: OpContext,
    private readonly stack: Stack,
    private readonly opts: WatchOptions,
  ) {}

  async batch(watched: Watched[], paths: string[]): Promise<void> {
    const { planWatch } = await import('../plan/watch.js');
    for (const w of watched) {
      if (this.ctx.signal?.aborted) return;
      const work = planWatch(w.service, w.matcher, paths);
      if (!work) continue;
      try {
        await this.apply(w, work);
      } catch (err) {
        this.opts.onLog(`Error applying changes to service "${work.service}": ${messageOf(err)}`, 'error');
      }
    }
  }

  async initialSync(w: Watched, rules: number[]): Promise<void> {
    const copies = rules.map((i) => {
      const r = w.service.watch![i]!;
      return { host: r.path, container: r.target! };
    });
    this.opts.onLog(`Syncing service "${w.service.name}" (initial sync)`);
    await this.sync(w, copies);
  }

  private async apply(w: Watched, work: ServiceWork): Promise<void> {
    const { onLog } = this.opts;
    onLog(describeWork(work));
    if (work.rebuild) return this.rebuild(work.service);
    if (work.syncs.length) await this.sync(w, work.syncs);
    if (work.restart) {
      const ids = await this.containers(work.service);
      if (work.syncs.length) onLog(`Restarting service "${work.service}"`);
      await Promise.all(ids.map((id) => this.ctx.engine.restartContainer(id)));
    }
    for (const e of work.execs) await this.exec(work.service, e);
  }

  private async containers(service: string): Promise<string[]> {
    const list = await this.ctx.engine.listContainers({
      labels: [projectSelector(this.stack.project), `${Label.service}=${service}`],
    });
    return list.filter((c) => c.state === 'running' && !isOneOff(c.labels)).map((c) => c.id);
  }

  private async sync(w: Watched, copies: Array<{ host: string; container: string }>): Promise<void> {
    const rules = w.service.watch!;
    // a folder's contents go unless a rule that syncs it ignores them
    const skip = (h: string) =>
      rules.every((r, i) => !r.target || relativeInside(r.path, h) === undefined || w.matcher.ignores(i, h));
    const archive = await syncArchive(copies, skip);
    const ids = await this.containers(w.service.name);
    await Promise.all(
      ids.map(async (id) => {
        if (archive.entries > 0) await this.ctx.engine.copyToContainer(id, '/', archive.tar);
        if (archive.gone.length && !(await this.ctx.engine.check(id, ['rm', '-rf', ...archive.gone], 30_000)))
          this.opts.onLog(`could not delete ${archive.gone.join(', ')} in ${id.slice(0, 12)}`, 'error');
      }),
    );
  }

  private async exec(service: string, e: WatchExec): Promise<void> {
    for (const id of await this.containers(service)) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const session = await this.ctx.engine.exec(id, {
        cmd: e.command,
        env: Object.entries(e.environment).map(([k, v]) => `${k}=${v}`),
        user: e.user,
        workdir: e.working_dir,
        privileged: e.privileged,
        stdout: out,
        stderr: out,
        tty: false,
      });
      const code = await session.done;
      for (const line of Buffer.concat(chunks).toString('utf8').split('\n'))
        if (line.trim()) this.opts.onLog(`${service} | ${line}`);
      if (code !== 0)
        this.opts.onLog(
          `exec of ${JSON.stringify(e.command.join(' '))} in service "${service}" exited with code ${code}`,
          'error',
        );
    }
  }

  private async rebuild(service: string): Promise<void> {
    const { engine } = this.ctx;
    const before = await this.containers(service).then(async (ids) =>
      ids[0] ? (await engine.inspectContainer(ids[0]))?.imageId : undefined,
    );
    const { result } = await up(this.ctx, this.stack, { services: [service], build: true });
    if (result && !result.ok && !result.interrupted) {
      this.opts.onLog(`service "${service}" failed after the rebuild; see above`, 'error');
      return;
    }
    if (this.opts.prune !== false && before) {
      const old = await engine.inspectImage(before);
      // only an image berth built for this stack, now without a tag: what the rebuild replaced
      if (old && old.tags.length === 0 && old.labels[Label.stack] === this.stack.name)
        await engine.removeImage(old.id).catch(() => {});
    }
    this.opts.onLog(`service "${service}" successfully built`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
