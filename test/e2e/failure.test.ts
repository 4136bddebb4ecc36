import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, uniqueProject } from './helpers.js';
import { engineContainers, fixture, stackCli } from './up-cli.js';

describe('a failing healthcheck', () => {
  const project = uniqueProject('failure');
  afterAll(() => cleanupProject(project));

  test('up --wait exits 1 naming the service with its last log lines; its dependents are not started', async () => {
    const cli = stackCli(project, fixture('unhealthy'));
    const up = await cli.run('up', '-d', '--wait');
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/service "db" is unhealthy/);
    expect(up.stderr).toContain('db: FATAL cannot open data directory');
    expect(up.stderr).toMatch(/Service app +not started: dependency "db" failed/);
    expect(up.stderr).toMatch(/Service web +not started: dependency "app" was not started/);
    const state = Object.fromEntries(
      (await engineContainers(project)).map((c) => [c.name.replace(`${project}-`, ''), c.state]),
    );
    expect(state).toEqual({ 'app-1': 'created', 'db-1': 'running', 'side-1': 'running', 'web-1': 'created' });
  });
});

describe('engine unreachable', () => {
  test.each([['up', '-d'], ['down'], ['ps']])(
    '%s exits 3 with one line saying how to start it',
    async (...args) => {
      const run = await stackCli('bt-unreachable', fixture('basic'), {
        DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      }).run(...args);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/cannot reach the Docker engine/);
      expect(run.stderr).toMatch(/npm run engine/);
      expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    },
  );
});
