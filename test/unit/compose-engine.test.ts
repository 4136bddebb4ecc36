import { describe, expect, test } from 'vitest';
import {
  containerForReplica,
  containerName,
  containerTemplate,
  inheritedMounts,
  serviceNetworks,
  withInherited,
} from '../../src/engine/create-options.js';
import { isAnonymousVolume } from '../../src/engine/docker-engine.js';
import { service, stack } from './stack-factory.js';

describe('engine spec', () => {
  test('names containers <project>-<service>-<n> and labels them', () => {
    const s = stack([service('app', { replicas: 2 })], {
      client: 'acme',
      project: 'demo-acme',
      name: 'demo',
    });
    const svc = s.services.app!;
    const c = containerForReplica(s, svc, containerTemplate(s, svc), 2, 'h1');
    expect(c.name).toBe('demo-acme-app-2');
    expect(c.options.Labels).toMatchObject({
      'dev.berth.project': 'demo-acme',
      'dev.berth.service': 'app',
      'dev.berth.client': 'acme',
      'dev.berth.replica': '2',
      'dev.berth.config-hash': 'h1',
      'dev.berth.stack': 'demo',
    });
    expect(c.options.Labels?.['dev.berth.version']).toBeTruthy();
  });

  test('the service name is a network alias (DNS round-robin over replicas), and so is the final name', () => {
    const s = stack([service('app', { networks: { default: { aliases: ['api'] } } })]);
    const svc = s.services.app!;
    const c = containerForReplica(s, svc, containerTemplate(s, svc), 1, 'h', 'tmp_demo-app-1');
    expect(c.name).toBe('tmp_demo-app-1');
    expect(c.options.NetworkingConfig?.EndpointsConfig?.demo_default?.Aliases).toEqual([
      'app',
      'demo-app-1',
      'api',
    ]);
    expect(c.options.HostConfig?.NetworkMode).toBe('demo_default');
  });

  test('a second network is connected after create (one network per create on API 1.41)', () => {
    const s = stack([
      service('app', { networks: { default: { aliases: [] }, back: { aliases: [], priority: 10 } } }),
    ]);
    s.networks.back = { ...s.networks.default!, name: 'demo_back' };
    const svc = s.services.app!;
    expect(serviceNetworks(s, svc)).toEqual(['demo_back', 'demo_default']);
    const c = containerForReplica(s, svc, containerTemplate(s, svc), 1, 'h');
    expect(Object.keys(c.options.NetworkingConfig?.EndpointsConfig ?? {})).toEqual(['demo_back']);
    expect(Object.keys(c.extraNetworks)).toEqual(['demo_default']);
  });

  test('ports, mounts, healthcheck, restart, init, stop signal and resources reach the engine', () => {
    const s = stack([
      service('db', {
        ports: [{ target: 5432, published: '15432', host_ip: '127.0.0.1', protocol: 'tcp' }],
        volumes: [
          { type: 'volume', source: 'data', target: '/var/lib/pg', read_only: false },
          { type: 'bind', source: '/srv/demo/conf', target: '/conf', read_only: true },
        ],
        healthcheck: { test: ['CMD-SHELL', 'pg_isready'], intervalMs: 500, retries: 3, disable: false },
        restart: 'on-failure:3',
        init: true,
        stop_signal: 'SIGINT',
        stopGracePeriodMs: 1500,
        user: '999',
        working_dir: '/w',
        entrypoint: ['/entry'],
        environment: { B: '2', A: '1' },
        tmpfs: ['/run:size=1m'],
        extra_hosts: ['host.docker.internal=host-gateway'],
        resources: { memoryBytes: 64 << 20, nanoCpus: 5e8 },
      }),
    ]);
    s.volumes.data = { name: 'demo_data', driver_opts: {}, external: false, labels: {} };
    const t = containerTemplate(s, s.services.db!);
    expect(t.HostConfig?.PortBindings).toEqual({ '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '15432' }] });
    expect(t.ExposedPorts).toEqual({ '5432/tcp': {} });
    expect(t.HostConfig?.Mounts).toEqual([
      { Type: 'volume', Source: 'demo_data', Target: '/var/lib/pg', ReadOnly: false },
    ]);
    expect(t.HostConfig?.Binds).toEqual(['/srv/demo/conf:/conf:ro']);
    expect(t.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'pg_isready'], Interval: 500e6, Retries: 3 });
    expect(t.HostConfig?.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(t.HostConfig?.Init).toBe(true);
    expect(t.StopSignal).toBe('SIGINT');
    expect(t.StopTimeout).toBe(2);
    expect(t.User).toBe('999');
    expect(t.WorkingDir).toBe('/w');
    expect(t.Entrypoint).toEqual(['/entry']);
    expect(t.Env).toEqual(['A=1', 'B=2']);
    expect(t.HostConfig?.Tmpfs).toEqual({ '/run': 'size=1m' });
    expect(t.HostConfig?.ExtraHosts).toEqual(['host.docker.internal:host-gateway']);
    expect(t.HostConfig?.Memory).toBe(64 << 20);
    expect(t.HostConfig?.NanoCpus).toBe(5e8);
  });

  test('network_mode and volumes_from service:x point at x’s first container', () => {
    const s = stack([
      service('vpn'),
      service('client', {
        network_mode: 'service:vpn',
        networks: {},
        volumes_from: ['vpn:ro', 'container:other'],
      }),
    ]);
    const t = containerTemplate(s, s.services.client!);
    expect(t.HostConfig?.NetworkMode).toBe('container:demo-vpn-1');
    expect(t.HostConfig?.VolumesFrom).toEqual(['demo-vpn-1:ro', 'other']);
    const c = containerForReplica(s, s.services.client!, t, 1, 'h');
    expect(c.options.NetworkingConfig).toBeUndefined();
  });

  test('container_name overrides the default name', () => {
    expect(containerName('demo', service('x', { container_name: 'fixed' }), 1)).toBe('fixed');
  });
});

describe('anonymous volumes a recreate takes over', () => {
  const app = service('app', {
    volumes: [
      { type: 'volume', target: '/scratch', read_only: false },
      { type: 'volume', source: 'data', target: '/data', read_only: false },
      { type: 'bind', source: '/host/conf', target: '/etc/app', read_only: false },
    ],
  });
  const old = [
    { Type: 'volume', Name: 'a1b2', Destination: '/scratch', RW: true },
    { Type: 'volume', Name: 'proj_data', Destination: '/data', RW: true },
    { Type: 'bind', Source: '/host/conf', Destination: '/etc/app', RW: true },
    { Type: 'volume', Name: 'c3d4', Destination: '/var/lib/db/', RW: false },
    { Type: 'volume', Name: 'e5f6', Destination: '/etc/app', RW: true },
    { Type: 'tmpfs', Destination: '/tmp', RW: true },
  ];

  test("only the old container's volumes at paths that are anonymous now: source-less entries and image VOLUMEs", () => {
    // /var/lib/db is a VOLUME of the image; /etc/app is one too, but the service binds over it
    expect(inheritedMounts(app, old, ['/var/lib/db', '/etc/app'])).toEqual([
      { Type: 'volume', Source: 'a1b2', Target: '/scratch', ReadOnly: false },
      { Type: 'volume', Source: 'c3d4', Target: '/var/lib/db', ReadOnly: true },
    ]);
    // a path the new definition names a volume for is not inherited, nor one the image no longer declares
    expect(inheritedMounts(service('app', { volumes: [] }), old, [])).toEqual([]);
  });

  test("an anonymous volume: 64-hex name, no labels but Docker 23+'s anonymous mark", () => {
    const hex = 'ab'.repeat(32);
    expect(isAnonymousVolume(hex, {})).toBe(true);
    expect(isAnonymousVolume(hex, null)).toBe(true);
    expect(isAnonymousVolume(hex, { 'com.docker.volume.anonymous': '' })).toBe(true);
    expect(isAnonymousVolume(hex, { 'dev.berth.project': 'p' })).toBe(false);
    expect(isAnonymousVolume('proj_data', {})).toBe(false);
  });

  test('they replace the fresh anonymous mounts at the same paths in the create options', () => {
    const s = stack([app]);
    const options = containerTemplate(s, s.services.app!);
    const inherited = inheritedMounts(s.services.app!, old, ['/var/lib/db']);
    const mounts = withInherited(options, inherited).HostConfig?.Mounts ?? [];
    expect(mounts.filter((m) => m.Target === '/scratch')).toEqual([
      { Type: 'volume', Source: 'a1b2', Target: '/scratch', ReadOnly: false },
    ]);
    // (the bind goes in HostConfig.Binds)
    expect(mounts.map((m) => m.Target).sort()).toEqual(['/data', '/scratch', '/var/lib/db']);
    expect(withInherited(options, [])).toBe(options);
  });
});
