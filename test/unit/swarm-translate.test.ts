// The swarm translation: every Compose service key has an outcome, reported keys name their line, and the
// spec carries what the file says (ports in host mode, dnsrr, start-first unless named volumes…).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { dockerServiceSpec } from '../../src/engine/swarm-docker.js';
import type { ObservedSwarmService } from '../../src/engine/swarm-port.js';
import { Label } from '../../src/model/labels.js';
import { dependencyOrder, planDeploy } from '../../src/swarm/plan.js';
import { KEYS, reportLines, translate } from '../../src/swarm/translate.js';
import { loadStack } from '../../src/compose/index.js';
import { load, stackDir } from './compose-helpers.js';

const read = (f: string) => Buffer.from(`content of ${path.basename(f)}`);

test('every service key of the stack schema has a swarm outcome, and nothing else does', () => {
  const schema = JSON.parse(readFileSync(path.join(__dirname, '../../schemas/stack.schema.json'), 'utf8'));
  const keys = Object.keys(schema.definitions.service.properties).sort();
  expect(Object.keys(KEYS).sort()).toEqual(keys);
  for (const k of keys) expect(['translated', 'handled', 'reported']).toContain(KEYS[k]!.outcome);
});

const FILE = `name: demo
services:
  web:
    image: berth/nginx:latest
    container_name: fixed
    privileged: true
    ports:
      - "8080:80"
      - "127.0.0.1:9000-9001:90-91/udp"
    depends_on:
      app:
        condition: service_healthy
        restart: true
    secrets: [token]
    configs:
      - source: conf
        target: /etc/app.conf
  app:
    image: berth/python:latest
    command: ["python", "-m", "http.server"]
    entrypoint: ["/bin/sh", "-c"]
    environment: {A: "1"}
    init: true
    stop_signal: SIGINT
    stop_grace_period: 3s
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
      retries: 4
    deploy:
      replicas: 3
      labels: {tier: backend}
      placement:
        constraints: [node.role == manager]
        max_replicas_per_node: 2
      update_config: {parallelism: 2, delay: 1s}
      restart_policy: {condition: on-failure, max_attempts: 5}
      resources:
        limits: {cpus: "0.5", memory: 64M}
    volumes:
      - data:/data
      - /srv:/srv:ro
    links: [db]
  db:
    image: berth/postgres:latest
    network_mode: host
volumes:
  data:
secrets:
  token:
    file: ./token.txt
configs:
  conf:
    content: hello
`;

test('the translation of a stack: ports, endpoint, policies, mounts, files, reports at their line', () => {
  const stack = load({ 'berth.yaml': FILE, 'token.txt': 'x' });
  const t = translate(stack, { read, images: { app: 'sha256:abc' } });
  const by = Object.fromEntries(t.services.map((s) => [s.service, s.spec]));
  const web = by.web!;
  const app = by.app!;
  expect(web.name).toBe('demo_web');
  expect(web.ports).toEqual([
    { target: 80, published: 8080, protocol: 'tcp', mode: 'host' },
    { target: 90, published: 9000, protocol: 'udp', mode: 'host' },
    { target: 91, published: 9001, protocol: 'udp', mode: 'host' },
  ]);
  expect(web.endpointMode).toBe('dnsrr');
  expect(web.update.order).toBe('start-first');
  expect(web.secrets).toEqual([
    {
      name: expect.stringMatching(/^demo_token-[0-9a-f]{10}$/),
      target: 'token',
      uid: '0',
      gid: '0',
      mode: 0o444,
    },
  ]);
  expect(web.configs[0]).toMatchObject({
    target: '/etc/app.conf',
    name: expect.stringMatching(/^demo_conf-/),
  });
  expect(t.objects.map((o) => [o.kind, o.key, o.data?.toString()])).toEqual([
    ['secret', 'token', 'content of token.txt'],
    ['config', 'conf', 'hello'],
  ]);

  expect(app.image).toBe('sha256:abc');
  expect(app.command).toEqual(['/bin/sh', '-c']);
  expect(app.args).toEqual(['python', '-m', 'http.server']);
  expect(app.env).toEqual(['A=1']);
  expect(app.init).toBe(true);
  expect(app.stopSignal).toBe('SIGINT');
  expect(app.stopGraceNs).toBe(3e9);
  expect(app.healthcheck).toEqual({ test: ['CMD', 'true'], intervalNs: 2e9, retries: 4 });
  expect(app.mode).toEqual({ replicated: 3 });
  expect(app.labels.tier).toBe('backend');
  expect(app.labels[Label.project]).toBe('demo');
  expect(app.placement).toEqual({ constraints: ['node.role == manager'], preferences: [], maxReplicas: 2 });
  expect(app.update).toMatchObject({ parallelism: 2, delayNs: 1e9, order: 'stop-first' });
  expect(app.restart).toEqual({ condition: 'on-failure', maxAttempts: 5 });
  expect(app.resources.limits).toEqual({ nanoCpus: 5e8, memoryBytes: 64 * 1024 * 1024 });
  expect(app.mounts.map((m) => [m.type, m.source, m.target])).toEqual([
    ['volume', 'demo_data', '/data'],
    ['bind', '/srv', '/srv'],
  ]);
  expect(app.mounts[0]!.volume!.labels[Label.project]).toBe('demo');
  expect(t.networks.map((n) => n.name)).toEqual(['demo_default']);

  expect(reportLines(t)).toEqual([
    expect.stringMatching(/^web: `container_name` \(berth\.yaml:5\): Swarm names task containers itself/),
    expect.stringMatching(/^web: `privileged` \(berth\.yaml:6\): /),
    expect.stringMatching(/^app: `links` \(berth\.yaml:43\): /),
    expect.stringMatching(/^db: `network_mode` \(berth\.yaml:46\): /),
  ]);
  expect(t.reports.find((r) => r.key === 'build')).toBeUndefined();
  expect(t.reports.find((r) => r.service === 'web' && r.key === 'depends_on')?.outcome).toBe('handled');
  expect(t.warnings.some((w) => /bound on every interface/.test(w))).toBe(true);
  expect(t.warnings.some((w) => /must exist at the same path on every node/.test(w))).toBe(true);

  // Docker's JSON: extra hosts reversed, mounts and ports in Docker's names.
  const d = dockerServiceSpec(web);
  expect(d.EndpointSpec).toEqual({
    Mode: 'dnsrr',
    Ports: [
      { TargetPort: 80, PublishedPort: 8080, Protocol: 'tcp', PublishMode: 'host' },
      { TargetPort: 90, PublishedPort: 9000, Protocol: 'udp', PublishMode: 'host' },
      { TargetPort: 91, PublishedPort: 9001, Protocol: 'udp', PublishMode: 'host' },
    ],
  });
  expect(dockerServiceSpec(app).Mode).toEqual({ Replicated: { Replicas: 3 } });
});

