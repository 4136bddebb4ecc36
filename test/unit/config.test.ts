import path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { parse } from 'yaml';
import { berthProcess, configInProcess } from './cli-harness.js';
import { stackDir } from './compose-helpers.js';

const demo = path.resolve(import.meta.dirname, '../../fixtures/demo/berth.yaml');

const berth = configInProcess;

afterEach(() => vi.restoreAllMocks());

describe('berth config', () => {
  test('--format json prints the canonical long form, in the shape docker compose prints', async () => {
    const { code, out } = await berth(['-f', demo, '--client', 'acme', 'config', '--format', 'json']);
    expect(code).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.name).toBe('demo-acme');
    const lb = doc.services.lb;
    expect(lb.ports[0]).toMatchObject({ target: 80, host_ip: '127.0.0.1', protocol: 'tcp' });
    expect(lb.volumes[0]).toMatchObject({
      type: 'bind',
      target: '/usr/local/etc/haproxy/haproxy.cfg',
      read_only: true,
    });
    expect(path.isAbsolute(lb.volumes[0].source)).toBe(true);
    expect(lb.depends_on).toEqual({ nginx: { condition: 'service_started', required: true } });
    expect(doc.services.app.deploy.replicas).toBe(2);
    expect(doc.services.db.volumes[0]).toEqual({
      type: 'volume',
      source: 'dbdata',
      target: '/var/lib/postgresql/data',
    });
    expect(doc.volumes.dbdata.name).toBe('demo-acme_dbdata');
    for (const v of Object.values(doc.services.app.environment)) expect(typeof v).toBe('string');
    // stable: keys sorted inside each service, same bytes on a second run
    expect(Object.keys(lb)).toEqual([...Object.keys(lb)].sort());
    expect((await berth(['-f', demo, '--client', 'acme', 'config', '--format', 'json'])).out).toBe(out);
  });
  test('default YAML output is the same document', async () => {
    const yaml = await berth(['-f', demo, 'config']);
    const json = await berth(['-f', demo, 'config', '--format', 'json']);
    expect(parse(yaml.out)).toEqual(JSON.parse(json.out));
  });
  test('--services in start order, --volumes, --images', async () => {
    expect((await berth(['-f', demo, 'config', '--services'])).out).toBe('db\nstore\napp\nnginx\nlb\n');
    expect((await berth(['-f', demo, 'config', '--volumes'])).out).toBe('dbdata\nstoredata\n');
    expect((await berth(['-f', demo, 'config', '--images'])).out.split('\n')[0]).toBe(
      'berth/postgres:latest',
    );
  });
  test('-q prints nothing and exits 0; a bad file exits 2 with file:line', async () => {
    expect(await berth(['-f', demo, 'config', '-q'])).toEqual({ code: 0, out: '', err: '' });
    const dir = stackDir({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports: ["99999:80"]\n',
    });
    const r = await berth(['-f', path.join(dir, 'compose.yaml'), 'config', '-q']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/compose.yaml:4:13: `services.web.ports\[0\]`: 99999 is not a port \(1-65535\)/);
  });
  test('--no-env-resolution keeps env_file and the environment as written', async () => {
    const dir = stackDir({
      'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: [a.env]\n    environment: [B]\n',
      'a.env': 'A=1\n',
    });
    const f = path.join(dir, 'compose.yaml');
    const resolved = JSON.parse((await berth(['-f', f, 'config', '--format', 'json'])).out).services.web;
    expect(resolved.environment).toEqual({ A: '1', B: null });
    expect(resolved.env_file).toBeUndefined();
    const raw = JSON.parse((await berth(['-f', f, 'config', '--format', 'json', '--no-env-resolution'])).out)
      .services.web;
    expect(raw.environment).toEqual({ B: null });
    expect(raw.env_file).toEqual([{ path: path.join(dir, 'a.env') }]);
  });
  test('bad usage exits 2', async () => {
    expect((await berth(['-f', demo, 'config', '--format', 'xml'])).code).toBe(2);
  });
  test('warnings print once to stderr', async () => {
    const dir = stackDir({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose interpolation under test
      'compose.yaml': 'version: "3"\nservices:\n  web:\n    image: "nginx:${NOPE_UNSET_VAR}"\n',
    });
    const r = await berth(['-f', path.join(dir, 'compose.yaml'), 'config', '--services']);
    expect(r.code).toBe(0);
    expect(r.err.match(/NOPE_UNSET_VAR is not set/g)).toHaveLength(1);
  });
});

describe('the real berth process (main, every verb registered)', () => {
  const run = (args: string[]) => berthProcess(args, { BERTH_NO_CACHE: '1' });
  test('a bad file: exit code 2, file:line:col, code frame, hint, no stack trace', () => {
    const r = run(['-f', 'fixtures/bad/cycle-three.yaml', 'config']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^berth: fixtures\/bad\/cycle-three.yaml:5:18: dependency cycle: a → b → c → a\n/,
    );
    expect(r.stderr).toMatch(/> +5 \|/);
    expect(r.stderr).toMatch(/hint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  test('a good file: exit code 0 and the services in start order', () => {
    const r = run(['-f', 'fixtures/demo/berth.yaml', 'config', '--services']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('db\nstore\napp\nnginx\nlb\n');
  });
});
