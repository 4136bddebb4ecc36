// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings under test are Compose interpolation syntax
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import * as specIndex from '../../src/compose/index.js';
import { listClients } from '../../src/compose/index.js';
import { load, loadError, stackDir } from './compose-helpers.js';

describe('discovery and names', () => {
  test('berth.yaml wins over compose.yaml; the directory names the stack', () => {
    const s = load({
      'berth.yaml': 'services:\n  a:\n    image: x\n',
      'compose.yaml': 'services:\n  b:\n    image: y\n',
    });
    expect(Object.keys(s.services)).toEqual(['a']);
    expect(s.name).toBe('proj');
    expect(s.project).toBe('proj');
  });
  test('compose.override.yaml is merged after compose.yaml', () => {
    const s = load({
      'compose.yaml': 'services:\n  a:\n    image: x\n',
      'compose.override.yaml': 'services:\n  a:\n    image: y\n',
    });
    expect(s.services.a!.image).toBe('y');
    expect(s.files.map((f) => path.basename(f))).toEqual(['compose.yaml', 'compose.override.yaml']);
  });
  test('no file: a clear error', () => {
    expect(loadError({})).toMatch(/no stack file in .*\nhint: create one of berth.yaml, compose.yaml/);
  });
  test('-p, then COMPOSE_PROJECT_NAME, then name:, then the directory (normalized)', () => {
    const files = { 'compose.yaml': 'name: fromfile\nservices:\n  a:\n    image: x\n' };
    expect(load(files).name).toBe('fromfile');
    expect(load(files, { env: { COMPOSE_PROJECT_NAME: 'fromenv' } }).name).toBe('fromenv');
    expect(load(files, { projectName: 'cli', env: { COMPOSE_PROJECT_NAME: 'fromenv' } }).name).toBe('cli');
    const dir = stackDir({ 'compose.yaml': 'services:\n  a:\n    image: x\n' }, 'My.Project');
    expect(specIndex.loadStack({ files: [], cwd: dir, profiles: [], envFiles: [], env: {} }).name).toBe(
      'myproject',
    );
    expect(() => load(files, { projectName: 'Bad Name' })).toThrow(/not a valid project name/);
  });
  test('a build-only service is tagged <stack>-<service>; build context is absolute', () => {
    const s = load({ 'compose.yaml': 'services:\n  web:\n    build: ./app\n' });
    expect(s.services.web!.image).toBe('proj-web');
    expect(s.services.web!.build!.context).toMatch(/proj\/app$/);
    expect(path.isAbsolute(s.services.web!.build!.context)).toBe(true);
    expect(s.services.web!.build!.dockerfile).toBe('Dockerfile');
    expect(s.services.web!.pull_policy).toBe('build');
  });
});

