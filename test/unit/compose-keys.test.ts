// biome-ignore-all lint/suspicious/noTemplateCurlyInString: label files use Compose interpolation syntax
// Compose keys berth used to reject: each one from the file, through its normalized value, to what the engine
// is asked (create options, network options, the checks before `up`).
import { describe, expect, test } from 'vitest';
import type { Stack } from '../../src/model/stack.js';
import {
  apiAtLeast,
  containerForReplica,
  containerTemplate,
  createBlockers,
  FILES_LABEL,
} from '../../src/engine/create-options.js';
import { networkOptions } from '../../src/engine/networks.js';
import { load, loadError } from './compose-helpers.js';

const compose = (text: string, files: Record<string, string> = {}, env: Record<string, string> = {}) =>
  load({ 'compose.yaml': text, ...files }, { env });

function created(s: Stack, name: string) {
  const svc = s.services[name]!;
  return containerForReplica(s, svc, containerTemplate(s, svc), 1, 'h');
}

describe('container keys', () => {
  test('cgroup_parent, device_cgroup_rules, uts, storage_opt reach HostConfig', () => {
    const s = compose(`services:
  app:
    image: berth/busybox
    cgroup_parent: berth-test
    device_cgroup_rules: ['c 13:37 r', 'b 7:* rmw']
    uts: host
    storage_opt: { size: 20G }
`);
    const svc = s.services.app!;
    expect(svc.cgroup_parent).toBe('berth-test');
    expect(svc.device_cgroup_rules).toEqual(['c 13:37 r', 'b 7:* rmw']);
    expect(svc.uts).toBe('host');
    expect(svc.storage_opt).toEqual({ size: '20G' });
    const h = created(s, 'app').options.HostConfig!;
    expect(h.CgroupParent).toBe('berth-test');
    expect(h.DeviceCgroupRules).toEqual(['c 13:37 r', 'b 7:* rmw']);
    expect(h.UTSMode).toBe('host');
    expect(h.StorageOpt).toEqual({ size: '20G' });
  });

  test('keys left out stay out of the options (and so out of the config hash)', () => {
    const s = compose('services:\n  app:\n    image: berth/busybox\n');
    const h = created(s, 'app').options.HostConfig as Record<string, unknown>;
    for (const k of ['CgroupParent', 'DeviceCgroupRules', 'UTSMode', 'StorageOpt', 'Links'])
      expect(h).not.toHaveProperty(k);
    expect(created(s, 'app').options.Labels).not.toHaveProperty(FILES_LABEL);
  });

  test('a UTS mode other than host is an error at its line', () => {
    expect(loadError({ 'compose.yaml': 'services:\n  app:\n    image: x\n    uts: private\n' })).toMatch(
      /compose\.yaml:4:\d+: `services\.app\.uts`: "private" is not a UTS mode/,
    );
  });

  test('external_links: container[:alias] as links on HostConfig and on every endpoint', () => {
    const s = compose(`services:
  app:
    image: berth/busybox
    external_links: [legacy-db, 'other-cache:cache']
    networks: [default, back]
networks:
  back: {}
`);
    expect(s.services.app!.external_links).toEqual(['legacy-db', 'other-cache:cache']);
    const c = created(s, 'app');
    const links = ['legacy-db:legacy-db', 'other-cache:cache'];
    expect(c.options.HostConfig!.Links).toEqual(links);
    expect(c.options.NetworkingConfig!.EndpointsConfig!.proj_default!.Links).toEqual(links);
    expect(c.extraNetworks.proj_back!.Links).toEqual(links);
  });

  test('label_file: labels read like env files, later files over earlier, `labels:` over all', () => {
    const s = compose(
      `services:
  app:
    image: berth/busybox
    label_file: [./base.labels, ./more.labels]
    labels:
      tier: web
`,
      {
        'base.labels': '# base\nteam=core\ntier=backend\nowner=ops\n',
        // as in compose-go, `${...}` sees the labels of earlier files
        'more.labels': 'owner=dev\ncom.example.ref=${team}-x\n',
      },
    );
    expect(s.services.app!.labels).toEqual({
      team: 'core',
      'com.example.ref': 'core-x',
      owner: 'dev',
      tier: 'web',
    });
    expect(created(s, 'app').options.Labels).toMatchObject({ owner: 'dev', tier: 'web' });
  });

  test('a missing label file is an error at its line', () => {
    expect(
      loadError({ 'compose.yaml': 'services:\n  app:\n    image: x\n    label_file: ./nope.labels\n' }),
    ).toMatch(/compose\.yaml:4:\d+: `services\.app\.label_file`: label file .*nope\.labels not found/);
  });

  test('generic_resources are normalized, never sent, and warned about as swarm-only', () => {
    const s = compose(`services:
  app:
    image: berth/busybox
    deploy:
      resources:
        reservations:
          generic_resources:
            - discrete_resource_spec: { kind: gpu, value: 2 }
`);
    expect(s.services.app!.resources.genericResources).toEqual([{ kind: 'gpu', value: 2 }]);
    expect(s.warnings.join('\n')).toMatch(
      /compose\.yaml:7: `deploy\.resources\.reservations\.generic_resources` is a swarm setting/,
    );
    expect(JSON.stringify(created(s, 'app').options)).not.toMatch(/gpu|Generic/);
  });

  test('models (top level or in a service): exit 2 at the line, a model runner is needed', () => {
    const top = loadError({
      'compose.yaml': 'services:\n  app:\n    image: x\nmodels:\n  llm:\n    model: ai/smollm2\n',
    });
    expect(top).toMatch(/compose\.yaml:4:1: `models`: needs a model runner .*berth does not provide one/);
    const svc = loadError({ 'compose.yaml': 'services:\n  app:\n    image: x\n    models: [llm]\n' });
    expect(svc).toMatch(/compose\.yaml:4:5: `services\.app\.models`: needs a model runner/);
  });
});

