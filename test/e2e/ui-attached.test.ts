import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { terminal } from './terminal.js';
import { ROOT } from './up-cli.js';

// Attached `berth up` on a terminal is the UI; Ctrl-C there stops the stack (as Compose does), with the
// stop progress shown in the UI, and leaves the containers stopped, not removed.
const project = uniqueProject('uiup');
const file = path.join(ROOT, 'fixtures/logs/chatty/berth.yaml');
const session = project;
const term = terminal(session, 30_000);
const { until } = term;

afterAll(async () => {
  term.close();
  await cleanupProject(project);
});

test('attached up on a terminal opens the UI; Ctrl-C stops the stack with progress in the UI', async () => {
  const cmd = `cd ${ROOT} && NO_COLOR=1 node bin/berth.js -f ${file} -p ${project} up; echo BERTH-EXIT=$?; sleep 120`;
  term.open(cmd);
  await until(
    (x) =>
      ['web', 'worker', 'db'].every((s) => new RegExp(`^[ ›] ${s} +running`, 'm').test(x)) &&
      /worker \| worker tick/.test(x),
    'the UI with every service running and their logs',
  );
  term.keys('C-c');
  const s = await until((x) => x.includes('BERTH-EXIT=130'), 'attached up to stop and exit');
  expect(s).not.toContain('internal error');
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
  });
  expect(list).toHaveLength(4);
  for (const c of list) expect(c.State).toBe('exited');
});
