// A host port taken between `up`'s pre-check and the start (a race with another process or another project):
// the failure reads as the pre-check's message, once, naming the holder, and the container that never ran is
// removed, not left `created`. On the fake engine, whose start fails as dockerd's does; the holder is a real
// listener of this process, so the message names it as on a real machine.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { PortSpec } from '../../src/model/stack.js';
import { isPortBindFailure } from '../../src/executor/preflight.js';
import { formatEvent } from '../../src/executor/render.js';
import { failuresOf, up } from '../support/executor-harness.js';
import { FakeEngine } from '../support/fake-engine.js';
import { service, stack } from './stack-factory.js';

const fakes: FakeEngine[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) f.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const listen = async (): Promise<number> => {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
};
const published = (port: number): PortSpec => ({
  target: 80,
  published: String(port),
  host_ip: '127.0.0.1',
  protocol: 'tcp',
});
const webStack = (project: string, port: number) =>
  stack(
    [
      service('db'),
      service('web', {
        ports: [published(port)],
        depends_on: { db: { condition: 'service_started', required: true, restart: false } },
      }),
    ],
    { project },
  );

describe('a port taken after the pre-check', () => {
  test("dockerd's wordings of a bind failure are recognised, and nothing else", () => {
    expect(
      isPortBindFailure(
        'driver failed programming external connectivity on endpoint x (ab): Error starting userland proxy: listen tcp4 127.0.0.1:8080: bind: address already in use',
      ),
    ).toBe(true);
    expect(isPortBindFailure('Bind for 0.0.0.0:8080 failed: port is already allocated')).toBe(true);
    expect(
      isPortBindFailure(
        'failed to set up container networking: driver failed programming external connectivity on endpoint x: failed to bind host port for 0.0.0.0:8080:172.17.0.2:80/tcp: address already in use',
      ),
    ).toBe(true);
    expect(isPortBindFailure('OCI runtime create failed: exec: "nope": executable file not found')).toBe(
      false,
    );
  });

  test('by a process: the holder is named once, the never-started container is removed', async () => {
    const f = new FakeEngine();
    fakes.push(f);
    const port = await listen();
    f.takeHostPort('127.0.0.1', port);
    const s = webStack('demo', port);
    const { result, events } = await up(f, s);
    expect(result.ok).toBe(false);
    const failures = failuresOf(events);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(
      new RegExp(
        `^port 127\\.0\\.0\\.1:${port} \\(service "web"\\) is taken by process ${process.pid} \\(.*\\); stop it or change the port$`,
      ),
    );
    // what `berth up` prints: the holder once, dockerd's raw words never
    const printed = events.map((e) => formatEvent(e, false) ?? '').join('\n');
    expect(printed.split('is taken by').length - 1).toBe(1);
    expect(printed).not.toContain('userland proxy');
    expect(f.get('demo-web-1')).toBeUndefined();
    expect(f.get('demo-db-1')?.state).toBe('running');
    expect(f.list().filter((c) => c.state === 'created')).toEqual([]);
  });

  test('by another berth project: named as the pre-check names it', async () => {
    const f = new FakeEngine();
    fakes.push(f);
    const port = 40000 + (process.pid % 20000);
    expect((await up(f, webStack('other', port))).result.ok).toBe(true);
    const { result, events } = await up(f, webStack('demo', port));
    expect(result.ok).toBe(false);
    expect(failuresOf(events).map((x) => x.message)).toEqual([
      `port 127.0.0.1:${port} (service "web") is taken by berth project "other" (service web); stop it with \`berth -p other stop\` or \`berth use <client>\`, or change the port`,
    ]);
    expect(f.get('demo-web-1')).toBeUndefined();
    expect(f.get('other-web-1')?.state).toBe('running');
  });

  test("the holder gone by the time berth looks: the port is named from the engine's words", async () => {
    const f = new FakeEngine();
    fakes.push(f);
    const port = await listen();
    f.takeHostPort('127.0.0.1', port);
    await new Promise((r) => servers.pop()!.close(r));
    const { events } = await up(f, webStack('demo', port));
    expect(failuresOf(events).map((x) => x.message)).toEqual([
      `port 127.0.0.1:${port} (service "web") is taken by another process; free it or change the port`,
    ]);
    expect(f.get('demo-web-1')).toBeUndefined();
  });
});
