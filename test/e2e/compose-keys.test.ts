// Compose keys berth used to reject, on the real engine (Docker 20.10, API 1.41): what the engine honours is
// checked from inside the containers and on the engine's objects; what it cannot do stops `up` with the key,
// its line and the API it needs, before anything is created.
import { readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, execIn, uniqueProject } from './helpers.js';
import { engineContainers, ok, stackCli, tempCompose } from './up-cli.js';

/** Remove what a test made by name (the engine objects it created itself, outside any berth project). */
async function removeNamed(containers: string[], networks: string[]): Promise<void> {
  for (const c of containers)
    await docker
      .getContainer(c)
      .remove({ force: true })
      .catch(() => {});
  for (const n of networks)
    await docker
      .getNetwork(n)
      .remove()
      .catch(() => {});
}

/** cgroup directories the engine made for a `cgroup_parent` stay behind when the container goes: remove ours. */
function removeCgroupParent(name: string): void {
  let controllers: string[] = [];
  try {
    controllers = readdirSync('/sys/fs/cgroup');
  } catch {
    return;
  }
  for (const c of controllers) {
    try {
      rmdirSync(path.join('/sys/fs/cgroup', c, name));
    } catch {
      /* not there, or not ours to remove */
    }
  }
}

describe('keys the engine honours', () => {
  const project = uniqueProject('compose-keys');
  const legacy = `${project}-legacy`;
  const extNet = `${project}-ext`;
  const cgParent = `${project}-cg`;
  // a /24 in 10.231.0.0/16, away from the engine's default pools (172.17-31.x, 192.168.x)
  const net = `10.231.${Math.floor(Math.random() * 250) + 1}`;
  const mac = '02:42:0a:e7:00:99';
  const text = `services:
  app:
    image: berth/busybox
    command: [sleep, '3600']
    stop_signal: SIGKILL
    cgroup_parent: ${cgParent}
    device_cgroup_rules: ['c 13:37 r']
    external_links: ['${legacy}:legacy']
    label_file: ./app.labels
    labels:
      tier: web
    secrets:
      - token
      - source: token
        target: token-ro
        mode: 0440
        uid: "1000"
        gid: "1001"
    configs:
      - source: app_conf
        target: /etc/app/app.ini
        mode: 0600
    networks:
      front:
        priority: 10
        mac_address: ${mac}
        link_local_ips: [169.254.10.10]
      ext: {}
  hosty:
    image: berth/busybox
    command: [sleep, '3600']
    stop_signal: SIGKILL
    uts: host
secrets:
  token:
    environment: BT_TOKEN
configs:
  app_conf:
    content: |
      [app]
      port = 8080
networks:
  front:
    ipam:
      options: { com.example.pool: dev }
      config:
        - subnet: ${net}.0/24
          aux_addresses: { reserved: ${net}.5 }
  ext:
    external: true
    name: ${extNet}
`;
  const { dir, file } = tempCompose('compose-keys', text);
  writeFileSync(path.join(dir, 'app.labels'), '# team labels\ncom.example.team=core\ntier=backend\n');
  const cli = (token: string) => stackCli(project, file, { BT_TOKEN: token });

  beforeAll(async () => {
    // the container external_links points at, on a network of its own that the stack declares external
    await docker.createNetwork({ Name: extNet, CheckDuplicate: true });
    const c = await docker.createContainer({
      name: legacy,
      Image: 'berth/busybox',
      Cmd: ['sleep', '3600'],
      StopSignal: 'SIGKILL',
      HostConfig: { NetworkMode: extNet },
    });
    await c.start();
  });
  afterAll(async () => {
    await cleanupProject(project);
    await removeNamed([legacy], [extNet]);
    removeCgroupParent(cgParent);
    rmSync(dir, { recursive: true, force: true });
  });

  test('up: secrets and configs from environment/content, cgroups, links, labels, networks, uts', async () => {
    ok(await cli('first-value').run('up', '-d'));

    // secrets from `environment:` at /run/secrets, the default mode 0444 and the file's own 0440, uid, gid
    expect(await execIn(project, 'app', ['cat', '/run/secrets/token'])).toBe('first-value');
    const stat = (p: string) => execIn(project, 'app', ['stat', '-c', '%a %u %g %s', p]);
    expect((await stat('/run/secrets/token')).trim()).toBe('444 0 0 11');
    expect((await stat('/run/secrets/token-ro')).trim()).toBe('440 1000 1001 11');
    // a config from `content:` at its target, with its mode
    expect(await execIn(project, 'app', ['cat', '/etc/app/app.ini'])).toBe('[app]\nport = 8080\n');
    expect((await stat('/etc/app/app.ini')).trim()).toBe('600 0 0 18');

    // cgroup_parent and device_cgroup_rules, as the container's own cgroups see them (cgroup v1 here)
    expect(await execIn(project, 'app', ['cat', '/proc/self/cgroup'])).toContain(`:/${cgParent}/`);
    expect(await execIn(project, 'app', ['cat', '/sys/fs/cgroup/devices/devices.list'])).toMatch(
      /^c 13:37 r$/m,
    );

    // external_links: the outside container answers to its alias on the network they share
    const legacyIp = (await docker.getContainer(legacy).inspect()).NetworkSettings.Networks[extNet]!
      .IPAddress;
    expect(await execIn(project, 'app', ['nslookup', 'legacy'])).toContain(legacyIp);

    // label_file under labels
    const [app] = (await engineContainers(project)).filter((c) => c.labels['dev.berth.service'] === 'app');
    expect(app!.labels).toMatchObject({ 'com.example.team': 'core', tier: 'web' });

    // ipam aux_addresses and options on the network; the endpoint's MAC and link-local address
    const front = await docker.getNetwork(`${project}_front`).inspect();
    expect(front.IPAM?.Config?.[0]).toMatchObject({
      Subnet: `${net}.0/24`,
      AuxiliaryAddresses: { reserved: `${net}.5` },
    });
    expect(front.IPAM?.Options).toEqual({ 'com.example.pool': 'dev' });
    const addr = await execIn(project, 'app', ['ip', 'addr']);
    expect(addr).toContain(`link/ether ${mac}`);
    expect(addr).toContain('inet 169.254.10.10/');

    // uts: host shares the host's hostname
    expect((await execIn(project, 'hosty', ['hostname'])).trim()).toBe(hostname());
  });

  test('a changed secret value recreates the container and the new value is in it', async () => {
    const before = (await engineContainers(project)).find((c) => c.labels['dev.berth.service'] === 'app')!;
    ok(await cli('second-value').run('up', '-d'));
    const after = (await engineContainers(project)).find((c) => c.labels['dev.berth.service'] === 'app')!;
    expect(after.id).not.toBe(before.id);
    expect(await execIn(project, 'app', ['cat', '/run/secrets/token'])).toBe('second-value');
    // hosty has no files: untouched
    const hosty = (await engineContainers(project)).filter((c) => c.labels['dev.berth.service'] === 'hosty');
    expect(hosty).toHaveLength(1);
  });
});

