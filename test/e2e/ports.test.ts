import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { engineContainers, fixture, freePort, ok, stackCli } from './up-cli.js';

const nothingCreated = async (project: string) => {
  expect(await engineContainers(project)).toEqual([]);
  const filters = JSON.stringify({ label: [`dev.berth.project=${project}`] });
  expect(await docker.listNetworks({ filters })).toEqual([]);
  expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
};

describe('port clashes are reported before anything is created', () => {
  const a = uniqueProject('ports-a');
  const b = uniqueProject('ports-b');
  let server: Server | undefined;
  afterAll(async () => {
    server?.close();
    await cleanupProject(a);
    await cleanupProject(b);
  });

  test('a host port held by a running process', async () => {
    const port = await freePort();
    server = createServer();
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    const up = await stackCli(a, fixture('basic'), { BASIC_PORT: String(port) }).run('up', '-d');
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(
      new RegExp(
        `port 127\\.0\\.0\\.1:${port} \\(service "web"\\) is taken by (process \\d+ \\(.*node.*\\)|another process)`,
      ),
    );
    expect(up.stderr).toContain('nothing was created');
    await nothingCreated(a);
    await new Promise((r) => server!.close(r));
    server = undefined;
  });

  test('a host port held by another berth project names that project', async () => {
    const port = String(await freePort());
    ok(await stackCli(a, fixture('basic'), { BASIC_PORT: port }).run('up', '-d'));
    const up = await stackCli(b, fixture('basic'), { BASIC_PORT: port }).run('up', '-d');
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      `port 127.0.0.1:${port} (service "web") is taken by berth project "${a}" (service web); stop it with \`berth -p ${a} stop\``,
    );
    await nothingCreated(b);
  });
});
