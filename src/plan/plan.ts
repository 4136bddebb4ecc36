// The planner: a pure function from the desired stack and the observed engine state to the fewest actions that
// make them match. No engine calls here; src/executor executes the result.

import { containerName, containerTemplate, serviceNetworks } from '../engine/create-options.js';
import { sharesWith } from '../graph/deps.js';
import type { ObservedContainer, ObservedState } from '../model/index.js';
import { resourceName } from '../model/index.js';
import type { Service, Stack } from '../model/stack.js';
import { configHash } from './hash.js';
import type { Action, Plan, RecreateReason } from './types.js';

export interface PlanOptions {
  /** Resolved image ID per service (part of the hash: a rebuilt image recreates its containers). */
  imageIds: Record<string, string>;
  /** Services to bring up (already including their dependencies unless --no-deps); default: all. */
  services?: string[];
  forceRecreate?: boolean;
  /** Services recreated changed or not (`up --always-recreate-deps`: the dependencies of the named ones). */
  forceRecreateServices?: readonly string[];
  noRecreate?: boolean;
  removeOrphans?: boolean;
  /** `--scale svc=N` overrides. */
  scale?: Record<string, number>;
  /** Services an interrupted `up` owed a restart (their dependency was replaced, they were not restarted). */
  owedRestarts?: readonly string[];
}

/** Hash of every service of the stack, as the planner computes it (exported for `ps` and tests). */
export function serviceHash(stack: Stack, service: Service, imageId: string): string {
  return configHash(stack, service, containerTemplate(stack, service), imageId);
}

/**
 * The networks and volumes the selected services need that the project does not have yet. External ones are
 * the user's: never created. Used by `up` and by `run` (a one-off joins its service's networks and volumes).
 */
export function planResources(
  stack: Stack,
  observed: Pick<ObservedState, 'networks' | 'volumes'>,
  selected: readonly string[],
): Action[] {
  const actions: Action[] = [];
  const haveNetworks = new Set(observed.networks.map((n) => n.name));
  const wantNetworks = new Map<string, string>();
  const haveVolumes = new Set(observed.volumes.map((v) => v.name));
  const wantVolumes = new Map<string, string>();
  for (const name of selected) {
    const svc = stack.services[name]!;
    if (!svc.network_mode)
      for (const key of Object.keys(svc.networks)) {
        const net = stack.networks[key];
        if (net?.external) continue;
        wantNetworks.set(key, resourceName(stack.project, key, net?.name));
      }
    for (const m of svc.volumes) {
      if (m.type !== 'volume' || !m.source) continue;
      const vol = stack.volumes[m.source];
      if (!vol || vol.external) continue;
      wantVolumes.set(m.source, vol.name);
    }
  }
  for (const [key, name] of wantNetworks)
    if (!haveNetworks.has(name)) actions.push({ kind: 'create-network', key, name });
  for (const [key, name] of wantVolumes)
    if (!haveVolumes.has(name)) actions.push({ kind: 'create-volume', key, name });
  return actions;
}

/** The plan while it is being made: actions per service, containers left as they are, removals. */
interface Draft {
  perService: Map<string, Action[]>;
  unchanged: ObservedContainer[];
  removals: Action[];
}

const byReplica = (a: Action, b: Action) =>
  ('replica' in a ? a.replica : 0) - ('replica' in b ? b.replica : 0);
const isReplaced = (actions: Action[] | undefined) =>
  (actions ?? []).some((a) => a.kind === 'recreate' || a.kind === 'create');