describe('interpolation', () => {
  const file = (v: string) => ({
    'compose.yaml': `services:\n  a:\n    image: x\n    environment:\n      V: "${v}"\n`,
  });
  const env = (v: string, e: Record<string, string> = {}) =>
    load(file(v), { env: e }).services.a!.environment.V;
  test('forms', () => {
    expect(env('${A}', { A: '1' })).toBe('1');
    expect(env('$A-x', { A: '1' })).toBe('1-x');
    expect(env('${A:-d}')).toBe('d');
    expect(env('${A:-d}', { A: '' })).toBe('d');
    expect(env('${A-d}', { A: '' })).toBe('');
    expect(env('${A-d}')).toBe('d');
    expect(env('${A:+r}', { A: '1' })).toBe('r');
    expect(env('${A+r}')).toBe('');
    expect(env('$$A')).toBe('$A');
    expect(env('${A:-${B:-deep}}')).toBe('deep');
    expect(env('${A:?need}', { A: 'ok' })).toBe('ok');
  });
  test('names of Object.prototype members are just unset variables', () => {
    const s = load(file('${constructor}${toString:-d}'));
    expect(s.services.a!.environment.V).toBe('d');
    expect(s.warnings.join()).toMatch(/constructor is not set/);
  });
  test('required variables fail with the message and the line', () => {
    expect(loadError(file('${A:?please set A}'))).toMatch(
      /compose.yaml:5:10: .*required variable A is unset or empty: please set A/,
    );
    expect(loadError(file('${A?}'))).toMatch(/required variable A is unset/);
  });
  test('an unset variable warns once and becomes empty', () => {
    const s = load({ 'compose.yaml': 'services:\n  a:\n    image: "x${T}"\n    command: echo ${T}\n' });
    expect(s.services.a!.image).toBe('x');
    expect(s.warnings.filter((w) => w.includes('T is not set'))).toHaveLength(1);
  });
  test('shell env wins over .env; .env next to the file; --env-file replaces it', () => {
    const files = {
      'compose.yaml': 'services:\n  a:\n    image: "x:${TAG}"\n',
      '.env': '# comment\nexport TAG=fromdotenv # trailing comment\n',
      'other.env': "TAG='single $quoted'\n",
    };
    expect(load(files).services.a!.image).toBe('x:fromdotenv');
    expect(load(files, { env: { TAG: 'shell' } }).services.a!.image).toBe('x:shell');
    const dir = stackDir(files);
    const s = specIndex.loadStack({ files: [], cwd: dir, profiles: [], envFiles: ['other.env'], env: {} });
    expect(s.services.a!.image).toBe('x:single $quoted');
  });
  test('.env: double quotes, escapes, empty values, references to earlier lines', () => {
    const s = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    environment:\n      A: ${A}\n      B: ${B}\n      C: ${C}\n',
      '.env': 'A="line1\\nline2"\nB=\nC=${A_MISSING:-c}-$B',
    });
    expect(s.services.a!.environment).toEqual({ A: 'line1\nline2', B: '', C: 'c-' });
  });
});

