// Builds with BuildKit through the engine API (the default on Docker): `RUN --mount=type=secret` reads
// `build.secrets` from a file and from an environment variable, `RUN --mount=type=cache` persists between
// steps, `.dockerignore` keeps files out of the context sent through the session, a failing RUN names its
// step with its last output lines, `up --build` builds and runs such a service, named contexts (a service's
// image, a folder, an image) on BuildKit and on the classic builder, and the keys the engine API cannot pass
// (or the classic builder, with DOCKER_BUILDKIT=0) stop with the key and its line. Local base images only and
// no `# syntax=` line: nothing is pulled.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupProject, docker, execIn, uniqueProject } from './helpers.js';
import { berth, tempCompose } from './up-cli.js';

const name = uniqueProject('buildkit');
let dir: string;
let file: string;
const env = { BT_BUILDKIT_TOKEN: 'token-from-env' };

const image = (service: string) => `${name}-${service}`;
const runImage = (ref: string, cmd: string[]) =>
  execFileSync('docker', ['run', '--rm', '--network', 'none', ref, ...cmd], { encoding: 'utf8' });

beforeAll(() => {
  ({ dir, file } = tempCompose(
    'buildkit',
    `name: ${name}
services:
  app:
    build:
      context: ./app
      args:
        GREETING: hello-from-args
      labels:
        com.example.team: qa
      secrets:
        - from_file
        - source: from_env
          target: token
    command: ["sh", "-c", "cat /secrets.out; sleep 3600"]
  bad:
    build: ./bad
  named:
    build:
      context: ./named
      additional_contexts:
        base: service:base
        extra: ./extra
        tools: docker-image://berth/busybox:latest
  classic:
    build:
      context: ./named
      dockerfile: classic.Dockerfile
      additional_contexts:
        base: service:base
        extra: ./extra
        tools: docker-image://berth/busybox:latest
  remote:
    build:
      context: ./named
      additional_contexts:
        src: https://github.com/acme/src.git
  base:
    build: ./base
  agent:
    build:
      context: ./agent
      ssh: [default]
  keyed:
    build:
      context: ./keyed
      ssh: ["deploy=\${KEY_FILE:-./no-key}"]
secrets:
  from_file:
    file: ./secret.txt
  from_env:
    environment: BT_BUILDKIT_TOKEN
`,
  ));
  mkdirSync(path.join(dir, 'app/sub'), { recursive: true });
  mkdirSync(path.join(dir, 'bad'));
  mkdirSync(path.join(dir, 'agent'));
  for (const d of ['named', 'extra/sub', 'base']) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(
    path.join(dir, 'base/Dockerfile'),
    'FROM berth/busybox:latest\nRUN echo from-base > /base.txt\n',
  );
  // the named contexts by every reference BuildKit resolves: FROM, COPY --from, RUN --mount from=; a stage
  // named like a context is the context
  writeFileSync(
    path.join(dir, 'named/Dockerfile'),
    `FROM base AS tools
RUN echo this-stage-is-overwritten-by-the-context > /never
FROM base
COPY --from=extra extra.txt /extra.txt
COPY --from=tools /bin/busybox /opt/tools/busybox
RUN --mount=from=extra,target=/mnt ls -A /mnt /mnt/sub | tr '\\n' ' ' > /extra.list
RUN --mount=from=tools,target=/t test ! -e /t/never && test ! -e /t/base.txt && echo overwritten > /tools.check
`,
  );
  // the classic builder has no RUN --mount
  writeFileSync(
    path.join(dir, 'named/classic.Dockerfile'),
    'from base\ncopy --from=extra extra.txt /extra.txt\nCOPY --from=tools /bin/busybox /opt/tools/busybox\nCOPY . /ctx/\n',
  );
  writeFileSync(path.join(dir, 'extra/extra.txt'), 'from-a-folder\n');
  writeFileSync(path.join(dir, 'extra/sub/kept.txt'), 'kept\n');
  writeFileSync(path.join(dir, 'extra/skipped.log'), 'must not reach the context image\n');
  writeFileSync(path.join(dir, 'extra/.dockerignore'), '*.log\n');
  // asks the forwarded agent for its identities (SSH2_AGENTC_REQUEST_IDENTITIES) and keeps the answer
  writeFileSync(
    path.join(dir, 'agent/Dockerfile'),
    `FROM berth/python:latest
USER root
RUN --mount=type=ssh python3 -c "import os, socket; s = socket.socket(socket.AF_UNIX); s.connect(os.environ['SSH_AUTH_SOCK']); s.sendall(bytes([0, 0, 0, 1, 11])); print(s.recv(64).hex())" > /tmp/agent.out
`,
  );
  // the same question to the agent berth serves for a key file (id `deploy`)
  mkdirSync(path.join(dir, 'keyed'));
  writeFileSync(
    path.join(dir, 'keyed/Dockerfile'),
    `FROM berth/python:latest
USER root
RUN --mount=type=ssh,id=deploy python3 -c "import os, socket; s = socket.socket(socket.AF_UNIX); s.connect(os.environ['SSH_AUTH_SOCK']); s.sendall(bytes([0, 0, 0, 1, 11])); print(s.recv(4096).hex())" > /tmp/agent.out
`,
  );
  writeFileSync(path.join(dir, 'secret.txt'), 'secret-from-file\n');
  // the cache id is this run's own: the mount must come from this build, not an earlier run
  writeFileSync(
    path.join(dir, 'app/Dockerfile'),
    `FROM berth/busybox:latest
ARG GREETING=none
COPY . /ctx/
RUN --mount=type=secret,id=from_file --mount=type=secret,id=token \\
    cat /run/secrets/from_file /run/secrets/token > /secrets.out && echo "$GREETING" > /greeting
RUN --mount=type=cache,id=${name},target=/cache echo cached-by-step-one > /cache/note
RUN --mount=type=cache,id=${name},target=/cache cp /cache/note /note
RUN test ! -e /run/secrets/from_file && ls -a /ctx | sort | tr '\\n' ' ' > /ctx.list
`,
  );
  writeFileSync(path.join(dir, 'app/.dockerignore'), 'ignored.txt\nsub/*.tmp\n');
  writeFileSync(path.join(dir, 'app/ignored.txt'), 'must not reach the build\n');
  writeFileSync(path.join(dir, 'app/kept.txt'), 'kept\n');
  writeFileSync(path.join(dir, 'app/sub/a.tmp'), 'no\n');
  writeFileSync(path.join(dir, 'app/sub/b.txt'), 'yes\n');
  writeFileSync(
    path.join(dir, 'bad/Dockerfile'),
    'FROM berth/busybox:latest\nRUN echo step-one-ok\nRUN echo "compiling widgets" && echo "error: widget 7 is broken" >&2 && exit 3\n',
  );
});

