// Graphs of thousands of services: every walk (order, levels, cycle detection, selection) is a loop with an
// explicit stack, so a 5,000-service depends_on chain loads instead of overflowing the call stack.
import { describe, expect, test } from 'vitest';
import {
  buildGraph,
  levels,
  selectWithDependents,
  selectWithDeps,
  startOrder,
} from '../../src/graph/index.js';
import type { Service } from '../../src/model/stack.js';
import { load, loadError } from './compose-helpers.js';
import { service, stack as stackOf } from './stack-factory.js';

const N = 5000;

const svc = (name: string, deps: string[]): Service =>
  service(name, {
    depends_on: Object.fromEntries(
      deps.map((d) => [d, { condition: 'service_started', required: true, restart: false }]),
    ),
  });

/** s0 needs s1, s1 needs s2, ...: depth-first from s0 goes all the way down, the case that overflowed. */
const chainFile = (n: number, closeLoop = false) =>
  `services:\n${Array.from({ length: n }, (_, i) => {
    const next = i < n - 1 ? `s${i + 1}` : closeLoop ? 's0' : undefined;
    return `  s${i}:\n    image: berth/busybox\n${next ? `    depends_on: [${next}]\n` : ''}`;
  }).join('')}`;

describe('a 5,000-service depends_on chain', { timeout: 60_000 }, () => {
  test('loads from YAML, starts from the bottom, one service per level', () => {
    const stack = load({ 'compose.yaml': chainFile(N) });
    const g = buildGraph(stack);
    const order = startOrder(g);
    expect(order).toHaveLength(N);
    expect(order[0]).toBe(`s${N - 1}`);
    expect(order[N - 1]).toBe('s0');
    const lv = levels(g);
    expect(lv).toHaveLength(N);
    expect(lv[0]).toEqual([`s${N - 1}`]);
    expect(selectWithDeps(g, ['s4990'])).toEqual(Array.from({ length: 10 }, (_, i) => `s${N - 1 - i}`));
    expect(selectWithDependents(g, ['s2'])).toEqual(['s2', 's1', 's0']);
  });

  test('closed into a loop: a clean error naming the cycle as a path, shortened to one line', () => {
    const msg = loadError({ 'compose.yaml': chainFile(N, true) });
    expect(msg).toMatch(
      /^compose\.yaml:\d+:\d+: dependency cycle: s0 → s1 → s2 → s3 → s4 → s5 → … \(4990 more\) … → s4996 → s4997 → s4998 → s4999 → s0\n/,
    );
    expect(msg.split('\n')[0]!.length).toBeLessThan(200);
  });

  test('built by hand, in either direction', () => {
    const down = stackOf(Array.from({ length: N }, (_, i) => svc(`s${i}`, i < N - 1 ? [`s${i + 1}`] : [])));
    expect(startOrder(buildGraph(down))[0]).toBe(`s${N - 1}`);
    const up = stackOf(Array.from({ length: N }, (_, i) => svc(`s${i}`, i > 0 ? [`s${i - 1}`] : [])));
    expect(startOrder(buildGraph(up))).toEqual(Array.from({ length: N }, (_, i) => `s${i}`));
  });
});

test('5,000 independent services: file order, one level', () => {
  const g = buildGraph(stackOf(Array.from({ length: N }, (_, i) => svc(`s${i}`, []))));
  expect(startOrder(g)).toEqual(Array.from({ length: N }, (_, i) => `s${i}`));
  expect(levels(g)).toHaveLength(1);
});

test('one service needing 5,000 others: it comes last, after the others in file order', () => {
  const others = Array.from({ length: N }, (_, i) => svc(`s${i}`, []));
  const g = buildGraph(
    stackOf([
      svc(
        'hub',
        others.map((o) => o.name),
      ),
      ...others,
    ]),
  );
  const order = startOrder(g);
  expect(order.at(-1)).toBe('hub');
  expect(order.slice(0, 3)).toEqual(['s0', 's1', 's2']);
  expect(selectWithDependents(g, ['s7'])).toEqual(['s7', 'hub']);
});

test('a missing dependency in a big stack: the hint lists a few services, not all of them', () => {
  const msg = loadError({
    'compose.yaml': `${chainFile(300)}  broken:\n    image: x\n    depends_on: [nope]\n`,
  });
  expect(msg).toMatch(/there is no service `nope`/);
  expect(msg).toMatch(/hint: services in this stack: s0, s1, .*, … \(281 more\)$/);
});