export function planUp(stack: Stack, observed: ObservedState, opts: PlanOptions): Plan {
  const selected = opts.services
    ? Object.keys(stack.services).filter((s) => opts.services!.includes(s))
    : Object.keys(stack.services);
  const draft: Draft = { perService: new Map(), unchanged: [], removals: [] };
  const byService = new Map<string, ObservedContainer[]>();
  for (const c of observed.containers) {
    if (c.oneoff) continue;
    byService.set(c.service, [...(byService.get(c.service) ?? []), c]);
  }
  for (const name of selected) planReplicas(stack, name, byService.get(name) ?? [], opts, draft);
  if (!opts.noRecreate) followSharedNamespaces(stack, selected, opts, draft);
  planDependencyRestarts(stack, selected, draft, opts.owedRestarts ?? []);
  const orphans = planOrphans(stack, observed, opts, draft);
  const actions: Action[] = [...planResources(stack, observed, selected), ...draft.removals];
  for (const name of selected) actions.push(...(draft.perService.get(name) ?? []));
  return { project: stack.project, actions, unchanged: draft.unchanged, orphans, services: selected };
}

/**
 * One service's replicas against its containers: same hash and running → nothing; same hash and stopped →
 * start; different hash, a missing network, or a dead container → recreate; missing → create; beyond the
 * wanted scale, or under a name that is not canonical (an interrupted recreate's leftover) → remove.
 */
function planReplicas(
  stack: Stack,
  name: string,
  existing: ObservedContainer[],
  opts: PlanOptions,
  draft: Draft,
): void {
  const svc = stack.services[name]!;
  const imageId = opts.imageIds[name] ?? '';
  const hash = serviceHash(stack, svc, imageId);
  const wanted = opts.scale?.[name] ?? svc.replicas;
  const expectedNetworks = serviceNetworks(stack, svc);
  const list: Action[] = [];
  const maxExisting = existing.reduce((m, c) => Math.max(m, c.replica), 0);
  for (const c of existing) {
    const canonical = containerName(stack.project, svc, c.replica);
    if (c.replica > wanted || c.replica < 1)
      draft.removals.push({
        kind: 'remove',
        service: name,
        name: c.name,
        container: c,
        reason: 'scale down',
      });
    else if (c.name !== canonical)
      // A temporary container from an interrupted recreate (or a stray copy): the canonical one decides.
      draft.removals.push({ kind: 'remove', service: name, name: c.name, container: c, reason: 'leftover' });
  }
  for (let replica = 1; replica <= wanted; replica++) {
    const cname = containerName(stack.project, svc, replica);
    const c = existing.find((e) => e.replica === replica && e.name === cname);
    if (!c) {
      list.push({
        kind: 'create',
        service: name,
        replica,
        name: cname,
        hash,
        scale: replica > maxExisting && maxExisting > 0,
      });
      continue;
    }
    const reason = opts.noRecreate ? undefined : recreateReason(c, hash, imageId, expectedNetworks, opts);
    if (reason) list.push({ kind: 'recreate', service: name, replica, name: cname, hash, old: c, reason });
    else if (c.state === 'running' || c.state === 'restarting' || c.state === 'paused')
      draft.unchanged.push(c);
    else list.push({ kind: 'start', service: name, replica, name: cname, container: c });
  }
  draft.perService.set(name, list);
}

function recreateReason(
  c: ObservedContainer,
  hash: string,
  imageId: string,
  expectedNetworks: string[],
  opts: PlanOptions,
): RecreateReason | undefined {
  if (opts.forceRecreate || opts.forceRecreateServices?.includes(c.service)) return 'forced';
  if (c.hash !== hash)
    return imageId && c.imageId && c.imageId !== imageId ? 'image changed' : 'config changed';
  if (expectedNetworks.some((n) => !c.networks.includes(n)) && c.state === 'running')
    return 'network missing';
  // a dead container cannot be started again; one being removed is going away
  if (c.state === 'dead' || c.state === 'removing') return 'container dead';
  return undefined;
}