describe('normalization', () => {
  test('ports: short, long, ranges, IPv6, protocols; default host IP 127.0.0.1', () => {
    const s = load({
      'compose.yaml': `services:
  a:
    image: x
    ports:
      - 3000
      - "8080:80"
      - "0.0.0.0:5432:5432/udp"
      - "8000-8001:80-81"
      - "[::1]:9000:9000"
      - "9100-9110:91"
      - target: 443
        published: 8443
        protocol: tcp
`,
    });
    expect(s.services.a!.ports).toEqual([
      { target: 3000, published: undefined, host_ip: '127.0.0.1', protocol: 'tcp' },
      { target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' },
      { target: 5432, published: '5432', host_ip: '0.0.0.0', protocol: 'udp' },
      { target: 80, published: '8000', host_ip: '127.0.0.1', protocol: 'tcp' },
      { target: 81, published: '8001', host_ip: '127.0.0.1', protocol: 'tcp' },
      { target: 9000, published: '9000', host_ip: '::1', protocol: 'tcp' },
      { target: 91, published: '9100-9110', host_ip: '127.0.0.1', protocol: 'tcp' },
      {
        target: 443,
        published: '8443',
        host_ip: '127.0.0.1',
        protocol: 'tcp',
        mode: undefined,
        name: undefined,
        app_protocol: undefined,
      },
    ]);
  });
  test('volumes: bind (relative, ~), named, anonymous, long syntax, tmpfs', () => {
    const s = load(
      {
        'compose.yaml': `services:
  a:
    image: x
    volumes:
      - ./src:/app:ro
      - ~/cache:/cache
      - data:/data
      - /anon
      - type: tmpfs
        target: /tmp
        tmpfs:
          size: 1m
volumes:
  data:
`,
      },
      { env: { HOME: '/home/u' } },
    );
    const [bind, home, named, anon, tmpfs] = s.services.a!.volumes;
    expect(bind).toMatchObject({ type: 'bind', target: '/app', read_only: true });
    expect(bind!.source).toMatch(/proj\/src$/);
    expect(home!.source).toBe('/home/u/cache');
    expect(named).toEqual({ type: 'volume', source: 'data', target: '/data', read_only: false });
    expect(anon).toEqual({ type: 'volume', target: '/anon', read_only: false });
    expect(tmpfs).toMatchObject({ type: 'tmpfs', target: '/tmp', tmpfs: { size: 1024 * 1024 } });
    expect(s.volumes.data!.name).toBe('proj_data');
  });
  test('environment list or map; numbers and booleans become strings; bare names come from the env', () => {
    const s = load(
      {
        'compose.yaml':
          'services:\n  a:\n    image: x\n    environment:\n      - A=1\n      - B\n      - C\n  b:\n    image: x\n    environment:\n      N: 5\n      T: true\n      E:\n',
      },
      { env: { B: 'fromshell' } },
    );
    expect(s.services.a!.environment).toEqual({ A: '1', B: 'fromshell' });
    const colon = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    environment:\n      - JAVA_OPTS=-Dx=1\n      - URL:x\n',
    });
    expect(colon.services.a!.environment).toEqual({ JAVA_OPTS: '-Dx=1' });
    expect(s.services.b!.environment).toEqual({ N: '5', T: 'true' });
  });
  test('env_file (string, list, long form with required: false) under environment', () => {
    const s = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    env_file:\n      - common.env\n      - path: missing.env\n        required: false\n    environment:\n      B: fromfile\n',
      'common.env': 'A=1\nB=2\n',
    });
    expect(s.services.a!.environment).toEqual({ A: '1', B: 'fromfile' });
  });
  test('depends_on short and long; healthcheck durations; command strings split like a shell', () => {
    const s = load({
      'compose.yaml': `services:
  a:
    image: x
    command: sh -c 'echo "hi there"'
    entrypoint: ["/bin/tini", "--"]
    depends_on:
      b:
        condition: service_healthy
        restart: true
      c:
        condition: service_completed_successfully
        required: false
  b:
    image: x
    healthcheck:
      test: curl -f localhost
      interval: 1m30s
      timeout: 500ms
      start_period: 10
      retries: 3
  c:
    image: x
    healthcheck:
      disable: true
    depends_on: [b]
`,
    });
    const a = s.services.a!;
    expect(a.command).toEqual(['sh', '-c', 'echo "hi there"']);
    expect(a.entrypoint).toEqual(['/bin/tini', '--']);
    expect(a.depends_on).toEqual({
      b: { condition: 'service_healthy', required: true, restart: true },
      c: { condition: 'service_completed_successfully', required: false, restart: false },
    });
    expect(s.services.b!.healthcheck).toMatchObject({
      test: ['CMD-SHELL', 'curl -f localhost'],
      intervalMs: 90_000,
      timeoutMs: 500,
      startPeriodMs: 10_000,
      retries: 3,
      disable: false,
    });
    expect(s.services.c!.healthcheck).toMatchObject({ test: ['NONE'], disable: true });
    expect(s.services.c!.depends_on.b!.condition).toBe('service_started');
  });
  test('links, volumes_from and service: namespaces imply dependencies, marked as such', () => {
    const s = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    links: [b]\n    volumes_from: [c:ro]\n    network_mode: service:d\n  b:\n    image: x\n  c:\n    image: x\n  d:\n    image: x\n',
    });
    expect(s.services.a!.depends_on).toEqual({
      b: { condition: 'service_started', required: true, restart: false, implicit: 'links' },
      c: { condition: 'service_started', required: true, restart: false, implicit: 'volumes_from' },
      d: { condition: 'service_started', required: true, restart: false, implicit: 'network_mode' },
    });
  });
  test('networks: default when none; declared ones; aliases; network_mode leaves none', () => {
    const s = load({
      'compose.yaml': `services:
  a:
    image: x
  b:
    image: x
    networks:
      back:
        aliases: [db]
        ipv4_address: 172.28.0.5
  c:
    image: x
    network_mode: host
networks:
  back:
    ipam:
      config:
        - subnet: 172.28.0.0/16
`,
    });
    expect(s.services.a!.networks).toEqual({ default: { aliases: [] } });
    expect(s.services.b!.networks.back).toMatchObject({ aliases: ['db'], ipv4_address: '172.28.0.5' });
    expect(s.services.c!.networks).toEqual({});
    expect(s.networks.default!.name).toBe('proj_default');
    expect(s.networks.back!.ipam!.config[0]!.subnet).toBe('172.28.0.0/16');
  });
  test('resources, ulimits, extra_hosts, sysctls, labels, secrets as read-only binds', () => {
    const s = load({
      'compose.yaml': `services:
  a:
    image: x
    deploy:
      replicas: 3
      resources:
        limits: { cpus: "0.5", memory: 1.5G, pids: 100 }
        reservations: { memory: 256m }
    ulimits:
      nofile: { soft: 1024, hard: 2048 }
      nproc: 65535
    extra_hosts:
      - "host.docker.internal=host-gateway"
      - "db:10.0.0.2"
    sysctls: [net.core.somaxconn=1024]
    labels: { team: core }
    secrets:
      - pw
      - source: pw
        target: other
secrets:
  pw:
    file: ./pw.txt
`,
    });
    const a = s.services.a!;
    expect(a.replicas).toBe(3);
    expect(a.resources).toEqual({
      nanoCpus: 5e8,
      memoryBytes: 1.5 * 1024 ** 3,
      pidsLimit: 100,
      memoryReservationBytes: 256 * 1024 ** 2,
    });
    expect(a.ulimits).toEqual({ nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 65535, hard: 65535 } });
    expect(a.extra_hosts).toEqual(['host.docker.internal:host-gateway', 'db:10.0.0.2']);
    expect(a.sysctls).toEqual({ 'net.core.somaxconn': '1024' });
    expect(a.labels).toEqual({ team: 'core' });
    expect(a.volumes.map((v) => [v.target, v.read_only])).toEqual([
      ['/run/secrets/pw', true],
      ['/run/secrets/other', true],
    ]);
  });
  test('x- extensions, anchors, aliases and merge keys', () => {
    const s = load({
      'compose.yaml': `x-common: &common
  image: base:1
  environment:
    A: "1"
  x-note: ignored
services:
  a:
    <<: *common
    environment:
      B: "2"
  b:
    <<: *common
    image: other
`,
    });
    expect(s.services.a!.image).toBe('base:1');
    expect(s.services.a!.environment).toEqual({ B: '2' });
    expect(s.services.b!.image).toBe('other');
    expect(s.services.b!.environment).toEqual({ A: '1' });
  });
  test('warnings: ports with network_mode host; service_healthy on a service without a healthcheck', () => {
    const s = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    network_mode: host\n    ports: ["80:80"]\n    depends_on:\n      b:\n        condition: service_healthy\n  b:\n    image: x\n',
    });
    expect(s.warnings.join('\n')).toMatch(/`ports` are ignored with `network_mode: host`/);
    expect(s.warnings.join('\n')).toMatch(/waits for `b` to be healthy, but `b` has no healthcheck/);
  });
  test('the same host port on different host IPs, or on tcp and udp, is fine', () => {
    const s = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    ports: ["127.0.0.1:53:53/udp", "127.0.0.1:53:53"]\n  b:\n    image: x\n    ports: ["127.0.0.2:53:53/udp"]\n  c:\n    image: x\n    deploy: { replicas: 2 }\n    ports: ["9000-9001:80", "80"]\n',
    });
    expect(s.services.c!.ports.map((p) => p.published)).toEqual(['9000-9001', undefined]);
  });
  test('version: warns and is ignored', () => {
    const s = load({ 'compose.yaml': 'version: "3.8"\nservices:\n  a:\n    image: x\n' });
    expect(s.warnings.join('\n')).toMatch(/compose.yaml:1: the top-level `version` is obsolete/);
  });
});

