import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { berth, tempCompose } from './up-cli.js';

// Clients of one stack share the image their stack builds: building it for one client must not change the
// image under the other, or the other's next `up` would recreate containers that did not change.
const name = uniqueProject('bclients');
const { dir, file } = tempCompose(
  'bclients',
  `name: ${name}
services:
  app:
    build: .
    init: true
    command: ["sleep", "3600"]
    environment:
      CLIENT: \${CLIENT:-none}
x-berth:
  clients:
    acme:
      env: { CLIENT: acme }
    globex:
      env: { CLIENT: globex }
`,
);
writeFileSync(path.join(dir, 'Dockerfile'), 'FROM berth/busybox:latest\nRUN echo built > /built\n');

afterAll(async () => {
  await cleanupProject(`${name}-acme`);
  await cleanupProject(`${name}-globex`);
  const images = await docker.listImages({ filters: JSON.stringify({ label: [`dev.berth.stack=${name}`] }) });
  for (const i of images)
    await docker
      .getImage(i.Id)
      .remove({ force: true })
      .catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const appOf = async (project: string) =>
  (
    await docker.listContainers({
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=app'] }),
    })
  ).map((c) => c.Id);

test('up --build for one client leaves the other client’s containers up to date', async () => {
  const a = await berth(['-f', file, '--client', 'acme', 'up', '-d', '--build']);
  expect(a.code, a.stderr).toBe(0);
  const acme = await appOf(`${name}-acme`);
  expect(acme).toHaveLength(1);
  const g = await berth(['-f', file, '--client', 'globex', 'up', '-d', '--build']);
  expect(g.code, g.stderr).toBe(0);
  const again = await berth(['-f', file, '--client', 'acme', 'up', '-d']);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout + again.stderr).toMatch(/up to date/i);
  expect(await appOf(`${name}-acme`)).toEqual(acme);
});