describe('network keys', () => {
  test('ipam aux_addresses and options reach the network create', () => {
    const s = compose(`services:
  app:
    image: berth/busybox
    networks: [back]
networks:
  back:
    ipam:
      driver: default
      options: { foo: bar }
      config:
        - subnet: 172.28.0.0/16
          aux_addresses: { router: 172.28.1.5, printer: 172.28.1.6 }
`);
    expect(s.networks.back!.ipam).toEqual({
      driver: 'default',
      options: { foo: 'bar' },
      config: [{ subnet: '172.28.0.0/16', aux_addresses: { router: '172.28.1.5', printer: '172.28.1.6' } }],
    });
    const o = networkOptions(s, 'back', s.networks.back) as unknown as {
      IPAM: { Options: Record<string, string>; Config: Array<Record<string, unknown>> };
    };
    expect(o.IPAM.Options).toEqual({ foo: 'bar' });
    expect(o.IPAM.Config[0]!.AuxiliaryAddresses).toEqual({ router: '172.28.1.5', printer: '172.28.1.6' });
  });

  test('link_local_ips, driver_opts, interface_name, gw_priority, mac_address on the endpoint', () => {
    const s = compose(`services:
  app:
    image: berth/busybox
    networks:
      front:
        priority: 10
        mac_address: 02:42:ac:11:00:99
        link_local_ips: [169.254.10.10]
        driver_opts: { com.example.opt: '1' }
      back:
        interface_name: eth7
        gw_priority: 5
networks:
  front: {}
  back: {}
`);
    const n = s.services.app!.networks;
    expect(n.front).toMatchObject({
      priority: 10,
      mac_address: '02:42:ac:11:00:99',
      link_local_ips: ['169.254.10.10'],
      driver_opts: { 'com.example.opt': '1' },
    });
    expect(n.back).toMatchObject({ interface_name: 'eth7', gw_priority: 5 });
    const c = created(s, 'app');
    // priority picks the network the container is created on; its MAC is the container's (API 1.41)
    expect(c.options.HostConfig!.NetworkMode).toBe('proj_front');
    expect(c.options.MacAddress).toBe('02:42:ac:11:00:99');
    expect(c.options.NetworkingConfig!.EndpointsConfig!.proj_front).toMatchObject({
      IPAMConfig: { LinkLocalIPs: ['169.254.10.10'] },
      DriverOpts: { 'com.example.opt': '1' },
      MacAddress: '02:42:ac:11:00:99',
    });
    expect(c.extraNetworks.proj_back).toMatchObject({
      DriverOpts: { 'com.docker.network.endpoint.ifname': 'eth7' },
      GwPriority: 5,
    });
  });

  test('a service mac_address that disagrees with its primary network is an error', () => {
    expect(
      loadError({
        'compose.yaml':
          'services:\n  app:\n    image: x\n    mac_address: 02:00:00:00:00:01\n    networks:\n      default:\n        mac_address: 02:00:00:00:00:02\n',
      }),
    ).toMatch(/compose\.yaml:4:\d+: .*differs from the one on its network `default`/);
  });
});

