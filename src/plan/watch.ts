// What a batch of changed host paths does to the watched services (`berth watch`, `up --watch`), as Compose's
// watch decides it. Pure: the rules, the ignore patterns (already read) and the paths in, the work out; the
// file system is looked at only when the work is applied (whether a path still exists decides copy or delete).
//
// - A path counts for a rule when it is the rule's path or under it, is not ignored, and (with `include`)
//   matches an include pattern. Every matching rule counts, as in Compose, not only the first.
// - Ignored: the rule's `ignore` patterns (relative to its path), the build context's `.dockerignore`
//   (relative to the context; the Dockerfile itself is never ignored, so editing it can rebuild), and the
//   temporary files editors write next to the real ones (the list Compose's watcher ignores).
// - `rebuild` wins: a service that needs rebuilding is only rebuilt (the new image has the new files), not
//   synced, restarted or exec'd as well. Otherwise every synced file is copied once, then the service is
//   restarted when a `sync+restart`/`restart` rule matched, then each matched `sync+exec` command runs.
import path from 'node:path';
import { contextFilter } from '../engine/build-context.js';
import type { Service, WatchExec, WatchRule } from '../model/stack.js';

/** Editors' scratch files (JetBrains, Emacs, Vim, Kate, gedit) and VCS folders: never a change worth acting on. */
const EPHEMERAL = [
  '**/*___jb_old___',
  '**/*___jb_tmp___',
  '**/.idea',
  '**/.#*',
  '**/#*#',
  '**/4913',
  '**/*~',
  '**/.*.swp',
  '**/.*.swx',
  '**/.*.swo',
  '**/.*.swn',
  '**/.*.kate-swp',
  '**/.goutputstream-*',
  '**/.git',
];

export interface WatchedService {
  service: Service;
  /** `.dockerignore` patterns of its build context (parsed), when it has one. */
  dockerignore?: string[];
}

export interface SyncCopy {
  /** Absolute host path (file or folder; gone means: delete in the container). */
  host: string;
  /** Absolute container path. */
  container: string;
}

export interface ServiceWork {
  service: string;
  /** Rebuild the image and recreate the containers; when true nothing else is done. */
  rebuild: boolean;
  syncs: SyncCopy[];
  restart: boolean;
  execs: WatchExec[];
  /** Distinct changed paths that counted, for the log line. */
  changed: string[];
}

export interface Matcher {
  /** The rules a changed path counts for (indexes into the service's `watch`). */
  rulesFor(hostPath: string): number[];
  /** True when rule `i` ignores the path (its `ignore`, `.dockerignore`, editors' files; not `include`). */
  ignores(i: number, hostPath: string): boolean;
}

/** Compile a service's rules and ignore files once; matching is then per path. */
export function serviceMatcher(w: WatchedService): Matcher {
  const rules = w.service.watch ?? [];
  const ephemeral = contextFilter(EPHEMERAL);
  const build = w.service.build;
  const context = build && !/^[a-z]+:\/\//.test(build.context) ? build.context : undefined;
  const dockerfile =
    build && context ? toSlash(path.relative(context, path.resolve(context, build.dockerfile))) : '';
  const dockerignore =
    context && w.dockerignore?.length ? contextFilter(w.dockerignore, [dockerfile]) : undefined;
  const compiled = rules.map((r) => ({
    rule: r,
    ignore: r.ignore.length ? contextFilter(r.ignore) : undefined,
    include: r.include?.length ? contextFilter(r.include) : undefined,
  }));
  const ignores = (i: number, hostPath: string): boolean => {
    const c = compiled[i]!;
    const rel = relativeInside(c.rule.path, hostPath);
    if (rel === undefined) return true;
    if (ephemeral.excludes(toSlash(path.relative(path.parse(hostPath).root, hostPath)))) return true;
    if (rel !== '' && c.ignore?.excludes(rel)) return true;
    if (dockerignore && context) {
      const inCtx = relativeInside(context, hostPath);
      if (inCtx && dockerignore.excludes(inCtx)) return true;
    }
    return false;
  };
  return {
    ignores,
    rulesFor(hostPath) {
      const out: number[] = [];
      compiled.forEach((c, i) => {
        if (ignores(i, hostPath)) return;
        const rel = relativeInside(c.rule.path, hostPath) ?? '';
        if (c.include && (rel === '' || !c.include.excludes(rel))) return;
        out.push(i);
      });
      return out;
    },
  };
}

/** The work for one service from a batch of changed paths; undefined when none of them counts. */
export function planWatch(
  service: Service,
  matcher: Matcher,
  changed: readonly string[],
): ServiceWork | undefined {
  const rules = service.watch ?? [];
  const counted = new Set<string>();
  const syncs = new Map<string, SyncCopy>();
  const execs = new Set<number>();
  let rebuild = false;
  let restart = false;
  for (const p of changed) {
    for (const i of matcher.rulesFor(p)) {
      const r = rules[i]!;
      counted.add(p);
      if (r.action === 'rebuild') rebuild = true;
      if (r.action === 'restart' || r.action === 'sync+restart') restart = true;
      if (r.action === 'sync+exec') execs.add(i);
      if (r.target && r.action.startsWith('sync')) {
        const container = containerPath(r, p);
        syncs.set(container, { host: p, container });
      }
    }
  }
  if (counted.size === 0) return undefined;
  const changedList = [...counted];
  if (rebuild)
    return { service: service.name, rebuild, syncs: [], restart: false, execs: [], changed: changedList };
  return {
    service: service.name,
    rebuild,
    syncs: [...syncs.values()],
    restart,
    execs: [...execs]
      .sort((a, b) => a - b)
      .map((i) => rules[i]!.exec!)
      .filter(Boolean),
    changed: changedList,
  };
}

/** Where a host path under a sync rule lands in the container. */
export function containerPath(rule: WatchRule, hostPath: string): string {
  const rel = relativeInside(rule.path, hostPath) ?? '';
  return rel === '' ? rule.target! : path.posix.join(rule.target!, rel);
}

/** `child` relative to `parent` with `/` separators ('' when equal), or undefined when it is not inside. */
export function relativeInside(parent: string, child: string): string | undefined {
  const rel = path.relative(parent, child);
  if (rel === '') return '';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return toSlash(rel);
}

const toSlash = (p: string) => p.split(path.sep).join('/');

/** The line Compose prints for a service's work (after the `⦿ ` mark). */
export function describeWork(w: ServiceWork): string {
  const n = w.changed.length;
  const files = `${n} changed file${n === 1 ? '' : 's'}`;
  if (w.rebuild) return `Rebuilding service "${w.service}" after ${files}`;
  if (w.syncs.length) return `Syncing service "${w.service}" after ${files}`;
  return `Restarting service "${w.service}" after ${files}`;
}
