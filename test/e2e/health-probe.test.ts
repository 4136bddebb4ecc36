import { afterAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { fixture, stackCli } from './up-cli.js';

const project = uniqueProject('probe');
afterAll(() => cleanupProject(project));

test('start_interval is honoured on an engine that ignores it: the dependent starts before the first engine check', async () => {
  const { ApiVersion } = await docker.version();
  const cli = stackCli(project, fixture('start-interval'));
  const up = await cli.run('up', '-d');
  expect(up.stderr + up.stdout).not.toMatch(/error/i);
  expect(up.code).toBe(0);
  const [db] = await docker.listContainers({
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=db'] }),
  });
  const [app] = await docker.listContainers({
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=app'] }),
  });
  expect(app?.State).toBe('running');
  const dbInfo = await docker.getContainer(db!.Id).inspect();
  if (Number(ApiVersion.split('.')[1]) < 44) {
    // The engine has not run its first check yet (interval 60s): only berth's probe can have let app start.
    expect(dbInfo.State.Health?.Status).toBe('starting');
  } else {
    expect(dbInfo.State.Health?.Status).toBe('healthy');
  }
});