describe('what the engine API cannot do stops `up` before anything is created', () => {
  const s = compose(`services:
  app:
    image: berth/busybox
    volumes:
      - type: image
        source: berth/debian-stack
        target: /opt/stack
        image: { subpath: usr/share }
    networks:
      front:
        gw_priority: 1
      back:
        interface_name: eth5
        mac_address: 02:42:ac:11:00:42
  plain:
    image: berth/busybox
networks:
  front: {}
  back: {}
`);

  test('normalized and translated for engines that can', () => {
    expect(s.services.app!.volumes[0]).toMatchObject({
      type: 'image',
      source: 'berth/debian-stack',
      target: '/opt/stack',
      image: { subpath: 'usr/share' },
    });
    const mounts = created(s, 'app').options.HostConfig!.Mounts as unknown as Array<Record<string, unknown>>;
    expect(mounts[0]).toEqual({
      Type: 'image',
      Source: 'berth/debian-stack',
      Target: '/opt/stack',
      ReadOnly: false,
      ImageOptions: { Subpath: 'usr/share' },
    });
  });

  test('on API 1.41 each key is an exit-2 error with its line and the API it needs', () => {
    const errs = createBlockers(s, ['app', 'plain'], '1.41');
    const text = errs.map((e) => `${e.pos?.file}:${e.pos?.line}: ${e.message}`);
    expect(text).toEqual([
      'compose.yaml:5: `services.app.volumes[0].type: image` needs Docker Engine API 1.48 (Docker Engine 28.0); this engine speaks API 1.41',
      'compose.yaml:11: `services.app.networks.front.gw_priority` needs Docker Engine API 1.48 (Docker Engine 28.0); this engine speaks API 1.41',
      'compose.yaml:13: `services.app.networks.back.interface_name` needs Docker Engine API 1.49 (Docker Engine 28.1); this engine speaks API 1.41',
      'compose.yaml:14: `services.app.networks.back.mac_address` needs Docker Engine API 1.44 (Docker Engine 25.0); this engine speaks API 1.41',
    ]);
    expect(errs.every((e) => e.exitCode === 2 && e.frame && e.hint?.includes('nothing was created'))).toBe(
      true,
    );
  });

  test('newer engines pass; services not being created are not checked', () => {
    expect(createBlockers(s, ['app'], '1.49')).toEqual([]);
    expect(createBlockers(s, ['plain'], '1.41')).toEqual([]);
    expect(createBlockers(s, ['app'], '1.48').map((e) => e.message)).toEqual([
      expect.stringContaining('interface_name'),
    ]);
  });

  test('API versions compare by number, not as text', () => {
    expect(apiAtLeast('1.41', '1.41')).toBe(true);
    expect(apiAtLeast('1.9', '1.41')).toBe(false);
    expect(apiAtLeast('1.100', '1.49')).toBe(true);
    expect(apiAtLeast('2.0', '1.49')).toBe(true);
    expect(apiAtLeast(undefined, '1.44')).toBe(false);
  });

  test('the MAC of the primary network alone needs no newer API (it is the container MAC)', () => {
    const one = compose(
      'services:\n  app:\n    image: x\n    networks:\n      default:\n        mac_address: 02:42:ac:11:00:07\n',
    );
    expect(createBlockers(one, ['app'], '1.41')).toEqual([]);
    expect(created(one, 'app').options.MacAddress).toBe('02:42:ac:11:00:07');
  });
});

