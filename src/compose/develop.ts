// `develop.watch` (Compose's watch rules) → WatchRule[]: paths resolved against the stack file's folder, the
// exec hook in long form, and what compose-go refuses when loading (a sync without `target`) reported with
// file:line. A `rebuild` of a service without `build:` is refused only by `watch` itself, as Compose does, so
// such a file still loads for every other verb.
import path from 'node:path';
import type { WatchAction, WatchExec, WatchRule } from '../model/stack.js';
import { toKvMap } from './merge.js';
import { bool, isObj, list, opt, resolvePath, type SvcCtx, str, strList } from './normalize-common.js';
import type { Path } from './source.js';
import { shellSplit } from './units.js';

const SYNCS: WatchAction[] = ['sync', 'sync+restart', 'sync+exec'];

export function watchRules(raw: unknown, at: Path, ctx: SvcCtx): WatchRule[] | undefined {
  if (!isObj(raw) || raw.watch === undefined || raw.watch === null) return undefined;
  return list(raw.watch).flatMap((r, i): WatchRule[] => {
    if (!isObj(r)) return [];
    const p: Path = [...at, 'watch', i];
    const action = str(r.action) as WatchAction;
    const target = opt(r.target);
    if (SYNCS.includes(action) && !target)
      ctx.err(p, `action \`${action}\` needs a \`target\``, 'add `target:` the container path to copy to');
    if (target !== undefined && !path.posix.isAbsolute(target))
      ctx.err(
        [...p, 'target'],
        `target ${JSON.stringify(target)} is not an absolute container path`,
        'write the path in the container from `/`',
      );
    if (action === 'sync+exec' && !isObj(r.exec))
      ctx.err(p, 'action `sync+exec` needs `exec:` with a `command`', 'add `exec: {command: ...}`');
    const where = ctx.sources.locate(p);
    return [
      {
        path: resolvePath(str(r.path), ctx),
        action,
        target: target === undefined ? undefined : path.posix.normalize(target).replace(/(.)\/$/, '$1'),
        ignore: strList(r.ignore),
        include: r.include === undefined ? undefined : strList(r.include),
        initial_sync: bool(r.initial_sync),
        exec: isObj(r.exec) ? execOf(r.exec, [...p, 'exec'], ctx) : undefined,
        pos: where?.pos,
        frame: where?.frame,
      },
    ];
  });
}

function execOf(e: Record<string, unknown>, at: Path, ctx: SvcCtx): WatchExec {
  let command: string[] = [];
  if (Array.isArray(e.command)) command = e.command.map(str);
  else {
    const words = shellSplit(str(e.command));
    if (!words)
      ctx.err([...at, 'command'], 'unbalanced quotes in the command', 'write the command as a list');
    command = words ?? [];
  }
  if (command.length === 0) ctx.err([...at, 'command'], 'the exec command is empty');
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(toKvMap(e.environment ?? {}))) {
    const val = v === null || v === undefined ? ctx.lookup(k) : str(v);
    if (val !== undefined) environment[k] = val;
  }
  return {
    command,
    user: opt(e.user),
    privileged: bool(e.privileged),
    working_dir: opt(e.working_dir),
    environment,
  };
}
