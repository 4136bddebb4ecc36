// An engine socket that accepts connections and never answers: berth gives up after BERTH_ENGINE_TIMEOUT
// seconds with exit 3 naming the engine, instead of hanging.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { berth, tempCompose } from './up-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-silent-'));
const sock = path.join(dir, 'docker.sock');
const held: Socket[] = [];
const server = createServer((s) => held.push(s)); // accept, read nothing back, never answer
const stack = tempCompose('silent', 'services:\n  a:\n    image: berth/busybox\n    command: sleep 1\n');

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
  rmSync(stack.dir, { recursive: true, force: true });
});

test.each([['ps'], ['up', '-d'], ['down']])(
  'berth %s against a silent socket: exit 3 within the timeout',
  async (...args) => {
    if (!server.listening) await new Promise<void>((r) => server.listen(sock, r));
    const r = await berth(['-p', 'bt-safety-silent', '-f', stack.file, ...args], {
      DOCKER_HOST: `unix://${sock}`,
      DOCKER_CONTEXT: '',
      BERTH_ENGINE_TIMEOUT: '2',
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`unix://${sock}`);
    expect(r.stderr).toMatch(/no answer from the engine within 2 s/);
    // the deadline plus node's start-up, with room for a loaded machine; never the hang it was
    expect(r.ms).toBeLessThan(2_000 + 15_000);
  },
);
