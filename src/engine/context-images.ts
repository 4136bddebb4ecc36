// Named contexts made ready for a build on a builder without them: each context the Dockerfile uses becomes
// an image (a service's image, a `docker-image://` reference, or an image berth makes of a local folder) and
// the Dockerfile is rewritten to name those images (named-contexts.ts). A folder becomes an image by an
// import of its files (`POST /images/create?fromSrc=-`, what `docker import` does): one layer with the
// folder's files, owned by root, as `FROM scratch` + `COPY . /` would make it, honouring the folder's
// `.dockerignore`, without a Dockerfile that a `COPY . /` would copy along, and the same on Docker, Podman and
// both builders. Those images are berth's own: tagged under `berth-context/`, labelled, and removed once the
// build is over (Compose users never see images for named contexts, which BuildKit reads directly).
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type Docker from 'dockerode';
import { badInput } from '../errors.js';
import { Label } from '../model/index.js';
import type { Service } from '../model/stack.js';
import { EngineError, engineMessage } from './errors.js';
import { classifyContext, rewriteDockerfile } from './named-contexts.js';
import type { Engine } from './port.js';

export interface PreparedContexts {
  /** The rewritten Dockerfile. */
  dockerfile: string;
  /** The helper images made for this build (removed by `cleanup`). */
  made: string[];
  cleanup: () => Promise<void>;
}

/** A name Docker accepts as one path component of a repository: `[a-z0-9]` runs joined by one separator. */
const component = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '') || 'x';

/** The repository of the images made of a named context's folder: berth's own namespace. */
const contextRepo = (stack: string, service: string, name: string) =>
  `berth-context/${component(`${stack}-${service}-${name}`)}`;

/** The tag of the image made of a named context's folder: berth's own namespace, a fingerprint of the files. */
export function contextTag(stack: string, service: string, name: string, fingerprint: string): string {
  return `${contextRepo(stack, service, name)}:${fingerprint.slice(0, 12)}`;
}

/**
 * Turn the named contexts of a service's build into images and rewrite its Dockerfile to use them.
 * Undefined when the build has none (or its Dockerfile cannot be read: the build itself reports that).
 */
