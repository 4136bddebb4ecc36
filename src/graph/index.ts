// The dependency graph of a stack: edges from depends_on, links, volumes_from and network_mode/ipc/pid
// `service:x`. Pure: start order, parallel levels, selection of services with what they need.
import { type BerthError, BerthErrors, badInput, type SourcePos } from '../errors.js';
import type { Stack } from '../model/stack.js';

export type EdgeKind = 'depends_on' | 'links' | 'volumes_from' | 'network_mode' | 'ipc' | 'pid';

export interface Edge {
  /** The dependent service. */
  from: string;
  /** The service it needs. */
  to: string;
  kind: EdgeKind;
}

export interface Graph {
  /** Service names in file order (the tie-breaker everywhere). */
  services: string[];
  edges: Edge[];
  /** name → direct dependencies, in file order. */
  deps: Map<string, string[]>;
  /** name → direct dependents, in file order. */
  dependents: Map<string, string[]>;
}

const KINDS: EdgeKind[] = ['depends_on', 'links', 'volumes_from', 'network_mode', 'ipc', 'pid'];

/** The services a service refers to, by kind (container:x and other non-service forms are not edges). */
function refsOf(svc: Stack['services'][string]): Array<{ to: string; kind: EdgeKind; required: boolean }> {
  const out: Array<{ to: string; kind: EdgeKind; required: boolean }> = [];
  const seen = new Set<string>();
  const add = (to: string, kind: EdgeKind, required: boolean) => {
    if (seen.has(to)) return;
    seen.add(to);
    out.push({ to, kind, required });
  };
  // explicit and implicit (normalized into depends_on with `implicit`) edges; the raw fields are read too
  // so a Stack built by hand gets the same graph
  for (const [to, d] of Object.entries(svc.depends_on)) add(to, d.implicit ?? 'depends_on', d.required);
  for (const l of svc.links) add(l.split(':')[0]!, 'links', true);
  for (const v of svc.volumes_from) {
    if (v.startsWith('container:')) continue;
    add(v.replace(/^service:/, '').split(':')[0]!, 'volumes_from', true);
  }
  for (const kind of ['network_mode', 'ipc', 'pid'] as const) {
    const v = svc[kind];
    if (v?.startsWith('service:')) add(v.slice('service:'.length), kind, true);
  }
  return out;
}

export function buildGraph(stack: Stack): Graph {
  const services = Object.keys(stack.services);
  const index = new Map(services.map((s, i) => [s, i]));
  const disabled = new Set(stack.disabledServices);
  const errors: BerthError[] = [];
  const edges: Edge[] = [];
  const deps = new Map<string, string[]>(services.map((s) => [s, []]));
  const dependents = new Map<string, string[]>(services.map((s) => [s, []]));
  const edgeSet = new Set<string>();
  for (const name of services) {
    const svc = stack.services[name]!;
    for (const { to, kind, required } of refsOf(svc)) {
      const ref = svc.refs?.[`${kind}:${to}`];
      if (!index.has(to)) {
        if (!required) continue;
        if (to === name) continue;
        const msg = disabled.has(to)
          ? `service \`${name}\` needs \`${to}\` (${kind}), which is disabled by its profiles`
          : `service \`${name}\` refers to \`${to}\` (${kind}), but there is no service \`${to}\``;
        errors.push(
          badInput(msg, {
            pos: ref?.pos ?? svc.pos,
            frame: ref?.frame,
            hint: disabled.has(to)
              ? `enable its profile with --profile (or COMPOSE_PROFILES), or mark the dependency \`required: false\``
              : `services in this stack: ${someOf(services)}`,
          }),
        );
        continue;
      }
      if (to === name) {
        errors.push(
          badInput(`service \`${name}\` depends on itself (${kind})`, {
            pos: ref?.pos ?? svc.pos,
            frame: ref?.frame,
            hint: 'remove the reference',
          }),
        );
        continue;
      }
      const key = `${name}\0${to}`;
      if (edgeSet.has(key)) continue;
      edgeSet.add(key);
      edges.push({ from: name, to, kind });
      deps.get(name)!.push(to);
      dependents.get(to)!.push(name);
    }
  }
  const byFileOrder = (a: string, b: string) => index.get(a)! - index.get(b)!;
  for (const l of deps.values()) l.sort(byFileOrder);
  for (const l of dependents.values()) l.sort(byFileOrder);
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new BerthErrors(errors);
  const g: Graph = { services, edges, deps, dependents };
  const cycle = findCycle(g);
  if (cycle) {
    const first = stack.services[cycle[0]!]!;
    const edge = edges.find((e) => e.from === cycle[0] && e.to === cycle[1]);
    const ref = edge ? first.refs?.[`${edge.kind}:${edge.to}`] : undefined;
    throw badInput(`dependency cycle: ${shownCycle(cycle)}`, {
      pos: (ref?.pos ?? first.pos) as SourcePos | undefined,
      frame: ref?.frame,
      hint: 'services cannot wait for each other; remove one of these dependencies',
    });
  }
  return g;
}