describe('merging files', () => {
  const base = `services:
  web:
    image: web:1
    command: ["serve", "--port", "80"]
    environment:
      A: "1"
      B: "1"
    ports:
      - "8080:80"
    volumes:
      - ./a:/data
    labels: [x=1]
    cap_add: [NET_ADMIN]
`;
  test('maps by key, env/labels by variable, ports/volumes by target, command replaces, lists append', () => {
    const s = load(
      {
        'compose.yaml': base,
        'over.yaml': `services:
  web:
    command: serve
    environment:
      - B=2
      - C=3
    ports:
      - "9090:80"
      - "9443:443"
    volumes:
      - ./b:/data
    labels:
      y: "2"
    cap_add: [SYS_PTRACE]
`,
      },
      { files: ['compose.yaml', 'over.yaml'] },
    );
    const w = s.services.web!;
    expect(w.command).toEqual(['serve']);
    expect(w.environment).toEqual({ A: '1', B: '2', C: '3' });
    expect(w.ports.map((p) => `${p.published}:${p.target}`)).toEqual(['9090:80', '9443:443']);
    expect(w.volumes).toHaveLength(1);
    expect(w.volumes[0]!.source).toMatch(/\/b$/);
    expect(w.labels).toEqual({ x: '1', y: '2' });
    expect(w.cap_add).toEqual(['NET_ADMIN', 'SYS_PTRACE']);
  });
  test('!reset removes and !override replaces', () => {
    const s = load(
      {
        'compose.yaml': base,
        'over.yaml': 'services:\n  web:\n    ports: !reset []\n    environment: !override\n      Z: "9"\n',
      },
      { files: ['compose.yaml', 'over.yaml'] },
    );
    expect(s.services.web!.ports).toEqual([]);
    expect(s.services.web!.environment).toEqual({ Z: '9' });
  });
  test('!reset on a whole service removes it', () => {
    const s = load(
      { 'compose.yaml': `${base}  dbg:\n    image: y\n`, 'over.yaml': 'services:\n  dbg: !reset null\n' },
      { files: ['compose.yaml', 'over.yaml'] },
    );
    expect(Object.keys(s.services)).toEqual(['web']);
  });
  test('an error in the second file points into the second file', () => {
    const msg = loadError(
      { 'compose.yaml': base, 'over.yaml': 'services:\n  web:\n    ports:\n      - "99999:80"\n' },
      { files: ['compose.yaml', 'over.yaml'] },
    );
    expect(msg).toMatch(/^over.yaml:4:9: .*99999/);
  });
});

