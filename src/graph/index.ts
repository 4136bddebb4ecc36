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
              : `services in this stack: ${services.join(', ')}`,
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
      if (deps.get(name)!.includes(to)) continue;
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
    throw badInput(`dependency cycle: ${cycle.join(' → ')}`, {
      pos: (ref?.pos ?? first.pos) as SourcePos | undefined,
      frame: ref?.frame,
      hint: 'services cannot wait for each other; remove one of these dependencies',
    });
  }
  return g;
}

/** A cycle as a path that ends where it starts (`a → b → c → a`), or undefined. */
function findCycle(g: Graph): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const d of g.deps.get(n) ?? []) {
      const s = state.get(d);
      if (s === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (s === undefined) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of g.services) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

/** Dependencies first; among services ready at the same time, file order. */
export function startOrder(g: Graph): string[] {
  return orderOf(g, g.services);
}

function orderOf(g: Graph, subset: string[]): string[] {
  const inSet = new Set(subset);
  const remaining = new Map(subset.map((s) => [s, (g.deps.get(s) ?? []).filter((d) => inSet.has(d)).length]));
  const index = new Map(g.services.map((s, i) => [s, i]));
  const out: string[] = [];
  const ready = subset.filter((s) => remaining.get(s) === 0);
  while (ready.length > 0) {
    ready.sort((a, b) => index.get(a)! - index.get(b)!);
    const n = ready.shift()!;
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

/** Groups that can start in parallel: level k holds services whose deepest dependency is in level k-1. */
export function levels(g: Graph): string[][] {
  const level = new Map<string, number>();
  for (const n of startOrder(g)) {
    const ds = g.deps.get(n) ?? [];
    level.set(n, ds.length === 0 ? 0 : Math.max(...ds.map((d) => level.get(d)!)) + 1);
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
      hint: `services in this stack: ${g.services.join(', ')}`,
    });
  }
  const seen = new Set<string>();
  const todo = [...names];
  while (todo.length > 0) {
    const n = todo.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    todo.push(...(next.get(n) ?? []));
  }
  return g.services.filter((s) => seen.has(s));
}

export { KINDS as edgeKinds };
