// The "done when" on the demo stack (lb → nginx → app ×2 → db + store) with its clients acme and
// globex: each answers with its own app setting, banner and database; switching back is a start of the same
// containers and the counts continue. Runs on a copy of fixtures/demo under a unique stack name and port.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { berthOk, containersOf, copyStack, httpGet, portInto, type StackCopy } from './clients-support.js';

let demo: StackCopy;
let base: string;

beforeAll(async () => {
  demo = copyStack('demo', 'cdemo');
  const port = await portInto(demo, 'BERTH_DEMO_PORT');
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => demo?.cleanup());

interface Visit {
  client: string;
  db: number;
  store: number;
}
const visit = async () => JSON.parse(await httpGet(`${base}/api/visit`, 60_000)) as Visit;

test('use acme → acme; use globex → globex with a fresh database; use acme → same containers, counts continue', async () => {
  await berthOk(['use', 'acme'], demo.dir);
  expect(await visit()).toMatchObject({ client: 'acme', db: 1, store: 1 });
  expect(await visit()).toMatchObject({ client: 'acme', db: 2, store: 2 });
  expect((await httpGet(`${base}/banner`)).trim()).toBe('Acme Corp - berth demo');
  const acme = await containersOf(demo.project('acme'));
  expect(acme.size).toBe(6);

  await berthOk(['use', 'globex'], demo.dir);
  expect(await visit()).toMatchObject({ client: 'globex', db: 1, store: 1 });
  expect((await httpGet(`${base}/banner`)).trim()).toBe('Globex Corporation - berth demo');
  for (const c of (await containersOf(demo.project('acme'))).values()) expect(c.state).toBe('exited');

  const back = await berthOk(['use', 'acme'], demo.dir);
  console.log(`switch back to acme (berth use acme, globex running): ${(back.ms / 1000).toFixed(2)} s`);
  expect(back.stderr + back.stdout).not.toMatch(/Container \S+ +(Created|Recreated)/);
  const again = await containersOf(demo.project('acme'));
  for (const [name, c] of acme) expect(again.get(name)).toEqual({ id: c.id, state: 'running' });
  expect(await visit()).toMatchObject({ client: 'acme', db: 3, store: 3 });
  for (const c of (await containersOf(demo.project('globex'))).values()) expect(c.state).toBe('exited');

  const ls = JSON.parse((await berthOk(['ls', '--format', 'json'], demo.dir)).stdout) as Array<{
    stack: string;
    client: string;
    state: string;
    total: number;
  }>;
  expect(
    ls
      .filter((r) => r.stack === demo.name)
      .map((r) => [r.client, r.state, r.total])
      .sort(),
  ).toEqual([
    ['acme', 'running', 6],
    ['globex', 'stopped', 6],
  ]);
});