/**
 * A cycle as a path that ends where it starts (`a → b → c → a`), or undefined. Depth-first in file order, with
 * an explicit stack: a chain of thousands of services must not overflow the call stack.
 */
function findCycle(g: Graph): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  for (const root of g.services) {
    if (state.has(root)) continue;
    // the current path, and for each node on it the index of the next dependency to look at
    const path: string[] = [root];
    const next: number[] = [0];
    const onPath = new Map<string, number>([[root, 0]]);
    state.set(root, 1);
    while (path.length > 0) {
      const top = path.length - 1;
      const n = path[top]!;
      const ds = g.deps.get(n) ?? [];
      const i = next[top]!;
      if (i >= ds.length) {
        path.pop();
        next.pop();
        onPath.delete(n);
        state.set(n, 2);
        continue;
      }
      next[top] = i + 1;
      const d = ds[i]!;
      const s = state.get(d);
      if (s === 1) return [...path.slice(onPath.get(d)), d];
      if (s === undefined) {
        state.set(d, 1);
        onPath.set(d, path.length);
        path.push(d);
        next.push(0);
      }
    }
  }
  return undefined;
}

/** A long cycle keeps its ends and says how much is left out, so the message stays one screen. */
function shownCycle(cycle: string[]): string {
  if (cycle.length <= 12) return cycle.join(' → ');
  const head = cycle.slice(0, 6);
  const tail = cycle.slice(-5);
  return `${head.join(' → ')} → … (${cycle.length - 11} more) … → ${tail.join(' → ')}`;
}

/** At most 20 names, then how many more: hints stay short for a stack of thousands. */
function someOf(names: string[]): string {
  return names.length <= 20
    ? names.join(', ')
    : `${names.slice(0, 20).join(', ')}, … (${names.length - 20} more)`;
}

/** Dependencies first; among services ready at the same time, file order. */
export function startOrder(g: Graph): string[] {
  return orderOf(g, g.services);
}

function orderOf(g: Graph, subset: string[]): string[] {
  const inSet = new Set(subset);
  const index = new Map(g.services.map((s, i) => [s, i]));
  const remaining = new Map<string, number>();
  for (const s of subset) {
    let n = 0;
    for (const d of g.deps.get(s) ?? []) if (inSet.has(d)) n++;
    remaining.set(s, n);
  }
  const out: string[] = [];
  // the ready services, smallest file index first: a heap, so thousands of independent services stay linear-ish
  const ready = new MinHeap<string>((a, b) => index.get(a)! - index.get(b)!);
  for (const s of subset) if (remaining.get(s) === 0) ready.push(s);
  while (ready.size > 0) {
    const n = ready.pop()!;
    out.push(n);
    for (const d of g.dependents.get(n) ?? []) {
      if (!inSet.has(d)) continue;
      const r = remaining.get(d)! - 1;
      remaining.set(d, r);
      if (r === 0) ready.push(d);
    }
  }
  return out;
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Groups that can start in parallel: level k holds services whose deepest dependency is in level k-1. */
export function levels(g: Graph): string[][] {
  const level = new Map<string, number>();
  for (const n of startOrder(g)) {
    let l = 0;
    for (const d of g.deps.get(n) ?? []) l = Math.max(l, level.get(d)! + 1);
    level.set(n, l);
  }
  const out: string[][] = [];
  for (const n of g.services) {
    const l = level.get(n)!;
    const row = out[l] ?? [];
    row.push(n);
    out[l] = row;
  }
  return out;
}

/** Direct dependencies of a service, in file order. */
export function dependenciesOf(g: Graph, name: string): string[] {
  return [...(g.deps.get(name) ?? [])];
}

/** Direct dependents of a service, in file order. */
export function dependentsOf(g: Graph, name: string): string[] {
  return [...(g.dependents.get(name) ?? [])];
}

/** Everything that (transitively) depends on the given services, them included, in start order. */
export function selectWithDependents(g: Graph, names: string[]): string[] {
  return orderOf(g, closure(g, names, g.dependents));
}

/** The services and everything they (transitively) need, in start order. Unknown names are bad usage. */
export function selectWithDeps(g: Graph, names: string[]): string[] {
  return orderOf(g, closure(g, names, g.deps));
}

function closure(g: Graph, names: string[], next: Map<string, string[]>): string[] {
  const known = new Set(g.services);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw badInput(`no such service: ${unknown.join(', ')}`, {
      hint: `services in this stack: ${someOf(g.services)}`,
    });
  }
  const seen = new Set<string>();
  const todo = [...names];
  while (todo.length > 0) {
    const n = todo.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    // a loop, not push(...list): a service with more dependents than the engine allows arguments must not throw
    for (const m of next.get(n) ?? []) if (!seen.has(m)) todo.push(m);
  }
  return g.services.filter((s) => seen.has(s));
}

export { KINDS as edgeKinds };
