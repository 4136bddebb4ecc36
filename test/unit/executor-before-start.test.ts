// `beforeStart` (what `berth use` gives `up`): a gated service's containers start only once its gate opens,
// while the rest of the stack, including what the gated service depends on, starts at once.
import { afterEach, expect, test } from 'vitest';
import { problems, up } from '../support/executor-harness.js';
import { FakeEngine } from '../support/fake-engine.js';
import { service, stack } from './stack-factory.js';

const fakes: FakeEngine[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) f.close();
});

test('the gated service waits for its gate; the others start before it opens', async () => {
  const f = new FakeEngine();
  fakes.push(f);
  const s = stack([
    service('db'),
    service('app', { depends_on: { db: { condition: 'service_started', required: true, restart: false } } }),
    service('lb', { depends_on: { app: { condition: 'service_started', required: true, restart: false } } }),
  ]);
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const asked: string[] = [];
  const run = up(f, s, {
    beforeStart: async (name) => {
      asked.push(name);
      if (name === 'lb') await gate;
    },
  });
  // Every ungated service starts while lb waits.
  const started = () => f.callsOf(['startContainer']).map((c) => c.service);
  const deadline = Date.now() + 10_000;
  while (!asked.includes('lb') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(asked).toContain('lb');
  expect(started().sort()).toEqual(['app', 'db']);
  open();
  const { result } = await run;
  expect(result.ok).toBe(true);
  expect(started()).toEqual(['db', 'app', 'lb']);
  expect(problems(f, s)).toEqual([]);
});

test('an interrupt while a service waits at its gate: it does not start', async () => {
  const f = new FakeEngine();
  fakes.push(f);
  const s = stack([service('db'), service('lb')]);
  const ac = new AbortController();
  const { result } = await up(f, s, {
    signal: ac.signal,
    beforeStart: async (name) => {
      if (name === 'lb') ac.abort();
    },
  });
  expect(result.interrupted).toBe(true);
  expect(f.callsOf(['startContainer']).map((c) => c.service)).not.toContain('lb');
});
