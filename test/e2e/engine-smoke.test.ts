import { afterAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';

const project = uniqueProject('smoke');
afterAll(() => cleanupProject(project));

test('a container from the local busybox image runs on a user-defined network and we read its output', async () => {
  const labels = { 'dev.berth.project': project };
  const net = await docker.createNetwork({ Name: `${project}_default`, Labels: labels });
  const container = await docker.createContainer({
    name: `${project}-echo-1`,
    Image: 'berth/busybox:latest',
    Cmd: ['sh', '-c', 'echo hello from $(hostname)'],
    Hostname: 'echo1',
    Labels: labels,
    HostConfig: { NetworkMode: `${project}_default` },
  });
  await container.start();
  const result = await container.wait();
  expect(result.StatusCode).toBe(0);
  const logs = await container.logs({ stdout: true, stderr: true });
  // The engine multiplexes stdout/stderr with 8-byte frame headers; strip them to read the text.
  expect(logs.subarray(8).toString()).toBe('hello from echo1\n');
  const info = await net.inspect();
  expect(info.Labels?.['dev.berth.project']).toBe(project);
});
