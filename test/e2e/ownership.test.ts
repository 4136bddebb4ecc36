// Ownership before action: what berth did not create for this stack (another stack under the same project
// name, another checkout of the stack, a hand-made object) is never reused, reported as created or removed.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { berth, berthOk, containersOf, copyStack, portInto } from './clients-support.js';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { tempCompose } from './up-cli.js';

const volumeExists = async (name: string) =>
  ((await docker.listVolumes({ filters: JSON.stringify({ name: [name] }) })).Volumes ?? []).some(
    (v) => v.Name === name,
  );
const networksNamed = async (name: string) =>
  (await docker.listNetworks({ filters: JSON.stringify({ name: [name] }) })).filter((n) => n.Name === name);

describe('a stack and a client of another stack under one project name', () => {
  const shop = copyStack('clients/shop', 'safety-clash');
  const clash = shop.project('acme'); // stack `<shop>` for client acme, and a stack named `<shop>-acme`
  const other = tempCompose(
    'clash',
    `name: ${clash}\nservices:\n  db:\n    image: berth/busybox\n    command: sleep 3600\n    volumes: [data:/data]\nvolumes:\n  data: {}\n`,
  );
  afterAll(async () => {
    await shop.cleanup();
    rmSync(other.dir, { recursive: true, force: true });
  });

  test('the second stack stops with the owner named; its down -v --remove-orphans removes nothing', async () => {
    await portInto(shop, 'SHOP_PORT');
    await berthOk(['--client', 'acme', 'up', '-d'], shop.dir);
    const before = await containersOf(clash);
    expect(before.size).toBe(2);

    const up = await berth(['up', '-d'], other.dir);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`project ${clash} has objects berth did not create for stack ${clash}`);
    expect(up.stderr).toContain(`owned by stack ${shop.name} (client acme)`);
    expect(up.stderr).toMatch(/berth -p NAME up/);
    expect(up.stdout).not.toMatch(/Created/);

    const down = await berth(['down', '-v', '--remove-orphans'], other.dir);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`owned by stack ${shop.name} (client acme)`);
    const after = await containersOf(clash);
    expect([...after.entries()]).toEqual([...before.entries()]);
    expect(await volumeExists(`${clash}_data`)).toBe(true);
  });
});

describe('two checkouts of one stack', () => {
  const a = copyStack('clients/shop', 'safety-takeover');
  const bDir = mkdtempSync(path.join(tmpdir(), 'berth-safety-takeover-b-'));
  afterAll(async () => {
    await a.cleanup();
    rmSync(bDir, { recursive: true, force: true });
  });

  test('use acme in the second stops naming the first one’s path and changes nothing; --force takes over', async () => {
    await portInto(a, 'SHOP_PORT');
    cpSync(a.dir, bDir, { recursive: true });
    await berthOk(['use', 'acme'], a.dir);
    const project = a.project('acme');
    const before = await containersOf(project);
    expect(before.size).toBe(2);

    const r = await berth(['use', 'acme'], bDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `project ${project} is owned by the checkout at ${path.join(a.dir, 'berth.yaml')}`,
    );
    expect(r.stderr).toMatch(/COMPOSE_PROJECT_NAME/);
    expect(existsSync(path.join(bDir, '.berth', 'state.json'))).toBe(false);
    expect([...(await containersOf(project)).entries()]).toEqual([...before.entries()]);

    await berthOk(['use', 'acme', '--force'], bDir);
    const after = await containersOf(project);
    expect(after.size).toBe(2);
    expect([...after.values()].every((c) => c.state === 'running')).toBe(true);
  });
});

describe('hand-made objects under berth’s names', () => {
  const project = uniqueProject('safety-foreign');
  const stack = tempCompose(
    'foreign',
    `services:\n  web:\n    image: berth/busybox\n    command: sleep 3600\n    volumes: [data:/data]\n  named:\n    image: berth/busybox\n    command: sleep 3600\n    container_name: ${project}-fixed\nvolumes:\n  data: {}\n`,
  );
  const made: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const undo of made) await undo().catch(() => {});
    await cleanupProject(project);
    rmSync(stack.dir, { recursive: true, force: true });
  });
  const up = () => berth(['-p', project, '-f', stack.file, 'up', '-d'], stack.dir);

  test('an unlabelled volume and network: refused, not reported as created, nothing made', async () => {
    await docker.createVolume({ Name: `${project}_data` });
    made.push(() => docker.getVolume(`${project}_data`).remove());
    const net = await docker.createNetwork({ Name: `${project}_default` });
    made.push(() => net.remove());
    const r = await up();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`volume ${project}_data: owned by something without berth labels`);
    expect(r.stderr).toContain(`network ${project}_default: owned by something without berth labels`);
    expect(r.stdout).not.toMatch(/Created/);
    expect((await containersOf(project)).size).toBe(0);
    expect((await networksNamed(`${project}_default`)).length).toBe(1);
    // removed by hand again (the test made them), so the next case sees only the container clash
    for (const undo of made.splice(0)) await undo();
  });

  test('a container_name held by a container berth did not make: the owner message, not the raw Conflict', async () => {
    const held = await docker.createContainer({
      name: `${project}-fixed`,
      Image: 'berth/busybox',
      Cmd: ['true'],
    });
    made.push(() => held.remove({ force: true }));
    const r = await up();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`container ${project}-fixed: owned by something without berth labels`);
    expect(r.stderr).not.toMatch(/Conflict/);
    expect((await containersOf(project)).size).toBe(0);
    expect((await networksNamed(`${project}_default`)).length).toBe(0);
    expect(await volumeExists(`${project}_data`)).toBe(false);
  });
});