describe('extends and profiles', () => {
  test('extends in the same file and from another file (paths stay relative to that file)', () => {
    const s = load({
      'compose.yaml': `services:
  base:
    image: x
    environment: { A: "1" }
  web:
    extends: base
    environment: { B: "2" }
  worker:
    extends:
      file: common/services.yaml
      service: job
`,
      'common/services.yaml': 'services:\n  job:\n    build: ./job\n    command: run\n',
    });
    expect(s.services.web!.environment).toEqual({ A: '1', B: '2' });
    expect(s.services.web!.image).toBe('x');
    expect(s.services.worker!.build!.context).toMatch(/proj\/common\/job$/);
    expect(s.services.worker!.command).toEqual(['run']);
  });
  test('profiles: off by default, on with --profile or COMPOSE_PROFILES', () => {
    const files = {
      'compose.yaml': 'services:\n  a:\n    image: x\n  dbg:\n    image: x\n    profiles: [debug]\n',
    };
    expect(Object.keys(load(files).services)).toEqual(['a']);
    expect(load(files).disabledServices).toEqual(['dbg']);
    expect(load(files).profiles).toEqual(['debug']);
    expect(Object.keys(load(files, { services: ['dbg'] }).services)).toEqual(['a', 'dbg']);
    expect(Object.keys(load(files, { profiles: ['debug'] }).services)).toEqual(['a', 'dbg']);
    expect(Object.keys(load(files, { env: { COMPOSE_PROFILES: 'x,debug' } }).services)).toEqual(['a', 'dbg']);
  });
  test('a dependency with required: false on a disabled service is dropped', () => {
    const s = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    depends_on:\n      dbg:\n        condition: service_started\n        required: false\n  dbg:\n    image: x\n    profiles: [debug]\n',
    });
    expect(Object.keys(s.services)).toEqual(['a']);
  });
});