export async function prepareNamedContexts(
  docker: () => Promise<Docker>,
  engine: Engine,
  service: Service,
  opts: { stack?: string; signal?: AbortSignal; onLine?: (line: string) => void },
): Promise<PreparedContexts | undefined> {
  const b = service.build!;
  const contexts = Object.entries(b.additional_contexts ?? {});
  if (contexts.length === 0) return undefined;
  let text: string;
  if (b.dockerfile_inline !== undefined) text = b.dockerfile_inline;
  else {
    const file = isAbsolute(b.dockerfile) ? b.dockerfile : resolve(b.context, b.dockerfile);
    const read = await fsp.readFile(file, 'utf8').catch(() => undefined);
    if (read === undefined) return undefined;
    text = read;
  }
  const images: Record<string, string> = {};
  const folders = new Map<string, string>();
  for (const [name, value] of contexts) {
    const c = classifyContext(value);
    const pos = b.contextsAt?.[name] ?? service.pos;
    switch (c.kind) {
      case 'image':
        images[name] = c.ref;
        break;
      case 'service': {
        const ref = b.serviceImages?.[c.service];
        if (!ref)
          throw badInput(
            `service "${service.name}": build.additional_contexts \`${name}\`: there is no service \`${c.service}\``,
            { pos },
          );
        images[name] = ref;
        break;
      }
      case 'path':
        if (!existsSync(c.dir))
          throw badInput(
            `service "${service.name}": build.additional_contexts \`${name}\`: the folder ${c.dir} does not exist`,
            { pos, hint: 'create it, or correct the path (relative to the stack file)' },
          );
        folders.set(name, c.dir);
        images[name] = `berth-context/pending-${component(name)}`;
        break;
      case 'unsupported':
        throw badInput(
          `service "${service.name}": build.additional_contexts \`${name}\`: \`${value}\` is not supported on this engine: ${c.why}`,
          { pos },
        );
    }
  }
  // only the folders the Dockerfile uses become images; a Dockerfile that uses none is sent as it is
  const { used } = rewriteDockerfile(text, images, b.args);
  if (used.length === 0) return undefined;
  const made: string[] = [];
  const cleanup = async () => {
    for (const ref of made.splice(0)) await engine.removeImage(ref).catch(() => {});
  };
  try {
    for (const name of used) {
      const dir = folders.get(name);
      if (dir === undefined) continue;
      images[name] = await folderImage(docker, engine, dir, {
        stack: opts.stack ?? service.name,
        service: service.name,
        name,
        signal: opts.signal,
        made,
      });
      opts.onLine?.(`named context ${name}: ${dir} as ${images[name]}`);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { dockerfile: rewriteDockerfile(text, images, b.args).text, made, cleanup };
}

/**
 * The image of a folder's files, under a tag of their content (paths, types, modes, link targets and bytes of
 * what the folder's `.dockerignore` lets through; not times, so a `touch` keeps the tag and an edit that keeps
 * size and time does not). The content is hashed while the import reads the tar, so the files are read once:
 * the import goes to a provisional tag, which becomes the content tag once the hash is known. An image already
 * at the content tag is used when it is berth's (a build of the same files that was interrupted before its
 * clean-up) and the new import is dropped; another image there is never replaced.
 */
async function folderImage(
  docker: () => Promise<Docker>,
  engine: Engine,
  dir: string,
  o: { stack: string; service: string; name: string; signal?: AbortSignal; made: string[] },
): Promise<string> {
  const { packFolder } = await import('./build-context.js');
  const { tar, digest } = await packFolder(dir);
  const repo = contextRepo(o.stack, o.service, o.name);
  const provisional = `pending-${randomBytes(6).toString('hex')}`;
  const labels: Record<string, string> = {
    [Label.stack]: o.stack,
    [Label.service]: o.service,
    [Label.namedContext]: o.name,
  };
  const failed = (why: string) =>
    new EngineError('failed', `making an image of named context \`${o.name}\` (${dir}): ${why}`);
  let body = '';
  // from here the provisional image may exist: the caller's clean-up removes what `made` lists
  o.made.push(`${repo}:${provisional}`);
  try {
    const importOpts: Record<string, unknown> = {
      // The whole reference in `repo`, as Docker's import also takes it: Podman 4.3 ignores `tag`, tags the
      // import `:latest`, and the build then looked for (and tried to pull) the tag it was given.
      repo: `${repo}:${provisional}`,
      changes: Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
      abortSignal: o.signal,
    };
    const stream = await (await docker()).importImage(tar as unknown as NodeJS.ReadableStream, importOpts);
    for await (const chunk of stream as AsyncIterable<Buffer>) body += chunk.toString('utf8');
  } catch (err) {
    tar.destroy();
    if ((err as Error).name === 'AbortError') throw err;
    throw failed(engineMessage(err));
  }
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    let m: { error?: string; errorDetail?: { message?: string } };
    try {
      m = JSON.parse(line);
    } catch {
      continue;
    }
    if (m.error || m.errorDetail) throw failed(m.errorDetail?.message ?? m.error ?? '');
  }
  // The engine has read the whole tar, so the hash is complete (or the tar failed, and so did the import).
  // Closing it makes an engine that answered before reading to the end an error, not a wait for ever.
  tar.destroy();
  const fingerprint = await digest.catch((err: Error) => {
    throw failed(err.message);
  });
  const tag = contextTag(o.stack, o.service, o.name, fingerprint);
  const existing = await engine.inspectImage(tag);
  if (existing && existing.labels[Label.namedContext] === undefined)
    throw badInput(
      `the image ${tag} exists and is not berth's: will not build named context \`${o.name}\` over it`,
      { hint: `remove it (\`docker rmi ${tag}\`) if you no longer need it` },
    );
  if (!existing) await engine.tagImage(`${repo}:${provisional}`, tag);
  // untags the provisional name (the image stays under its content tag), or drops the new import when an
  // earlier one of the same files is there
  await engine.removeImage(`${repo}:${provisional}`);
  o.made.splice(o.made.indexOf(`${repo}:${provisional}`), 1, tag);
  return tag;
}