test('a changed secret gets a new name, so the service rolls', () => {
  const a = translate(load({ 'berth.yaml': FILE, 'token.txt': 'x' }), { read: () => Buffer.from('one') });
  const b = translate(load({ 'berth.yaml': FILE, 'token.txt': 'x' }), { read: () => Buffer.from('two') });
  const name = (t: typeof a) => t.objects.find((o) => o.key === 'token')!.name;
  expect(name(a)).not.toBe(name(b));
  expect(a.services[0]!.hash).not.toBe(b.services[0]!.hash);
});

test('mode: ingress ports keep the mesh (vip); endpoint_mode as written wins', () => {
  const t = translate(
    load({
      'berth.yaml': `services:
  a: {image: x, ports: [{target: 80, published: 8080, mode: ingress}]}
  b: {image: x, deploy: {endpoint_mode: vip}}
`,
    }),
    { read },
  );
  expect(t.services.map((s) => s.spec.endpointMode)).toEqual(['vip', 'vip']);
  expect(t.services[0]!.spec.ports[0]!.mode).toBe('ingress');
});

const observed = (service: string, hash: string, id = `id-${service}`): ObservedSwarmService => ({
  id,
  name: `demo_${service}`,
  version: 7,
  labels: { [Label.project]: 'demo', [Label.service]: service, [Label.configHash]: hash },
  healthcheck: false,
});

test('plan: create what is missing, nothing for an unchanged spec, update a changed one, dependencies first', () => {
  const stack = load({ 'berth.yaml': FILE, 'token.txt': 'x' });
  const t = translate(stack, { read });
  // links: [db] is an implicit dependency of app, as in Compose.
  expect(dependencyOrder(t)).toEqual(['db', 'app', 'web']);
  const hash = Object.fromEntries(t.services.map((s) => [s.service, s.hash]));
  expect(planDeploy(t, []).actions.map((a) => [a.service, a.do])).toEqual([
    ['db', 'create'],
    ['app', 'create'],
    ['web', 'create'],
  ]);
  const same = planDeploy(t, [
    observed('app', hash.app!),
    observed('web', hash.web!),
    observed('db', hash.db!),
  ]);
  expect(same.actions.map((a) => a.do)).toEqual(['none', 'none', 'none']);
  expect(same.orphans).toEqual([]);
  // app changed: web depends on it with restart: true → forced update; db untouched.
  const changed = planDeploy(t, [
    observed('app', 'old'),
    observed('web', hash.web!),
    observed('db', hash.db!),
    observed('gone', 'x'),
  ]);
  expect(changed.actions.map((a) => [a.service, a.do, a.force ?? false])).toEqual([
    ['db', 'none', false],
    ['app', 'update', false],
    ['web', 'update', true],
  ]);
  expect(changed.actions[1]).toMatchObject({ id: 'id-app', version: 7 });
  expect(changed.orphans.map((o) => o.name)).toEqual(['demo_gone']);
});

test('the spec hash is stable across loads and changes with the environment', () => {
  const dir = stackDir({ 'berth.yaml': FILE, 'token.txt': 'x' });
  const from = (d: string) => loadStack({ files: [], cwd: d, profiles: [], envFiles: [], env: {} });
  const one = translate(from(dir), { read });
  const two = translate(from(dir), { read });
  expect(one.services.map((s) => s.hash)).toEqual(two.services.map((s) => s.hash));
  writeFileSync(path.join(dir, 'berth.yaml'), FILE.replace('A: "1"', 'A: "2"'));
  const edited = translate(from(dir), { read });
  const h = (t: typeof one, s: string) => t.services.find((x) => x.service === s)!.hash;
  expect(h(edited, 'app')).not.toBe(h(one, 'app'));
  expect(h(edited, 'web')).toBe(h(one, 'web'));
});
