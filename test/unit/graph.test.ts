import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  buildGraph,
  dependenciesOf,
  dependentsOf,
  levels,
  selectWithDependents,
  selectWithDeps,
  startOrder,
} from '../../src/graph/index.js';
import type { Service } from '../../src/model/stack.js';
import { load, loadError } from './compose-helpers.js';
import { service, stack as stackOf } from './stack-factory.js';

const svc = (name: string, deps: string[] = [], extra: Partial<Service> = {}): Service =>
  service(name, {
    depends_on: Object.fromEntries(
      deps.map((d) => [d, { condition: 'service_started', required: true, restart: false }]),
    ),
    ...extra,
  });

const stack = (services: Service[], disabled: string[] = []) =>
  stackOf(services, { disabledServices: disabled });

describe('graph', () => {
  const demo = stack([
    svc('lb', ['nginx']),
    svc('nginx', ['app']),
    svc('app', ['db', 'store']),
    svc('db'),
    svc('store'),
    svc('tools'),
  ]);
  const g = buildGraph(demo);
  test('start order: dependencies first, ties in file order', () => {
    expect(startOrder(g)).toEqual(['db', 'store', 'app', 'nginx', 'lb', 'tools']);
  });
  test('levels for parallel start', () => {
    expect(levels(g)).toEqual([['db', 'store', 'tools'], ['app'], ['nginx'], ['lb']]);
  });
  test('direct dependencies and dependents', () => {
    expect(dependenciesOf(g, 'app')).toEqual(['db', 'store']);
    expect(dependentsOf(g, 'app')).toEqual(['nginx']);
    expect(dependentsOf(g, 'lb')).toEqual([]);
  });
  test('selection with dependencies (and with dependents), in start order', () => {
    expect(selectWithDeps(g, ['nginx'])).toEqual(['db', 'store', 'app', 'nginx']);
    expect(selectWithDeps(g, ['tools', 'db'])).toEqual(['db', 'tools']);
    expect(selectWithDependents(g, ['db'])).toEqual(['db', 'app', 'nginx', 'lb']);
    expect(() => selectWithDeps(g, ['nope'])).toThrow(/no such service: nope/);
  });
  test('implicit edges: links, volumes_from, network_mode/ipc/pid service:x', () => {
    const g2 = buildGraph(
      stack([
        svc('a', [], { links: ['b:alias'], volumes_from: ['c:ro', 'container:foreign'] }),
        svc('b', [], { network_mode: 'service:d' }),
        svc('c', [], { ipc: 'service:d', pid: 'host' }),
        svc('d'),
      ]),
    );
    expect(startOrder(g2)).toEqual(['d', 'b', 'c', 'a']);
    expect(g2.edges.map((e) => `${e.from}->${e.to}:${e.kind}`)).toEqual([
      'a->b:links',
      'a->c:volumes_from',
      'b->d:network_mode',
      'c->d:ipc',
    ]);
  });
  test('cycles print as a path; a missing service names the line that refers to it', () => {
    expect(
      loadError({
        'compose.yaml':
          'services:\n  a:\n    image: x\n    links: [b]\n  b:\n    image: x\n    volumes_from: [a]\n',
      }),
    ).toMatch(/compose.yaml:4:13: dependency cycle: a → b → a/);
    expect(
      loadError({
        'compose.yaml':
          'services:\n  a:\n    image: x\n    depends_on:\n      ghost:\n        condition: service_healthy\n',
      }),
    ).toMatch(
      /compose.yaml:5:7: service `a` refers to `ghost` \(depends_on\), but there is no service `ghost`/,
    );
  });
  test('a loaded stack and its graph agree', () => {
    const s = load({
      'compose.yaml': 'services:\n  web:\n    image: x\n    depends_on: [api]\n  api:\n    image: x\n',
    });
    expect(startOrder(buildGraph(s))).toEqual(['api', 'web']);
  });
});

// Random DAGs: service i may depend only on services with a smaller index in a random permutation, so the
// graph is acyclic; the file order is another permutation.
const dag = fc.integer({ min: 1, max: 25 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
    fileOrder: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
  }),
);

describe('graph properties', () => {
  test('start order always respects every dependency and contains every service once', () => {
    fc.assert(
      fc.property(dag, ({ n, edges, fileOrder }) => {
        const deps = new Map<number, Set<number>>();
        for (const [a, b] of edges) if (a > b) (deps.get(a) ?? deps.set(a, new Set()).get(a)!).add(b);
        const services = fileOrder.map((i) =>
          svc(
            `s${i}`,
            [...(deps.get(i) ?? [])].map((d) => `s${d}`),
          ),
        );
        const g = buildGraph(stack(services));
        const order = startOrder(g);
        expect(order).toHaveLength(n);
        expect(new Set(order).size).toBe(n);
        const pos = new Map(order.map((s, i) => [s, i]));
        for (const e of g.edges) expect(pos.get(e.to)!).toBeLessThan(pos.get(e.from)!);
        // levels: every dependency sits in an earlier level
        const lv = new Map(levels(g).flatMap((l, i) => l.map((s) => [s, i] as const)));
        for (const e of g.edges) expect(lv.get(e.to)!).toBeLessThan(lv.get(e.from)!);
        // selection is closed under dependencies
        const pick = order[order.length - 1]!;
        const sel = new Set(selectWithDeps(g, [pick]));
        for (const e of g.edges) if (sel.has(e.from)) expect(sel.has(e.to)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
  test('adding a back edge to a chain always yields a cycle error naming a path', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), (n) => {
        const services = [...Array(n).keys()].map((i) =>
          svc(`s${i}`, i === 0 ? [`s${n - 1}`] : [`s${i - 1}`]),
        );
        expect(() => buildGraph(stack(services))).toThrow(/dependency cycle: s\d+( → s\d+)+/);
      }),
    );
  });
});
