// Service volumes (short and long syntax) and file-backed secrets/configs → MountSpec, with named volumes
// checked against the top-level declarations.
import {
  bool,
  bytes,
  isObj,
  list,
  type Obj,
  opt,
  resolvePath,
  type SvcCtx,
  str,
} from './normalize-common.js';
import type { Path } from './source.js';
import type { MountSpec } from './types.js';

function isPathLike(s: string): boolean {
  return s.startsWith('.') || s.startsWith('/') || s.startsWith('~') || s.includes('/');
}

export function mount(raw: unknown, at: Path, ctx: SvcCtx): MountSpec | undefined {
  if (isObj(raw)) {
    const type = str(raw.type ?? 'volume') as MountSpec['type'];
    const target = str(raw.target);
    if (!target) {
      ctx.err(at, 'a volume needs a `target` (the path inside the container)');
      return undefined;
    }
    let source = raw.source === undefined || raw.source === null ? undefined : str(raw.source);
    if (type === 'bind') {
      if (!source) {
        ctx.err(at, 'a bind mount needs a `source` (a host path)');
        return undefined;
      }
      source = resolvePath(source, ctx);
    }
    if (type === 'volume' && source) checkVolume(source, at, ctx);
    const bind = isObj(raw.bind) ? raw.bind : undefined;
    const vol = isObj(raw.volume) ? raw.volume : undefined;
    const tmpfs = isObj(raw.tmpfs) ? raw.tmpfs : undefined;
    return {
      type,
      source,
      target,
      read_only: bool(raw.read_only),
      bind:
        type === 'bind'
          ? {
              create_host_path: bind?.create_host_path === undefined ? true : bool(bind.create_host_path),
              propagation: opt(bind?.propagation),
              selinux: opt(bind?.selinux) as 'z' | 'Z' | undefined,
            }
          : undefined,
      volume: vol ? { nocopy: bool(vol.nocopy) ? true : undefined, subpath: opt(vol.subpath) } : undefined,
      tmpfs: tmpfs
        ? {
            size: tmpfs.size === undefined ? undefined : bytes(tmpfs.size, [...at, 'tmpfs', 'size'], ctx),
            mode: tmpfs.mode === undefined ? undefined : Number(tmpfs.mode),
          }
        : undefined,
      consistency: opt(raw.consistency),
    };
  }
  const text = str(raw);
  const parts = text.split(':');
  if (parts.length === 1) return { type: 'volume', target: text, read_only: false };
  if (parts.length > 3 || parts.some((p) => p === '')) {
    ctx.err(
      at,
      `${JSON.stringify(text)} is not a volume`,
      'write SOURCE:TARGET[:MODE], e.g. "./src:/app:ro" or "data:/var/lib/data"',
    );
    return undefined;
  }
  const [src, target, mode = ''] = parts as [string, string, string?];
  const modes = mode ? mode.split(',') : [];
  const knownModes = [
    'ro',
    'rw',
    'z',
    'Z',
    'nocopy',
    'cached',
    'delegated',
    'consistent',
    'shared',
    'rshared',
    'slave',
    'rslave',
    'private',
    'rprivate',
  ];
  for (const m of modes) {
    if (!knownModes.includes(m)) {
      ctx.err(
        at,
        `unknown volume mode ${JSON.stringify(m)}`,
        'use ro or rw (optionally z, Z, nocopy, a propagation mode)',
      );
      return undefined;
    }
  }
  if (!target.startsWith('/')) {
    ctx.err(at, `the target ${JSON.stringify(target)} must be an absolute path inside the container`);
    return undefined;
  }
  const readOnly = modes.includes('ro');
  if (isPathLike(src)) {
    const propagation = modes.find((m) => /^r?(shared|slave|private)$/.test(m));
    const selinux = modes.find((m) => m === 'z' || m === 'Z') as 'z' | 'Z' | undefined;
    return {
      type: 'bind',
      source: resolvePath(src, ctx),
      target,
      read_only: readOnly,
      bind: {
        create_host_path: true,
        ...(propagation ? { propagation } : {}),
        ...(selinux ? { selinux } : {}),
      },
    };
  }
  checkVolume(src, at, ctx);
  return {
    type: 'volume',
    source: src,
    target,
    read_only: readOnly,
    ...(modes.includes('nocopy') ? { volume: { nocopy: true } } : {}),
  };
}

function checkVolume(name: string, at: Path, ctx: SvcCtx) {
  if (!Object.hasOwn(ctx.volumes, name)) {
    const known = Object.keys(ctx.volumes);
    ctx.err(
      at,
      `volume \`${name}\` is not declared in the top-level \`volumes:\``,
      `add \`volumes: { ${name}: {} }\` at the top level${known.length ? ` (declared: ${known.join(', ')})` : ''}, or use ./${name} for a host directory`,
    );
  }
}

/** Service `secrets:` / `configs:` backed by files become read-only bind mounts, as Compose does outside swarm. */
export function fileRefs(raw: unknown, kind: 'secrets' | 'configs', at: Path, ctx: SvcCtx): MountSpec[] {
  const top = kind === 'secrets' ? ctx.secrets : ctx.configs;
  const out: MountSpec[] = [];
  list(raw).forEach((ref, i) => {
    const p = [...at, kind, i];
    const r: Obj = isObj(ref) ? ref : { source: ref };
    const name = str(r.source);
    const def = top[name];
    if (!Object.hasOwn(top, name)) {
      ctx.err(
        p,
        `${kind === 'secrets' ? 'secret' : 'config'} \`${name}\` is not declared in the top-level \`${kind}:\``,
        `declare it: \`${kind}: { ${name}: { file: ./${name}.txt } }\``,
      );
      return;
    }
    const d = isObj(def) ? def : {};
    if (d.file === undefined) {
      const which =
        d.environment !== undefined
          ? 'environment'
          : d.content !== undefined
            ? 'content'
            : d.external !== undefined
              ? 'external'
              : 'no file';
      ctx.err(
        [kind, name],
        `berth does not support ${kind} from \`${which}\` yet; only \`file:\``,
        `write the value to a file and use \`file: ./${name}\``,
      );
      return;
    }
    const ignored = ['uid', 'gid', 'mode'].filter((k) => r[k] !== undefined);
    if (ignored.length > 0) {
      const pos = ctx.sources.locate(p);
      ctx.warnings.push(
        `${pos ? `${pos.pos.file}:${pos.pos.line}: ` : ''}${ignored.map((k) => `\`${k}\``).join(', ')} of ${kind === 'secrets' ? 'secret' : 'config'} \`${name}\` ignored: a file-backed ${kind === 'secrets' ? 'secret' : 'config'} is bind-mounted with the file's own owner and mode`,
      );
    }
    const base = kind === 'secrets' ? '/run/secrets/' : '/';
    const target = r.target
      ? str(r.target).startsWith('/')
        ? str(r.target)
        : base + str(r.target)
      : base + name;
    out.push({
      type: 'bind',
      source: resolvePath(str(d.file), ctx),
      target,
      read_only: true,
      bind: { create_host_path: false },
    });
  });
  return out;
}