/** A container sharing a namespace or volumes with a service whose containers are replaced must follow them. */
function followSharedNamespaces(stack: Stack, selected: string[], opts: PlanOptions, draft: Draft): void {
  const { perService, unchanged } = draft;
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of selected) {
      const svc = stack.services[name]!;
      const replaced = Object.keys(stack.services).filter(
        (dep) => sharesWith(svc, dep) && isReplaced(perService.get(dep)),
      );
      if (!replaced.length) continue;
      const list = perService.get(name) ?? [];
      for (let i = 0; i < list.length; i++) {
        const a = list[i]!;
        if (a.kind !== 'start') continue;
        const hash = serviceHash(stack, svc, opts.imageIds[name] ?? '');
        list[i] = {
          kind: 'recreate',
          service: name,
          replica: a.replica,
          name: a.name,
          hash,
          old: a.container,
          reason: 'dependency recreated',
        };
        changed = true;
      }
      for (const c of unchanged.filter((u) => u.service === name)) {
        unchanged.splice(unchanged.indexOf(c), 1);
        list.push({
          kind: 'recreate',
          service: name,
          replica: c.replica,
          name: c.name,
          hash: c.hash,
          old: c,
          reason: 'dependency recreated',
        });
        changed = true;
      }
      list.sort(byReplica);
    }
  }
}

/** depends_on `restart: true`: a running dependent is restarted once the dependency it names is replaced. */
function planDependencyRestarts(
  stack: Stack,
  selected: string[],
  draft: Draft,
  owed: readonly string[],
): void {
  const { perService, unchanged } = draft;
  for (const name of selected) {
    const svc = stack.services[name]!;
    const restartOn = Object.entries(svc.depends_on).filter(([, spec]) => spec.restart);
    // A restart an interrupted `up` owed (its dependency was replaced, it was not restarted) is paid now.
    const dep =
      restartOn.find(([d]) => isReplaced(perService.get(d)))?.[0] ??
      (owed.includes(name) ? (restartOn[0]?.[0] ?? 'an earlier up') : undefined);
    if (!dep) continue;
    const list = perService.get(name) ?? [];
    for (const c of unchanged.filter((u) => u.service === name)) {
      unchanged.splice(unchanged.indexOf(c), 1);
      list.push({
        kind: 'restart',
        service: name,
        replica: c.replica,
        name: c.name,
        container: c,
        dependency: dep,
      });
    }
    list.sort(byReplica);
    perService.set(name, list);
  }
}

/** Containers of services no longer in the file: reported, removed only with --remove-orphans. */
function planOrphans(
  stack: Stack,
  observed: ObservedState,
  opts: PlanOptions,
  draft: Draft,
): ObservedContainer[] {
  const orphans: ObservedContainer[] = [];
  const known = new Set([...Object.keys(stack.services), ...stack.disabledServices]);
  for (const c of observed.containers) {
    if (c.oneoff || known.has(c.service)) continue;
    orphans.push(c);
    if (opts.removeOrphans)
      draft.removals.push({
        kind: 'remove',
        service: c.service,
        name: c.name,
        container: c,
        reason: 'orphan',
      });
  }
  return orphans;
}

/**
 * `berth start`: start the existing, stopped containers of the selected services (none are created). The plan
 * runs through the same executor as `up`, so dependency conditions are honoured.
 */
export function planStart(stack: Stack, observed: ObservedState, services?: string[]): Plan {
  const selected = services
    ? Object.keys(stack.services).filter((s) => services.includes(s))
    : Object.keys(stack.services);
  const actions: Action[] = [];
  const unchanged: ObservedContainer[] = [];
  for (const name of selected) {
    const svc = stack.services[name]!;
    for (const c of observed.containers) {
      if (c.service !== name || c.oneoff || c.name !== containerName(stack.project, svc, c.replica)) continue;
      if (c.state === 'running' || c.state === 'restarting' || c.state === 'paused') unchanged.push(c);
      else actions.push({ kind: 'start', service: name, replica: c.replica, name: c.name, container: c });
    }
  }
  return { project: stack.project, actions, unchanged, orphans: [], services: selected };
}
