// Interactive sessions with containers: a command in a running container (`exec`), and attaching to a
// container's own process (`run`). Both speak the same way to the caller: streams in, streams out, an exit
// code, and a resize function for terminals. What a terminal is (raw mode, SIGWINCH) is the CLI's business.
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { fromDockerode } from './dockerode-api.js';
import type { CommitOptions, ExecOptions, Session, SessionIO } from './port.js';

/**
 * Connect a hijacked engine stream to the caller's streams. Without a terminal the engine multiplexes
 * stdout and stderr in frames (8-byte headers) that must be split; with one it sends raw bytes.
 */
function wire(docker: Docker, stream: Duplex, io: SessionIO): Promise<void> {
  if (io.tty) stream.on('data', (chunk: Buffer) => io.stdout.write(chunk));
  else docker.modem.demuxStream(stream, io.stdout, io.stderr);
  if (io.stdin) {
    const input = io.stdin;
    input.on('data', (chunk: Buffer | string) => stream.write(chunk));
    // end of our input half-closes the connection: the process reads EOF, its output keeps coming
    input.on('end', () => stream.end());
  }
  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (io.stdin) {
        io.stdin.removeAllListeners('data');
        io.stdin.removeAllListeners('end');
        io.stdin.pause();
      }
      resolve();
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // the engine closing its side while we still write stdin is the normal end of a session
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') finish();
      else reject(err);
    });
  });
}

/** Run a command in a running container, as `docker exec` does. */
export async function execInContainer(
  docker: Docker,
  endpoint: string,
  containerId: string,
  opts: ExecOptions,
): Promise<Session> {
  try {
    return await execSession(docker, containerId, opts);
  } catch (err) {
    throw fromDockerode(err, endpoint);
  }
}

async function execSession(docker: Docker, containerId: string, opts: ExecOptions): Promise<Session> {
  const container = docker.getContainer(containerId);
  const attach = !opts.detach;
  const exec = await container.exec({
    Cmd: opts.cmd,
    Env: opts.env,
    User: opts.user,
    WorkingDir: opts.workdir,
    Privileged: opts.privileged,
    Tty: opts.tty,
    AttachStdin: attach && opts.stdin !== undefined,
    AttachStdout: attach,
    AttachStderr: attach,
    ...(opts.size && opts.tty ? { ConsoleSize: [opts.size.rows, opts.size.cols] } : {}),
  } as Docker.ExecCreateOptions);
  const resize = async (rows: number, cols: number) => {
    await exec.resize({ h: rows, w: cols }).catch(() => {});
  };
  if (opts.detach) {
    // the engine answers a detached start with a response that stays open: drop it, nothing comes on it
    const answer = (await exec.start({ Detach: true })) as unknown as { destroy?: () => void } | undefined;
    answer?.destroy?.();
    return { done: Promise.resolve(0), resize };
  }
  const stream = (await exec.start({
    hijack: true,
    stdin: opts.stdin !== undefined,
    Tty: opts.tty,
  })) as unknown as Duplex;
  const done = (async () => {
    await wire(docker, stream, opts);
    // the exit code is recorded a moment after the stream closes
    for (let i = 0; i < 50; i++) {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
      await new Promise((r) => setTimeout(r, 20));
    }
    return (await exec.inspect()).ExitCode ?? 1;
  })();
  return { done, resize };
}

/**
 * Attach to a created (not yet started) container, start it, and follow it to its end, as `docker run`
 * does. Attaching before the start is what guarantees no early output is lost.
 */
export async function attachAndStart(
  docker: Docker,
  endpoint: string,
  containerId: string,
  io: SessionIO,
): Promise<Session> {
  try {
    return await attachSession(docker, containerId, io);
  } catch (err) {
    throw fromDockerode(err, endpoint);
  }
}

async function attachSession(docker: Docker, containerId: string, io: SessionIO): Promise<Session> {
  const container = docker.getContainer(containerId);
  const stream = (await container.attach({
    stream: true,
    stdin: io.stdin !== undefined,
    stdout: true,
    stderr: true,
    hijack: true,
  })) as unknown as Duplex;
  const wired = wire(docker, stream, io);
  // ask for the exit before starting, so even a process that ends at once is seen ending
  const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
  await container.start();
  const resize = async (rows: number, cols: number) => {
    await container.resize({ h: rows, w: cols }).catch(() => {});
  };
  if (io.size && io.tty) await resize(io.size.rows, io.size.cols);
  const done = (async () => {
    const [result] = await Promise.all([waited, wired]);
    return result.StatusCode;
  })();
  return { done, resize };
}

/** Commit a container to `repo:tag` with labels (as `LABEL` changes); resolves to the new image's ID. */
/**
 * The Dockerfile lines a commit applies: one `LABEL` per label. Docker reads `LABEL a="x" b="y"` as two labels,
 * but Podman 4.3 takes everything after the first `=` as the first label's value, so a snapshot there would have
 * one mangled label and `snapshot --list` would not find it.
 */
export function commitChanges(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`);
}

export async function commit(
  docker: Docker,
  endpoint: string,
  id: string,
  o: CommitOptions,
): Promise<string> {
  const changes = commitChanges(o.labels);
  try {
    const res = (await docker.getContainer(id).commit({
      _query: { container: id, repo: o.repo, tag: o.tag, comment: o.comment, pause: o.pause, changes },
      // The body is the config to change; dockerode sends none when it is `{}`, and Podman's commit then
      // fails decoding it (`Decode(): EOF`). A null `Labels` is "unchanged" to both engines.
      _body: { Labels: null },
    })) as { Id: string };
    return res.Id;
  } catch (err) {
    throw fromDockerode(err, endpoint);
  }
}
