// A build with BuildKit through the engine API, as `docker build` does with DOCKER_BUILDKIT=1: open a session
// (buildkit-session.ts) that serves the context and Dockerfile folders, the build secrets and SSH agents, then
// `POST /build?version=2&session=ID&remote=client-session` with the usual query. The engine answers with
// JSON lines: BuildKit's progress as base64 protobuf (`moby.buildkit.trace`), the image ID (`moby.image.id`)
// and, on failure, `errorDetail`. Progress is rendered as `docker build --progress=plain` prints it.
import { existsSync, promises as fsp } from 'node:fs';
import { request } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Service } from '../model/stack.js';
import { parseDockerignore } from './build-context.js';
import { type Vertex, decodeStatusResponse } from './buildkit-proto.js';
import { type SessionOptions, openSession } from './buildkit-session.js';
import { EngineError } from './errors.js';
import { type KeyAgent, startKeyAgent } from './ssh-agent.js';

export interface BuildKitResult {
  id?: string;
  /** The engine's error, with the failing step and its last output lines when BuildKit names them. */
  failure?: { message: string; step?: string; lines: string[] };
}

/**
 * What goes on the session: the folders and secrets of a service's build (pure but for the inline or
 * rewritten Dockerfile). `dockerfileText`: the Dockerfile to build instead of the file's own text (the
 * named-context rewrite), served from a folder of its own under the file's name, so BuildKit's messages name
 * the user's Dockerfile; the ignore rules stay the file's.
 */
export async function sessionFor(
  service: Service,
  env: NodeJS.ProcessEnv = process.env,
  dockerfileText?: string,
): Promise<{ session: SessionOptions; dockerfile: string; cleanup: () => Promise<void> }> {
  const b = service.build!;
  const ssh: Record<string, string> = {};
  const agents: KeyAgent[] = [];
  let cleanup = async () => {
    await Promise.all(agents.map((a) => a.close()));
  };
  try {
    for (const entry of b.ssh ?? []) {
      const eq = entry.indexOf('=');
      const id = eq < 0 ? entry : entry.slice(0, eq);
      const value = eq < 0 ? env.SSH_AUTH_SOCK : entry.slice(eq + 1);
      // as Compose: `default` without a path is the agent of SSH_AUTH_SOCK, and there must be one
      if (!value) throw new Error(`build.ssh \`${id}\` forwards the SSH agent, but SSH_AUTH_SOCK is not set`);
      // as buildx: an agent's socket, or key files (comma-separated) served by an agent of berth's own
      const paths = value.split(',').map((p) => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : p));
      const stats = await Promise.all(paths.map((p) => fsp.stat(p).catch(() => undefined)));
      const missing = paths.find((_, i) => !stats[i]);
      if (missing) throw new Error(`build.ssh \`${id}\`: ${missing} is not there`);
      if (paths.length === 1 && stats[0]!.isSocket()) {
        ssh[id] = paths[0]!;
        continue;
      }
      const agent = await startKeyAgent(paths).catch((e: Error) => {
        throw new Error(
          `build.ssh \`${id}\`: ${e.message}${/passphrase/.test(e.message) ? '; load it into an agent (`ssh-add`) and give the agent instead' : ''}`,
        );
      });
      agents.push(agent);
      ssh[id] = agent.socket;
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  let dockerfileAbs = isAbsolute(b.dockerfile) ? b.dockerfile : resolve(b.context, b.dockerfile);
  const ownFile = dockerfileAbs;
  const text = dockerfileText ?? b.dockerfile_inline;
  if (text !== undefined) {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'berth-dockerfile-'));
    dockerfileAbs = join(dir, b.dockerfile_inline !== undefined ? 'Dockerfile' : basename(ownFile));
    await fsp.writeFile(dockerfileAbs, text);
    const closeAgents = cleanup;
    cleanup = async () => {
      await closeAgents();
      await fsp.rm(dir, { recursive: true, force: true });
    };
  }
  // berth's own ignore rules on top of the engine's: `<Dockerfile>.dockerignore` first, as the classic path
  const ignoreFiles = [
    ...(b.dockerfile_inline === undefined ? [`${ownFile}.dockerignore`] : []),
    join(b.context, '.dockerignore'),
  ];
  let excludes: string[] = [];
  for (const f of ignoreFiles) {
    if (existsSync(f)) {
      excludes = parseDockerignore(await fsp.readFile(f, 'utf8'));
      break;
    }
  }
  const secrets: NonNullable<SessionOptions['secrets']> = {};
  for (const s of b.secrets ?? []) {
    const id = s.target ?? s.source;
    if (s.file !== undefined) {
      const file = s.file;
      secrets[id] = () => fsp.readFile(file);
    } else if (s.value !== undefined) {
      const value = s.value;
      secrets[id] = async () => Buffer.from(value);
    }
  }
  const relInContext = relative(b.context, ownFile).split(sep).join('/');
  return {
    session: {
      dirs: {
        context: { root: b.context, excludes, keep: ['.dockerignore', relInContext] },
        dockerfile: { root: dirname(dockerfileAbs) },
      },
      secrets,
      ssh,
    },
    dockerfile: dockerfileAbs.slice(dirname(dockerfileAbs).length + 1),
    cleanup,
  };
}