describe('what this engine cannot do stops up before anything exists', () => {
  const project = uniqueProject('compose-keys');
  const created: string[] = [];
  afterAll(async () => {
    await cleanupProject(project);
    for (const d of created) rmSync(d, { recursive: true, force: true });
  });

  test('interface_name, gw_priority, an image volume, a MAC on a second network: exit 2, key, line, API', async () => {
    const { dir, file } = tempCompose(
      'compose-keys',
      `services:
  app:
    image: berth/busybox
    command: [sleep, '3600']
    volumes:
      - type: image
        source: berth/debian-stack
        target: /opt/stack
    networks:
      front:
        interface_name: eth3
      back:
        gw_priority: 1
        mac_address: 02:42:0a:e7:00:42
networks:
  front: {}
  back: {}
`,
    );
    created.push(dir);
    const run = await stackCli(project, file).run('up', '-d');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'compose.yaml:6:9: `services.app.volumes[0].type: image` needs Docker Engine API 1.48 (Docker Engine 28.0); this engine speaks API 1.41',
    );
    expect(run.stderr).toContain(
      'compose.yaml:11:9: `services.app.networks.front.interface_name` needs Docker Engine API 1.49',
    );
    expect(run.stderr).toContain(
      'compose.yaml:13:9: `services.app.networks.back.gw_priority` needs Docker Engine API 1.48',
    );
    expect(run.stderr).toContain(
      'compose.yaml:14:9: `services.app.networks.back.mac_address` needs Docker Engine API 1.44',
    );
    expect(run.stderr).toContain('nothing was created');
    expect(await engineContainers(project)).toEqual([]);
    const nets = await docker.listNetworks({
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
    });
    expect(nets).toEqual([]);
  });

  test('a secret whose variable is unset: exit 2 at its line, nothing created', async () => {
    const { dir, file } = tempCompose(
      'compose-keys',
      `services:
  app:
    image: berth/busybox
    command: [sleep, '3600']
    stop_signal: SIGKILL
    secrets: [token]
secrets:
  token:
    environment: BT_UNSET_TOKEN
`,
    );
    created.push(dir);
    const run = await stackCli(project, file).run('up', '-d');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /compose\.yaml:9:\d+: environment variable BT_UNSET_TOKEN required by secret `token` \(service "app"\) is not set/,
    );
    expect(await engineContainers(project)).toEqual([]);
    // `config` still works (Compose reads the value only to create the container), with a warning
    const config = await stackCli(project, file).run('config');
    expect(config.code).toBe(0);
    expect(config.stderr).toMatch(/compose\.yaml:9: environment variable BT_UNSET_TOKEN required by secret/);
    // an empty value is a value: up goes ahead, and as in Compose an empty secret makes no file
    const empty = await stackCli(project, file, { BT_UNSET_TOKEN: '' }).run('up', '-d');
    ok(empty);
    expect(empty.stderr).toMatch(/secret `token` is empty: no file is created/);
    expect(await execIn(project, 'app', ['ls', '/run/secrets'])).toMatch(/No such file|^$/);
  });
});

describe('storage_opt on overlay2 without quota', () => {
  const project = uniqueProject('compose-keys');
  let dir = '';
  afterAll(async () => {
    await cleanupProject(project);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the engine refuses it, and the message names the key and its line', async () => {
    const info = await docker.info();
    const t = tempCompose(
      'compose-keys',
      `services:
  app:
    image: berth/busybox
    command: [sleep, '3600']
    storage_opt:
      size: 20M
`,
    );
    dir = t.dir;
    const run = await stackCli(project, t.file).run('up', '-d');
    const overlayWithoutQuota =
      info.Driver === 'overlay2' &&
      !(info.DriverStatus as Array<[string, string]>).some(([k, v]) => /backing/i.test(k) && /xfs/i.test(v));
    // this machine: overlay2 on a file system without project quota
    expect(overlayWithoutQuota).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(
      /`storage_opt` \(\S*compose\.yaml:5\) was refused by the engine: --storage-opt is supported only for overlay over xfs with 'pquota' mount option/,
    );
    expect(await engineContainers(project)).toEqual([]);
  });
});