describe('clients', () => {
  const files = {
    'berth.yaml': `services:
  db:
    image: "pg:\${PG_VERSION:-15}"
    environment:
      POSTGRES_DB: \${DB_NAME:-app}
    ports:
      - "5432:5432"
x-berth:
  clients:
    inline:
      env:
        DB_NAME: inline_db
      overlay:
        services:
          db:
            ports:
              - "6432:5432"
`,
    'clients/acme.yaml': 'services:\n  db:\n    ports:\n      - "7432:5432"\n',
    'clients/acme.env': 'DB_NAME=acme_db\nPG_VERSION=16\n',
    'clients/envonly.env': 'DB_NAME=e\n',
  };
  test('file overlay + client env; project is <stack>-<client>; images stay shared', () => {
    const s = load(files, { client: 'acme' });
    expect(s.project).toBe('proj-acme');
    expect(s.client).toBe('acme');
    expect(s.services.db!.image).toBe('pg:16');
    expect(s.services.db!.environment.POSTGRES_DB).toBe('acme_db');
    expect(s.services.db!.ports.map((p) => p.published)).toEqual(['7432']);
    expect(s.networks.default!.name).toBe('proj-acme_default');
  });
  test('shell env beats client env', () => {
    expect(
      load(files, { client: 'acme', env: { DB_NAME: 'shell' } }).services.db!.environment.POSTGRES_DB,
    ).toBe('shell');
  });
  test('inline client under x-berth.clients', () => {
    const s = load(files, { client: 'inline' });
    expect(s.project).toBe('proj-inline');
    expect(s.services.db!.environment.POSTGRES_DB).toBe('inline_db');
    expect(s.services.db!.ports.map((p) => p.published)).toEqual(['6432']);
  });
  test("another client's inline overlay does not need its variables", () => {
    const f = {
      'berth.yaml':
        'services:\n  a:\n    image: x\nx-berth:\n  clients:\n    b:\n      overlay:\n        services:\n          a:\n            image: ${B_IMAGE:?set B_IMAGE}\n',
    };
    expect(load(f).services.a!.image).toBe('x');
    expect(loadError(f, { client: 'b' })).toMatch(/berth.yaml:10:20: .*required variable B_IMAGE/);
    expect(load(f, { client: 'b', env: { B_IMAGE: 'y' } }).services.a!.image).toBe('y');
  });
  test('unknown client lists the known ones; listClients finds both forms', () => {
    expect(loadError(files, { client: 'nope' })).toMatch(
      /unknown client `nope`\nhint: known clients: acme, envonly, inline/,
    );
    const dir = stackDir(files);
    expect(listClients(dir)).toEqual(['acme', 'envonly', 'inline']);
    const s = specIndex.loadStack({ files: [], cwd: dir, profiles: [], envFiles: [], env: {} });
    expect(listClients(s)).toEqual(['acme', 'envonly', 'inline']);
  });
  test('an error in the overlay file points into the overlay file', () => {
    const msg = loadError(
      { ...files, 'clients/acme.yaml': 'services:\n  db:\n    portz: []\n' },
      { client: 'acme' },
    );
    expect(msg).toMatch(/^clients\/acme.yaml:3:5: .*unknown key `portz`/);
  });
});

