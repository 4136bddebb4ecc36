// Service volumes (short and long syntax) → MountSpec, with named volumes checked against the top-level
// declarations; service secrets/configs → read-only bind mounts (from `file:`) or files copied into the
// container (from `environment:` or `content:`), as Compose does outside swarm.
import {
  bool,
  bytes,
  fileMode,
  isObj,
  list,
  type Obj,
  opt,
  resolvePath,
  type SvcCtx,
  str,
} from './normalize-common.js';
import type { Path } from './source.js';
import type { InjectedFile, MountSpec } from '../model/stack.js';

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
    if (type === 'image' && !source) {
      ctx.err(at, 'an image mount needs a `source` (the image reference, e.g. berth/busybox)');
      return undefined;
    }
    const bind = isObj(raw.bind) ? raw.bind : undefined;
    const vol = isObj(raw.volume) ? raw.volume : undefined;
    const tmpfs = isObj(raw.tmpfs) ? raw.tmpfs : undefined;
    const image = isObj(raw.image) ? raw.image : undefined;
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
            mode: tmpfs.mode === undefined ? undefined : fileMode(tmpfs.mode, [...at, 'tmpfs', 'mode'], ctx),
          }
        : undefined,
      image: type === 'image' ? { subpath: opt(image?.subpath) } : undefined,
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

export interface FileRefs {
  mounts: MountSpec[];
  files: InjectedFile[];
}

/**
 * Service `secrets:` / `configs:`. One backed by a host file is a read-only bind mount (its `uid`, `gid` and
 * `mode` cannot apply, as in Compose); one from `environment:` or `content:` is a file copied into every new
 * container before it starts, with its `mode` (default 0444), `uid` and `gid`. External ones exist only in a
 * swarm: a warning, and nothing is mounted.
 */
export function fileRefs(
  raw: unknown,
  kind: 'secrets' | 'configs',
  at: Path,
  ctx: SvcCtx,
  readOnly: boolean,
): FileRefs {
  const top = kind === 'secrets' ? ctx.secrets : ctx.configs;
  const what = kind === 'secrets' ? 'secret' : 'config';
  const out: FileRefs = { mounts: [], files: [] };
  const where = (p: Path) => {
    const pos = ctx.sources.locate(p);
    return pos ? `${pos.pos.file}:${pos.pos.line}: ` : '';
  };
  list(raw).forEach((ref, i) => {
    const p = [...at, kind, i];
    const r: Obj = isObj(ref) ? ref : { source: ref };
    const name = str(r.source);
    if (!Object.hasOwn(top, name)) {
      ctx.err(
        p,
        `${what} \`${name}\` is not declared in the top-level \`${kind}:\``,
        `declare it: \`${kind}: { ${name}: { file: ./${name}.txt } }\``,
      );
      return;
    }
    const d = isObj(top[name]) ? (top[name] as Obj) : {};
    for (const k of ['driver', 'template_driver']) {
      if (d[k] !== undefined) {
        ctx.err(
          [kind, name, k],
          `\`${kind}.${name}.${k}\` needs a swarm; neither Compose nor berth supports it on one engine`,
          `remove \`${k}\` and give the ${what} a \`file\`, \`environment\` or \`content\``,
        );
        return;
      }
    }
    if (bool(d.external) || isObj(d.external)) {
      ctx.warnings.push(
        `${where(p)}${what} \`${name}\` is external: external ${kind} exist only in a swarm (\`docker stack deploy\`), so it is not mounted; give it a \`file\`, \`environment\` or \`content\` to use it with berth`,
      );
      return;
    }
    const base = kind === 'secrets' ? '/run/secrets/' : '/';
    const target = r.target
      ? str(r.target).startsWith('/')
        ? str(r.target)
        : base + str(r.target)
      : base + name;
    if (d.file !== undefined) {
      const ignored = ['uid', 'gid', 'mode'].filter((k) => r[k] !== undefined);
      if (ignored.length > 0) {
        ctx.warnings.push(
          `${where(p)}${ignored.map((k) => `\`${k}\``).join(', ')} of ${what} \`${name}\` ignored: a file-backed ${what} is bind-mounted with the file's own owner and mode`,
        );
      }
      out.mounts.push({
        type: 'bind',
        source: resolvePath(str(d.file), ctx),
        target,
        read_only: true,
        bind: { create_host_path: false },
      });
      return;
    }
    let content: string | undefined;
    let unset: InjectedFile['unset'];
    if (d.environment !== undefined) {
      const variable = str(d.environment);
      content = ctx.lookup(variable);
      if (content === undefined) {
        // Only `up` needs the value (Compose reads it when it creates the container): `config` and `down`
        // must still work, so this is a warning now and an error before `up` creates anything.
        const at = ctx.sources.locate([kind, name, 'environment']);
        unset = { variable, pos: at?.pos, frame: at?.frame };
        ctx.warnings.push(
          `${where([kind, name, 'environment'])}environment variable ${variable} required by ${what} \`${name}\` is not set`,
        );
      }
    } else if (d.content !== undefined) {
      content = str(d.content);
    } else {
      ctx.err(
        [kind, name],
        `${what} \`${name}\` has no source`,
        'give it a `file`, `environment` or `content`',
      );
      return;
    }
    if (content === '' && !unset) {
      // Compose copies nothing for an empty value (injectFileReferences skips it); say so
      ctx.warnings.push(
        `${where(p)}${what} \`${name}\` is empty: no file is created at ${target} (as in Compose)`,
      );
      return;
    }
    if (readOnly) {
      ctx.err(
        p,
        `cannot create ${what} \`${name}\` in a service with \`read_only: true\`: only a \`file:\` ${what} can be mounted there`,
        `use \`file:\` for the ${what}, or drop \`read_only\``,
      );
      return;
    }
    out.files.push({
      kind: kind === 'secrets' ? 'secret' : 'config',
      name,
      target,
      content: content ?? '',
      ...(unset ? { unset } : {}),
      mode: fileMode(r.mode, [...p, 'mode'], ctx) ?? 0o444,
      uid: owner(r.uid, [...p, 'uid'], ctx),
      gid: owner(r.gid, [...p, 'gid'], ctx),
    });
  });
  return out;
}

/** A numeric user or group ID (compose-go reads them with Atoi: names are not resolved). */
function owner(v: unknown, at: Path, ctx: SvcCtx): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = Number(str(v));
  if (!Number.isInteger(n) || n < 0) {
    ctx.err(at, `${JSON.stringify(v)} is not a numeric ID`, 'write a number, e.g. "1000"');
    return 0;
  }
  return n;
}