describe('secrets and configs from environment and content', () => {
  const text = `services:
  app:
    image: berth/busybox
    secrets:
      - token
      - source: token
        target: token-copy
        mode: 0440
        uid: "1000"
        gid: "1001"
      - source: token
        target: /etc/token-quoted
        mode: "0400"
      - source: token
        target: /etc/token-decimal
        mode: 288
    configs:
      - app_conf
      - source: app_conf
        target: conf/app.ini
secrets:
  token:
    environment: APP_TOKEN
configs:
  app_conf:
    content: |
      [app]
      port = 8080
`;

  test('mode in octal as Compose reads it (YAML 1.1 0440, quoted octal, plain decimal); uid, gid, target', () => {
    const s = compose(text, {}, { APP_TOKEN: 's3cret' });
    expect(s.services.app!.files).toEqual([
      {
        kind: 'secret',
        name: 'token',
        target: '/run/secrets/token',
        content: 's3cret',
        mode: 0o444,
        uid: 0,
        gid: 0,
      },
      {
        kind: 'secret',
        name: 'token',
        target: '/run/secrets/token-copy',
        content: 's3cret',
        mode: 0o440,
        uid: 1000,
        gid: 1001,
      },
      {
        kind: 'secret',
        name: 'token',
        target: '/etc/token-quoted',
        content: 's3cret',
        mode: 0o400,
        uid: 0,
        gid: 0,
      },
      {
        kind: 'secret',
        name: 'token',
        target: '/etc/token-decimal',
        content: 's3cret',
        mode: 0o440,
        uid: 0,
        gid: 0,
      },
      {
        kind: 'config',
        name: 'app_conf',
        target: '/app_conf',
        content: '[app]\nport = 8080\n',
        mode: 0o444,
        uid: 0,
        gid: 0,
      },
      {
        kind: 'config',
        name: 'app_conf',
        target: '/conf/app.ini',
        content: '[app]\nport = 8080\n',
        mode: 0o444,
        uid: 0,
        gid: 0,
      },
    ]);
    // copied in after create, never mounted
    expect(s.services.app!.volumes).toEqual([]);
  });

  test('the files are in the config hash through a digest label; the label never holds the content', () => {
    const a = created(compose(text, {}, { APP_TOKEN: 's3cret' }), 'app').options.Labels![FILES_LABEL]!;
    const b = created(compose(text, {}, { APP_TOKEN: 'other' }), 'app').options.Labels![FILES_LABEL]!;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
    expect(JSON.stringify(created(compose(text, {}, { APP_TOKEN: 's3cret' }), 'app').options)).not.toContain(
      's3cret',
    );
  });

  test('an unset variable warns at load and stops `up` (exit 2, its line) before anything is created', () => {
    const s = compose(text);
    expect(s.warnings.join('\n')).toMatch(
      /compose\.yaml:23: environment variable APP_TOKEN required by secret `token` is not set/,
    );
    const errs = createBlockers(s, ['app'], '1.41');
    expect(errs.map((e) => `${e.pos?.line}: ${e.message}`)).toEqual(
      Array(4).fill(
        '23: environment variable APP_TOKEN required by secret `token` (service "app") is not set',
      ),
    );
  });

  test('an empty value makes no file, as in Compose, and says so', () => {
    const s = compose(
      'services:\n  app:\n    image: x\n    configs: [c]\n    secrets: [t]\nconfigs:\n  c:\n    content: ""\nsecrets:\n  t:\n    environment: EMPTY\n',
      {},
      { EMPTY: '' },
    );
    expect(s.services.app!.files).toEqual([]);
    expect(s.warnings.join('\n')).toMatch(/compose\.yaml:4: config `c` is empty: no file is created at \/c/);
    expect(s.warnings.join('\n')).toMatch(/compose\.yaml:5: secret `t` is empty/);
  });

  test('a bad mode or owner is an error at its line', () => {
    const bad = (ref: string) =>
      loadError(
        {
          'compose.yaml': `services:\n  app:\n    image: x\n    secrets:\n      - ${ref}\nsecrets:\n  t:\n    content: x\n`,
        },
        {},
      );
    expect(bad('{ source: t, mode: "0999" }')).toMatch(/compose\.yaml:5:\d+: .*"0999" is not a file mode/);
    expect(bad('{ source: t, uid: root }')).toMatch(/compose\.yaml:5:\d+: .*"root" is not a numeric ID/);
  });

  test('read_only services can only take file secrets (Compose refuses the copy too)', () => {
    expect(
      loadError({
        'compose.yaml':
          'services:\n  app:\n    image: x\n    read_only: true\n    configs: [c]\nconfigs:\n  c:\n    content: x\n',
      }),
    ).toMatch(/compose\.yaml:5:\d+: .*cannot create config `c` in a service with `read_only: true`/);
  });

  test('external secrets and configs: a warning that they need a swarm, and nothing mounted', () => {
    const s = compose(`services:
  app:
    image: berth/busybox
    secrets: [db_pass]
    configs: [shared]
secrets:
  db_pass:
    external: true
configs:
  shared:
    external: true
    name: shared-v2
`);
    expect(s.services.app!.volumes).toEqual([]);
    expect(s.services.app!.files).toEqual([]);
    expect(s.warnings.join('\n')).toMatch(
      /compose\.yaml:4: secret `db_pass` is external: external secrets exist only in a swarm/,
    );
    expect(s.warnings.join('\n')).toMatch(/compose\.yaml:5: config `shared` is external: external configs/);
  });

  test('file-backed secrets stay read-only bind mounts', () => {
    const s = compose(
      'services:\n  app:\n    image: x\n    secrets: [f]\nsecrets:\n  f:\n    file: ./f.txt\n',
      { 'f.txt': 'x' },
    );
    expect(s.services.app!.volumes).toEqual([
      expect.objectContaining({ type: 'bind', target: '/run/secrets/f', read_only: true }),
    ]);
    expect(s.services.app!.files).toEqual([]);
  });
});