describe('include', () => {
  test('included files join the stack; their relative paths stay relative to them', () => {
    const s = load({
      'compose.yaml':
        'include:\n  - db/compose.yaml\nservices:\n  web:\n    image: x\n    depends_on: [db]\n',
      'db/compose.yaml':
        'services:\n  db:\n    build: .\n    volumes:\n      - ./init:/docker-entrypoint-initdb.d\n      - data:/var/lib/db\nvolumes:\n  data:\n',
    });
    expect(Object.keys(s.services)).toEqual(['db', 'web']);
    expect(s.services.db!.build!.context).toMatch(/proj\/db$/);
    expect(s.services.db!.volumes[0]!.source).toMatch(/proj\/db\/init$/);
    expect(s.volumes.data!.name).toBe('proj_data');
    expect(s.files.map((f) => path.relative(s.workingDir, f))).toEqual(['compose.yaml', 'db/compose.yaml']);
  });
  test('a service defined in both is a conflict at its line; errors inside point into the included file', () => {
    expect(
      loadError({
        'compose.yaml': 'include:\n  - other.yaml\nservices:\n  web:\n    image: x\n',
        'other.yaml': 'services:\n  web:\n    image: y\n',
      }),
    ).toMatch(/^compose.yaml:4:3: .*service `web` is also defined in an included file/);
    expect(
      loadError({
        'compose.yaml': 'include:\n  - other.yaml\nservices:\n  web:\n    image: x\n',
        'other.yaml': 'services:\n  db:\n    image: y\n    ports: ["99999:1"]\n',
      }),
    ).toMatch(/^other.yaml:4:13: .*99999/);
  });
});

describe('a broad real-world file (fixtures/spec/kitchen-sink)', () => {
  const file = path.resolve(import.meta.dirname, '../../fixtures/spec/kitchen-sink/compose.yaml');
  const cwd = path.dirname(file);
  const base = { files: [file], cwd, profiles: [], envFiles: [], env: {} };
  test('loads with the warnings a user should see, and the values they meant', () => {
    const s = specIndex.loadStack(base);
    expect(s.name).toBe('kitchen');
    expect(Object.keys(s.services)).toEqual(['proxy', 'app', 'db', 'sidecar']);
    expect(s.disabledServices).toEqual(['worker']);
    expect(s.warnings.map((w) => w.replace(/^.*compose.yaml:\d+: /, ''))).toEqual([
      'the top-level `version` is obsolete and ignored',
    ]);
    const { proxy, app, db } = s.services;
    expect(proxy!.image).toBe('docker.io/library/nginx:1.27-alpine');
    expect(proxy!.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
    expect(proxy!.ports[1]).toEqual({
      target: 8443,
      published: undefined,
      host_ip: '127.0.0.1',
      protocol: 'tcp',
    });
    expect(proxy!.ports.filter((p) => p.protocol === 'udp').map((p) => p.target)).toEqual([9000, 9001]);
    expect(app!.command).toEqual(['sh', '-c', 'npm ci && npm run dev']);
    expect(app!.environment).toMatchObject({ DEBUG: 'false', PRICE: '$5', API_KEY: 'abc' });
    expect(app!.tty).toBe(true);
    expect(app!.replicas).toBe(2);
    // deploy.restart_policy is applied to the container, as Compose does
    expect(app!.restart).toBe('on-failure');
    expect(app!.stopGracePeriodMs).toBe(90_000);
    expect(app!.ulimits.memlock).toEqual({ soft: -1, hard: -1 });
    expect(app!.volumes.map((v) => v.target)).toEqual(['/run/secrets/db_password', '/app_config']);
    expect(db!.resources.shmSizeBytes).toBe(256 * 1024 * 1024);
    expect(db!.restart).toBe('no');
    expect(s.volumes.static).toMatchObject({ external: true, name: 'shared-static' });
  });
  test('with --profile jobs the extended worker joins, with its own overrides', () => {
    const s = specIndex.loadStack({ ...base, profiles: ['jobs'] });
    const w = s.services.worker!;
    expect(w.command).toEqual(['npm', 'run', 'worker']);
    expect(w.replicas).toBe(1);
    expect(w.healthcheck!.disable).toBe(true);
    expect(w.build!.dockerfile).toBe('docker/Dockerfile.dev');
  });
});