afterAll(async () => {
  await cleanupProject(name);
  rmSync(dir, { recursive: true, force: true });
  const labelled = await docker.listImages({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.stack=${name}`] }),
  });
  for (const i of labelled)
    await docker
      .getImage(i.Id)
      .remove({ force: true })
      .catch(() => {});
});

test('secrets from a file and the environment, a cache mount, .dockerignore, args and labels', async () => {
  const r = await berth(['-f', file, 'build', 'app'], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // BuildKit's progress, as docker build --progress=plain prints it
  expect(r.stdout).toMatch(/^app \| #\d+ \[(stage-0 )?\d\/\d\] RUN --mount=type=secret,id=from_file/m);
  expect(r.stdout).toMatch(/^app \| built .*-app \([0-9a-f]{12}\) in [\d.]+s$/m);
  expect(runImage(image('app'), ['cat', '/secrets.out'])).toBe('secret-from-file\ntoken-from-env');
  expect(runImage(image('app'), ['cat', '/greeting'])).toBe('hello-from-args\n');
  expect(runImage(image('app'), ['cat', '/note'])).toBe('cached-by-step-one\n');
  // ignored.txt and sub/a.tmp stayed out of the context; .dockerignore itself is sent, as Docker does
  expect(runImage(image('app'), ['cat', '/ctx.list'])).toBe('. .. .dockerignore Dockerfile kept.txt sub ');
  expect(runImage(image('app'), ['ls', '/ctx/sub'])).toBe('b.txt\n');
  const info = await docker.getImage(image('app')).inspect();
  expect(info.Config.Labels).toMatchObject({
    'dev.berth.stack': name,
    'dev.berth.service': 'app',
    'com.example.team': 'qa',
  });
});

test('a failing RUN: exit 1, the step, the engine message and the step last output lines', async () => {
  const r = await berth(['-f', file, 'build', 'bad']);
  expect(r.code).toBe(1);
  // the failing step is never cached, so its output is always there (step one is cached on a rerun)
  expect(r.stdout).toMatch(/^bad \| #\d+ compiling widgets$/m);
  expect(r.stderr).toMatch(
    /build of service "bad" failed at \[3\/3\] RUN echo "compiling widgets" && echo "error: widget 7 is broken" >&2 && exit 3\n/,
  );
  expect(r.stderr).toContain('exit code: 3');
  expect(r.stderr).toMatch(/its last output:\n(\s+.*\n)*\s+error: widget 7 is broken\n/);
  expect(r.stderr).toMatch(/\s+compiling widgets\n/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('up --build builds with the secrets and runs the service', async () => {
  const r = await berth(['-f', file, 'up', '-d', '--build', 'app'], env);
  expect(r.code).toBe(0);
  expect(await execIn(name, 'app', ['cat', '/secrets.out'])).toBe('secret-from-file\ntoken-from-env');
  const down = await berth(['-f', file, 'down']);
  expect(down.code).toBe(0);
});

test('build.ssh default forwards the SSH_AUTH_SOCK agent into RUN --mount=type=ssh, both ways', async () => {
  // a stand-in agent: answers the identities request with "no identities" (SSH2_AGENT_IDENTITIES_ANSWER, 0)
  const sock = path.join(dir, 'agent.sock');
  const requests: string[] = [];
  const agent: Server = createServer((c) =>
    c.on('data', (d) => {
      requests.push(d.toString('hex'));
      c.write(Buffer.from([0, 0, 0, 5, 12, 0, 0, 0, 0]));
    }),
  );
  await new Promise<void>((r) => agent.listen(sock, r));
  try {
    const r = await berth(['-f', file, 'build', '--no-cache', 'agent'], { SSH_AUTH_SOCK: sock });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(requests).toEqual(['000000010b']);
    expect(runImage(image('agent'), ['cat', '/tmp/agent.out'])).toBe('000000050c00000000\n');
  } finally {
    agent.close();
  }
});

test('build.ssh with a key file: berth serves the key through an agent of its own, which the build reaches', async () => {
  const keyFile = path.resolve(import.meta.dirname, '../../fixtures/ssh/id_ed25519');
  const pub = readFileSync(`${keyFile}.pub`, 'utf8').split(' ');
  const r = await berth(['-f', file, 'build', '--no-cache', 'keyed'], { KEY_FILE: keyFile });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const answer = Buffer.from(runImage(image('keyed'), ['cat', '/tmp/agent.out']).trim(), 'hex');
  // SSH2_AGENT_IDENTITIES_ANSWER (12) with one key: the .pub file's blob and comment
  expect(answer[4]).toBe(12);
  expect(answer.readUInt32BE(5)).toBe(1);
  expect(answer.includes(Buffer.from(pub[1]!, 'base64'))).toBe(true);
  expect(answer.includes(Buffer.from(pub[2]!.trim()))).toBe(true);
  // and a passphrase-protected key stops the build with the file named and what to do
  const locked = await berth(['-f', file, 'build', 'keyed'], {
    KEY_FILE: `${keyFile.replace(/id_ed25519$/, 'id_locked')}`,
  });
  expect(locked.code).not.toBe(0);
  expect(locked.stderr).toMatch(
    /id_locked is protected by a passphrase; load it into an agent \(`ssh-add`\)/,
  );
});

/** The images berth made of named-context folders for this stack that are still there. */
const contextImages = async () =>
  docker.listImages({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.stack=${name}`, 'dev.berth.named-context'] }),
  });