/** The query string of a BuildKit build: Docker's build query with repeated `t` and `extrahosts`. */
export function buildKitQuery(query: Record<string, unknown>, sessionId: string, buildId: string): string {
  const q = new URLSearchParams();
  q.set('version', '2');
  q.set('session', sessionId);
  q.set('remote', 'client-session');
  q.set('buildid', buildId);
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || k === 'extrahosts') continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, String(x));
    else if (typeof v === 'object') q.set(k, JSON.stringify(v));
    else q.set(k, String(v));
  }
  const hosts = query.extrahosts;
  if (typeof hosts === 'string' && hosts) for (const h of hosts.split(',')) q.append('extrahosts', h);
  return q.toString();
}

/** How many output lines of a failing step the error shows. */
const TAIL = 12;

/**
 * Renders BuildKit's progress as `docker build --progress=plain` does: `#N NAME` when a step starts, its
 * output as `#N line`, then `#N CACHED`, `#N DONE 0.4s` or `#N ERROR: …`. Keeps each step's last lines for
 * the error of a failed build.
 */
export class PlainProgress {
  private readonly steps = new Map<
    string,
    {
      n: number;
      vertex: Vertex;
      announced: boolean;
      finished: boolean;
      partial: string;
      lines: string[];
    }
  >();

  constructor(private readonly onLine: (line: string) => void = () => {}) {}

  private step(v: Vertex | string) {
    const digest = typeof v === 'string' ? v : v.digest;
    let s = this.steps.get(digest);
    if (!s) {
      s = {
        n: this.steps.size + 1,
        vertex: typeof v === 'string' ? { digest, name: '', cached: false } : v,
        announced: false,
        finished: false,
        partial: '',
        lines: [],
      };
      this.steps.set(digest, s);
    } else if (typeof v !== 'string') s.vertex = { ...s.vertex, ...v };
    return s;
  }

  /** Feed one decoded StatusResponse: steps that start, then their output, then steps that end. */
  update(r: ReturnType<typeof decodeStatusResponse>): void {
    for (const v of r.vertexes) {
      const s = this.step(v);
      const started = v.started !== undefined || v.cached || v.completed !== undefined;
      if (started && !s.announced && s.vertex.name) {
        s.announced = true;
        this.onLine(`#${s.n} ${s.vertex.name}`);
      }
    }
    for (const l of r.logs) {
      const s = this.step(l.vertex);
      const text = s.partial + l.msg.toString('utf8');
      const parts = text.split(/\r?\n/);
      s.partial = parts.pop() ?? '';
      for (const line of parts) this.line(s, line);
    }
    for (const v of r.vertexes) {
      const s = this.step(v.digest);
      if (s.finished || !s.announced) continue;
      if (v.error) {
        s.finished = true;
        this.flush(s);
        this.onLine(`#${s.n} ERROR: ${v.error}`);
      } else if (v.cached) {
        s.finished = true;
        this.onLine(`#${s.n} CACHED`);
      } else if (v.completed !== undefined) {
        s.finished = true;
        this.flush(s);
        const secs = v.started !== undefined ? ((v.completed - v.started) / 1000).toFixed(1) : '0.0';
        this.onLine(`#${s.n} DONE ${secs}s`);
      }
    }
  }

