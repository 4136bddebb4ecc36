// The planner: a pure function from the desired stack and the observed engine state to the fewest actions that
// make them match. No engine calls here; src/executor executes the result.
import type { ObservedContainer, ObservedState } from '../model/index.js';
import { containerName, containerTemplate, serviceNetworks } from '../engine/create-options.js';
import { sharesWith } from '../graph/deps.js';
import type { Service, Stack } from '../model/stack.js';
import { configHash } from './hash.js';
import type { Action, Plan, RecreateReason } from './types.js';

export interface PlanOptions {
  /** Resolved image ID per service (part of the hash: a rebuilt image recreates its containers). */
  imageIds: Record<string, string>;
  /** Services to bring up (already including their dependencies unless --no-deps); default: all. */
  services?: string[];
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  /** `--scale svc=N` overrides. */
  scale?: Record<string, number>;
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
        wantNetworks.set(key, net?.name ?? `${stack.project}_${key}`);
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

export function planUp(stack: Stack, observed: ObservedState, opts: PlanOptions): Plan {
  const selected = opts.services
    ? Object.keys(stack.services).filter((s) => opts.services!.includes(s))
    : Object.keys(stack.services);
  const actions: Action[] = [];
  const unchanged: ObservedContainer[] = [];

  actions.push(...planResources(stack, observed, selected));

  const byService = new Map<string, ObservedContainer[]>();
  for (const c of observed.containers) {
    if (c.oneoff) continue;
    const list = byService.get(c.service) ?? [];
    list.push(c);
    byService.set(c.service, list);
  }

  const removals: Action[] = [];
  const perService = new Map<string, Action[]>();
  for (const name of selected) {
    const svc = stack.services[name]!;
    const imageId = opts.imageIds[name] ?? '';
    const hash = serviceHash(stack, svc, imageId);
    const wanted = opts.scale?.[name] ?? svc.replicas;
    const existing = byService.get(name) ?? [];
    const expectedNetworks = serviceNetworks(stack, svc);
    const list: Action[] = [];
    const maxExisting = existing.reduce((m, c) => Math.max(m, c.replica), 0);
    for (const c of existing) {
      const canonical = containerName(stack.project, svc, c.replica);
      if (c.replica > wanted || c.replica < 1)
        removals.push({ kind: 'remove', service: name, name: c.name, container: c, reason: 'scale down' });
      else if (c.name !== canonical)
        // A temporary container from an interrupted recreate (or a stray copy): the canonical one decides.
        removals.push({ kind: 'remove', service: name, name: c.name, container: c, reason: 'leftover' });
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
      let reason: RecreateReason | undefined;
      if (!opts.noRecreate) {
        if (opts.forceRecreate) reason = 'forced';
        else if (c.hash !== hash)
          reason = imageId && c.imageId && c.imageId !== imageId ? 'image changed' : 'config changed';
        else if (expectedNetworks.some((n) => !c.networks.includes(n)) && c.state === 'running')
          reason = 'network missing';
        // a dead container cannot be started again; one being removed is going away
        else if (c.state === 'dead' || c.state === 'removing') reason = 'container dead';
      }
      if (reason) list.push({ kind: 'recreate', service: name, replica, name: cname, hash, old: c, reason });
      else if (c.state === 'running' || c.state === 'restarting' || c.state === 'paused') unchanged.push(c);
      else list.push({ kind: 'start', service: name, replica, name: cname, container: c });
    }
    perService.set(name, list);
  }

  // A container sharing a namespace or volumes with a service whose containers are replaced must follow them.
  let changed = true;
  while (changed && !opts.noRecreate) {
    changed = false;
    for (const name of selected) {
      const svc = stack.services[name]!;
      const replaced = Object.keys(stack.services).filter(
        (dep) =>
          sharesWith(svc, dep) &&
          (perService.get(dep) ?? []).some((a) => a.kind === 'recreate' || a.kind === 'create'),
      );
      if (!replaced.length) continue;
      const list = perService.get(name) ?? [];
      for (let i = 0; i < list.length; i++) {
        const a = list[i]!;
        if (a.kind === 'start') {
          list[i] = {
            kind: 'recreate',
            service: name,
            replica: a.replica,
            name: a.name,
            hash: serviceHash(stack, svc, opts.imageIds[name] ?? ''),
            old: a.container,
            reason: 'dependency recreated',
          };
          changed = true;
        }
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
      list.sort((a, b) => ('replica' in a ? a.replica : 0) - ('replica' in b ? b.replica : 0));
    }
  }

  // depends_on `restart: true`: a running dependent is restarted once the dependency it names is replaced.
  for (const name of selected) {
    const svc = stack.services[name]!;
    const dep = Object.entries(svc.depends_on).find(
      ([d, spec]) =>
        spec.restart && (perService.get(d) ?? []).some((a) => a.kind === 'recreate' || a.kind === 'create'),
    )?.[0];
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
    list.sort((a, b) => ('replica' in a ? a.replica : 0) - ('replica' in b ? b.replica : 0));
    perService.set(name, list);
  }

  const orphans: ObservedContainer[] = [];
  const known = new Set([...Object.keys(stack.services), ...stack.disabledServices]);
  for (const c of observed.containers) {
    if (c.oneoff || known.has(c.service)) continue;
    orphans.push(c);
    if (opts.removeOrphans)
      removals.push({ kind: 'remove', service: c.service, name: c.name, container: c, reason: 'orphan' });
  }

  actions.push(...removals);
  for (const name of selected) actions.push(...(perService.get(name) ?? []));
  return { project: stack.project, actions, unchanged, orphans, services: selected };
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
