// The one-off container of `berth run`, as a value: no engine needed.
import { describe, expect, test } from 'vitest';
import { parsePublish } from '../../src/cli/run.js';
import { containerForOneOff } from '../../src/engine/oneoff.js';
import { service, stack } from './stack-factory.js';

const app = service('app', {
  command: ['serve'],
  environment: { A: 'file', B: 'file' },
  ports: [{ target: 80, host_ip: '127.0.0.1', protocol: 'tcp' }],
  networks: { default: { aliases: ['extra-alias'] }, back: { aliases: [] } },
  replicas: 2,
  restart: 'always',
  container_name: 'fixed-name',
});

const demo = stack([app], { workingDir: '/w', files: ['/w/compose.yaml'], networks: {} });

describe('containerForOneOff', () => {
  const plan = containerForOneOff(demo, 'app', {
    kind: 'oneoff',
    stack: demo,
    service: 'app',
    name: 'demo-app-run-abc123',
    command: ['sh', '-c', 'true'],
    env: ['B=flag', 'C=new'],
    user: '1000',
    ports: [],
    tty: false,
    stdin: true,
  });

  test('labelled one-off, not a replica; named as asked, never the fixed container_name', () => {
    expect(plan.name).toBe('demo-app-run-abc123');
    expect(plan.options.name).toBe('demo-app-run-abc123');
    expect(plan.options.Labels).toMatchObject({
      'dev.berth.project': 'demo',
      'dev.berth.service': 'app',
      'dev.berth.oneoff': 'true',
    });
    expect(plan.options.Labels).not.toHaveProperty('dev.berth.replica');
    expect(plan.options.Labels).not.toHaveProperty('dev.berth.config-hash');
  });

  test('overrides command, env (over the file) and user; no restart policy, no service ports', () => {
    expect(plan.options.Cmd).toEqual(['sh', '-c', 'true']);
    expect(plan.options.Env).toEqual(['A=file', 'B=flag', 'C=new']);
    expect(plan.options.User).toBe('1000');
    expect(plan.options.HostConfig?.RestartPolicy).toBeUndefined();
    expect(plan.options.HostConfig?.PortBindings).toBeUndefined();
  });

  test('joins the service networks without its aliases (no share of the service traffic)', () => {
    const endpoints = plan.options.NetworkingConfig?.EndpointsConfig ?? {};
    expect(Object.keys(endpoints)).toEqual(['demo_default']);
    expect(endpoints.demo_default?.Aliases).toEqual([]);
    expect(Object.keys(plan.extraNetworks)).toEqual(['demo_back']);
    expect(plan.extraNetworks.demo_back?.Aliases).toEqual([]);
  });

  test('stdin kept open for an attached session', () => {
    expect(plan.options).toMatchObject({ OpenStdin: true, StdinOnce: true, AttachStdin: true, Tty: false });
  });
});

describe('parsePublish (run -p)', () => {
  test('container port only, host:container, ip:host:container, ranges and protocol', () => {
    expect(parsePublish('8080')).toEqual({
      target: 8080,
      published: undefined,
      host_ip: '127.0.0.1',
      protocol: 'tcp',
    });
    expect(parsePublish('9000:80')).toMatchObject({ target: 80, published: '9000', host_ip: '127.0.0.1' });
    expect(parsePublish('0.0.0.0:9000:80/udp')).toEqual({
      target: 80,
      published: '9000',
      host_ip: '0.0.0.0',
      protocol: 'udp',
    });
    expect(parsePublish('127.0.0.1::80')).toMatchObject({ target: 80, published: undefined });
    expect(() => parsePublish('eighty')).toThrow(/--publish eighty/);
  });
});