  private line(s: { n: number; lines: string[] }, line: string) {
    s.lines.push(line);
    if (s.lines.length > TAIL) s.lines.shift();
    this.onLine(`#${s.n} ${line}`);
  }

  private flush(s: { n: number; partial: string; lines: string[] }) {
    if (s.partial) this.line(s, s.partial);
    s.partial = '';
  }

  /** The step that failed (a Dockerfile step rather than BuildKit's internal ones) and its last lines. */
  failedStep(): { step?: string; lines: string[] } {
    const failed = [...this.steps.values()].filter((s) => s.vertex.error);
    const pick = failed.find((s) => !s.vertex.name.startsWith('[internal]')) ?? failed[0];
    if (!pick) return { lines: [] };
    this.flush(pick);
    return { step: pick.vertex.name, lines: [...pick.lines] };
  }
}

interface BuildMessage {
  id?: string;
  aux?: unknown;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Run one build with BuildKit on the engine at `socketPath`. `query` is the classic build query
 * (images.ts `buildQuery`); the context comes through the session instead of a tar.
 */
export async function buildWithBuildKit(
  socketPath: string,
  service: Service,
  query: Record<string, unknown>,
  opts: {
    onLine?: (line: string) => void;
    signal?: AbortSignal;
    env?: NodeJS.ProcessEnv;
    /** The Dockerfile to build instead of the service's own (see sessionFor). */
    dockerfileText?: string;
  },
): Promise<BuildKitResult> {
  const {
    session: sessionOpts,
    dockerfile,
    cleanup,
  } = await sessionFor(service, opts.env, opts.dockerfileText);
  const session = await openSession(socketPath, { ...sessionOpts, name: service.name }).catch(
    async (err: unknown) => {
      await cleanup();
      throw err;
    },
  );
  const progress = new PlainProgress(opts.onLine);
  const result: BuildKitResult = {};
  try {
    const buildId = `berth-${session.id}`;
    const path = `/build?${buildKitQuery({ ...query, dockerfile }, session.id, buildId)}`;
    const res = await new Promise<import('node:http').IncomingMessage>((resolvePromise, reject) => {
      const req = request(
        {
          socketPath,
          method: 'POST',
          path,
          headers: { host: 'docker', 'content-type': 'application/x-tar', 'content-length': 0 },
          signal: opts.signal,
        },
        resolvePromise,
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.name === 'AbortError'
            ? err
            : new EngineError('unreachable', `build request failed: ${err.code ?? err.message}`),
        ),
      );
      req.end();
    });
    let buffered = '';
    const handle = (line: string) => {
      if (!line.trim()) return;
      let m: BuildMessage;
      try {
        m = JSON.parse(line) as BuildMessage;
      } catch {
        return; // a non-JSON line from a proxy
      }
      if (m.id === 'moby.buildkit.trace' && typeof m.aux === 'string')
        progress.update(decodeStatusResponse(Buffer.from(m.aux, 'base64')));
      else if (m.id === 'moby.image.id' && m.aux && typeof m.aux === 'object')
        result.id = (m.aux as { ID?: string }).ID;
      else if (m.errorDetail || m.error) {
        const message = (m.errorDetail?.message ?? m.error ?? '').trim();
        result.failure = { message, lines: [] };
      } else if (m.stream) for (const l of m.stream.replace(/\n$/, '').split('\n')) opts.onLine?.(l);
    };
    for await (const chunk of res as AsyncIterable<Buffer>) {
      buffered += chunk.toString('utf8');
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        handle(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    }
    handle(buffered);
    if ((res.statusCode ?? 200) >= 300 && !result.failure)
      result.failure = { message: `the engine answered HTTP ${res.statusCode}`, lines: [] };
    if (result.failure) {
      const { step, lines } = progress.failedStep();
      result.failure.step = step;
      result.failure.lines = lines;
      const sessionErr = session.failure();
      if (sessionErr) result.failure.message += ` (berth's side: ${sessionErr.message})`;
    }
    return result;
  } finally {
    session.close();
    await cleanup();
  }
}
