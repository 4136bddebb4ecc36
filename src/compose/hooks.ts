// Lifecycle hooks (`post_start`, `pre_stop`, `pre_start`) and `provider:` in long form. A hook's `command` is
// split like the service's (a string is shell words, never `sh -c`, as compose-go does); its `environment`
// is a map over the service's.
import type { Hook, PreStartHook, ProviderSpec } from '../model/stack.js';
import { toKvMap } from './merge.js';
import { bool, isObj, list, type Obj, opt, type SvcCtx, str } from './normalize-common.js';
import type { Path } from './source.js';
import { shellSplit } from './units.js';

function hookCommand(v: unknown, at: Path, ctx: SvcCtx): string[] {
  if (Array.isArray(v)) return v.map(str);
  const words = shellSplit(str(v));
  if (!words) {
    ctx.err(at, 'unbalanced quotes in the command', 'close the quote, or write the command as a list');
    return [];
  }
  return words;
}

function hook(raw: unknown, at: Path, ctx: SvcCtx): Hook {
  const h = isObj(raw) ? raw : {};
  const command = hookCommand(h.command, [...at, 'command'], ctx);
  if (!command.length)
    ctx.err([...at, 'command'], 'a hook needs a command', 'give `command` a string or a list of strings');
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(toKvMap(h.environment ?? {}))) {
    if (v === null || v === undefined) {
      // `- KEY` with no value: taken from the environment, dropped when unset (as for the service's)
      const val = ctx.lookup(k);
      if (val !== undefined) environment[k] = val;
    } else environment[k] = str(v);
  }
  return {
    command,
    user: opt(h.user),
    privileged: bool(h.privileged),
    working_dir: opt(h.working_dir),
    environment,
  };
}

export function hooks(s: Obj, key: 'post_start' | 'pre_stop', at: Path, ctx: SvcCtx): Hook[] | undefined {
  if (s[key] === undefined || s[key] === null) return undefined;
  const out = list(s[key]).map((h, i) => hook(h, [...at, key, i], ctx));
  return out.length ? out : undefined;
}

export function preStartHooks(s: Obj, at: Path, ctx: SvcCtx): PreStartHook[] | undefined {
  if (s.pre_start === undefined || s.pre_start === null) return undefined;
  const out = list(s.pre_start).map((h, i) => {
    const base = hook(h, [...at, 'pre_start', i], ctx);
    const image = isObj(h) ? opt(h.image) : undefined;
    return image ? { ...base, image } : base;
  });
  return out.length ? out : undefined;
}

export function provider(s: Obj, at: Path, ctx: SvcCtx): ProviderSpec | undefined {
  if (!isObj(s.provider)) return undefined;
  const type = str(s.provider.type);
  if (type === 'compose')
    ctx.err(
      [...at, 'provider', 'type'],
      "'compose' is not a valid provider type",
      'name the provider binary',
    );
  const options: Record<string, string[]> = {};
  if (isObj(s.provider.options))
    for (const [k, v] of Object.entries(s.provider.options)) options[k] = list(v).map(str);
  const where = ctx.sources.locate([...at, 'provider', 'type'], 'value');
  return { type, options, pos: where?.pos, frame: where?.frame };
}
