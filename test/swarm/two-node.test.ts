// berth on a real 2-node swarm made on this machine (scripts/swarm-nodes.sh: two dockerds in their own network
// namespaces, a registry on the manager's address). `npm run test:swarm`, not part of `npm test`: it needs root
// and builds its own engines. Nothing here talks to the main dockerd but `docker save` of a base image.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { berth, ROOT, type Run } from '../e2e/up-cli.js';

const SCRIPT = path.join(ROOT, 'scripts/swarm-nodes.sh');
const REGISTRY = '10.232.0.2:5000';
const PROJECT = 'bt-swarm2-nodes';
let nodes = '';
let stackDir = '';

const nodesScript = (...args: string[]) =>
  execFileSync('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
const managerEnv = () => ({ DOCKER_HOST: `unix://${nodes}/manager.sock` });
const onNode = (node: 'manager' | 'worker', ...args: string[]) =>
  execFileSync('docker', ['-H', `unix://${nodes}/${node}.sock`, ...args], { encoding: 'utf8' }).trim();
const swarmBerth = (...args: string[]) =>
  berth(['--target', 'swarm', '--registry', REGISTRY, ...args], managerEnv(), stackDir);
const said = (r: Run) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

interface TaskRow {
  Service: string;
  Slot: number;
  Node: string;
  State: string;
  DesiredState: string;
  Error?: string;
}
async function tasks(): Promise<TaskRow[]> {
  const r = await swarmBerth('ps', '--format', 'json');
  expect(r.code, said(r)).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TaskRow);
}
const where = (rows: TaskRow[], service: string) =>
  rows
    .filter((t) => t.Service === service && t.State === 'running')
    .map((t) => t.Node)
    .sort();

/** Poll `berth ps` until `done` holds; the last rows in the failure message otherwise. */
async function psUntil(done: (rows: TaskRow[]) => boolean, ms: number): Promise<TaskRow[]> {
  const deadline = Date.now() + ms;
  let rows: TaskRow[] = [];
  while (Date.now() < deadline) {
    rows = await tasks();
    if (done(rows)) return rows;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`berth ps did not get there in ${ms / 1000} s:\n${JSON.stringify(rows, null, 1)}`);
}

beforeAll(() => {
  nodes = mkdtempSync(path.join(tmpdir(), 'bt-swarm2-'));
  stackDir = mkdtempSync(path.join(tmpdir(), 'bt-swarm2-stack-'));
  writeFileSync(
    path.join(stackDir, 'Dockerfile'),
    'FROM berth/busybox:latest\nRUN echo built-by-berth > /marker\nCMD ["sh", "-c", "trap \'exit 0\' TERM; while :; do sleep 1; done"]\n',
  );
  // web: two replicas, spread over the nodes but free to share one (a lost node's task moves);
  // capped: at most one task per node, so with one node left its second task waits.
  writeFileSync(
    path.join(stackDir, 'compose.yaml'),
    `name: ${PROJECT}
services:
  web:
    build: .
    image: ${PROJECT}-web
    deploy:
      replicas: 2
      placement:
        preferences:
          - spread: node.id
  capped:
    image: ${PROJECT}-web
    build: .
    deploy:
      replicas: 2
      placement:
        max_replicas_per_node: 1
`,
  );
  nodesScript('start', nodes);
}, 300_000);

afterAll(() => {
  try {
    if (nodes) nodesScript('down', nodes);
  } finally {
    if (stackDir) rmSync(stackDir, { recursive: true, force: true });
  }
}, 300_000);

test('an engine in no swarm: exit 2, saying how to create or join one', async () => {
  for (const verb of [['ps'], ['up', '-d']]) {
    const r = await swarmBerth(...verb);
    expect(r.code, said(r)).toBe(2);
    expect(r.stderr).toMatch(/is not part of a swarm \(state: inactive\)/);
    expect(r.stderr).toMatch(/docker swarm init --advertise-addr/);
    expect(r.stderr).toMatch(/docker swarm join --token/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }
  // Nothing was deployed or built on the way to that error.
  expect(onNode('manager', 'image', 'ls', '-q', `${PROJECT}-web`)).toBe('');
}, 120_000);

test('2 replicas spread over both nodes, running the image berth built and pushed to the registry', async () => {
  nodesScript('join', nodes);
  const r = await swarmBerth('up', '-d', '--wait', '--wait-timeout', '400');
  expect(r.code, said(r)).toBe(0);
  expect(r.stdout + r.stderr).toMatch(new RegExp(`${REGISTRY}/${PROJECT}-web:[0-9a-f]{12} pushing`));
  // deploy.placement is honoured here, so the loader's local-target warning about it is not said.
  expect(r.stderr).not.toMatch(/is a swarm setting/);
  const rows = await tasks();
  expect(where(rows, 'web')).toEqual(['bt-swarm2-manager', 'bt-swarm2-worker']);
  expect(where(rows, 'capped')).toEqual(['bt-swarm2-manager', 'bt-swarm2-worker']);
  // Both nodes pulled the pushed reference: the worker never had the image but from the registry.
  const ref = onNode(
    'manager',
    'service',
    'inspect',
    `${PROJECT}_web`,
    '--format',
    '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
  );
  expect(ref).toMatch(new RegExp(`^${REGISTRY}/${PROJECT}-web:[0-9a-f]{12}$`));
  for (const node of ['manager', 'worker'] as const)
    expect(onNode(node, 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}').split('\n')).toContain(ref);
  const onWorker = onNode(
    'worker',
    'ps',
    '--filter',
    `label=com.docker.swarm.service.name=${PROJECT}_web`,
    '--format',
    '{{.ID}}',
  );
  expect(onNode('worker', 'exec', onWorker, 'cat', '/marker')).toBe('built-by-berth');
}, 600_000);

test("the worker's dockerd stops: Swarm moves its task to the manager and berth ps shows it", async () => {
  nodesScript('stop-node', nodes, 'worker');
  // Node-down detection is a few dispatcher heartbeats (2 s here), then the task is rescheduled.
  const rows = await psUntil(
    (rows) => where(rows, 'web').join() === 'bt-swarm2-manager,bt-swarm2-manager',
    240_000,
  );
  expect(rows.filter((t) => t.Service === 'web').map((t) => t.Slot)).toEqual([1, 2]);
  // capped may not run two tasks on one node: its second slot waits for a node, and ps says why.
  expect(where(rows, 'capped')).toEqual(['bt-swarm2-manager']);
  const waiting = await psUntil(
    (rows) => rows.some((t) => t.Service === 'capped' && t.State === 'pending' && !!t.Error),
    120_000,
  );
  expect(waiting.find((t) => t.Service === 'capped' && t.State === 'pending')?.Error).toMatch(
    /max replicas per node/,
  );
}, 420_000);