test('named contexts: service:base is built first and is the FROM, a folder and an image are COPY --from sources', async () => {
  const r = await berth(['-f', file, 'build', 'named']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // base was built too, and before anything of named's build started
  const baseBuilt = r.stdout.search(/^base +\| built /m);
  const namedFirst = r.stdout.search(/^named +\| /m);
  expect(baseBuilt).toBeGreaterThanOrEqual(0);
  expect(namedFirst).toBeGreaterThan(baseBuilt);
  expect(runImage(image('named'), ['cat', '/base.txt'])).toBe('from-base\n');
  expect(runImage(image('named'), ['cat', '/extra.txt'])).toBe('from-a-folder\n');
  // the folder's .dockerignore holds for the context, as the folder's own build context
  expect(runImage(image('named'), ['cat', '/extra.list'])).toBe(
    '/mnt: .dockerignore extra.txt sub  /mnt/sub: kept.txt ',
  );
  expect(runImage(image('named'), ['/opt/tools/busybox', 'echo', 'from-the-image'])).toBe('from-the-image\n');
  // the stage named like a context was overwritten by it
  expect(runImage(image('named'), ['cat', '/tools.check'])).toBe('overwritten\n');
  // the folder's image was berth's for the build only
  expect(await contextImages()).toEqual([]);
});

test('DOCKER_BUILDKIT=0: the same contexts with the classic builder, and nothing of berth left in the image', async () => {
  const r = await berth(['-f', file, 'build', 'classic'], { DOCKER_BUILDKIT: '0' });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.search(/^classic +\| /m)).toBeGreaterThan(r.stdout.search(/^base +\| built /m));
  expect(r.stdout).toMatch(/^classic +\| Step 1\/\d+ : from .*-base$/m);
  expect(runImage(image('classic'), ['cat', '/base.txt'])).toBe('from-base\n');
  expect(runImage(image('classic'), ['cat', '/extra.txt'])).toBe('from-a-folder\n');
  expect(runImage(image('classic'), ['/opt/tools/busybox', 'echo', 'from-the-image'])).toBe(
    'from-the-image\n',
  );
  // the rewritten Dockerfile travelled under a private name the engine dropped from the context
  expect(runImage(image('classic'), ['ls', '-A', '/ctx'])).toBe('Dockerfile\nclassic.Dockerfile\n');
  expect(await contextImages()).toEqual([]);
});

test('a git context cannot be served here: exit 2 at its line, naming the value and why', async () => {
  const r = await berth(['-f', file, 'build', 'remote']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/compose\.yaml:36:\d+/);
  expect(r.stderr).toMatch(
    /build\.additional_contexts `src`: `https:\/\/github\.com\/acme\/src\.git` is not supported on this engine: a remote \(git or URL\) context/,
  );
  await expect(docker.getImage(image('remote')).inspect()).rejects.toMatchObject({ statusCode: 404 });
});

test('DOCKER_BUILDKIT=0: a build with secrets stops before building, naming the key and its line', async () => {
  const r = await berth(['-f', file, 'build', 'app'], { ...env, DOCKER_BUILDKIT: '0' });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(
    /`services.app.build.secrets` \(.*compose\.yaml:10\) needs BuildKit; berth builds with the engine's classic builder here \(DOCKER_BUILDKIT=0\)/,
  );
  expect(r.stderr).toContain('unset DOCKER_BUILDKIT');
});
