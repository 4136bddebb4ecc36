// Ownership before action: berth reuses, reports as created or removes only what it created for this stack.
// Labels decide (never names): an object named as berth would name it, or labelled with the project, that
// another stack, another checkout of this stack (another `dev.berth.file`), another client or no berth at all
// made is foreign. Pure: the caller lists what exists, this says what is not ours and how to say so.
//
// Project names: a stack `shop` for client `acme` and a stack named `shop-acme` both map to the project
// `shop-acme` (Compose-style names stay what users type). They never meet: every object carries the stack and
// client it was made for, and a mismatch of either is foreign, so the second stack stops here instead of
// mounting the first one's volume or removing its containers.
import { dirname } from 'node:path';
import { Label, type Labels } from '../model/index.js';
import type { Stack } from '../model/stack.js';
import { containerName } from '../engine/create-options.js';
import { BerthError, ExitCode } from '../errors.js';

export type ObjectKind = 'container' | 'network' | 'volume';

export interface ExistingObject {
  kind: ObjectKind;
  name: string;
  labels: Labels;
}

export interface ForeignObject extends ExistingObject {
  /** Who owns it, in words: `stack shop (client acme)`, `the checkout at /a/compose.yaml`, `no berth labels`. */
  owner: string;
  /** Owned by the same stack from another stack file path: another clone or worktree. */
  otherCheckout?: string;
}

type Owned = Pick<Stack, 'project' | 'name' | 'client' | 'files'>;

const describe = (stack?: string, client?: string) => `stack ${stack}${client ? ` (client ${client})` : ''}`;

/** Who owns an object, when it is not this stack's; undefined when it is ours. */
export function foreignOwner(
  stack: Owned,
  labels: Labels | null | undefined,
): Omit<ForeignObject, keyof ExistingObject> | undefined {
  const l = labels ?? {};
  const project = l[Label.project];
  if (!project) {
    const compose = l['com.docker.compose.project'];
    return { owner: compose ? `Docker Compose project ${compose}` : 'something without berth labels' };
  }
  const objStack = l[Label.stack];
  const objClient = l[Label.client] || undefined;
  // Objects of older berths carry no stack label: the project label alone then says they are ours.
  if (project !== stack.project)
    return { owner: `project ${project}${objStack ? `, ${describe(objStack, objClient)}` : ''}` };
  if (objStack && (objStack !== stack.name || objClient !== stack.client))
    return { owner: describe(objStack, objClient) };
  // A checkout is a folder: another clone or worktree has its stack file elsewhere, while another file of the
  // same folder (`-f other.yaml`, an override) is the same checkout changing its own project.
  const file = l[Label.file];
  if (file && stack.files[0] && dirname(file) !== dirname(stack.files[0]))
    return { owner: `the checkout at ${file}`, otherCheckout: file };
  return undefined;
}

/** Names `up` would give the selected services' containers, networks and volumes (external ones excluded). */
export function namesToClaim(
  stack: Stack,
  selected: readonly string[] = Object.keys(stack.services),
  scale: Record<string, number> = {},
): ExistingObject[] {
  const out = new Map<string, ExistingObject>();
  const add = (kind: ObjectKind, name: string) => out.set(`${kind}\0${name}`, { kind, name, labels: {} });
  for (const name of selected) {
    const svc = stack.services[name];
    if (!svc) continue;
    const n = Math.max(scale[name] ?? svc.replicas, 1);
    for (let r = 1; r <= n; r++) add('container', containerName(stack.project, svc, r));
    if (!svc.network_mode)
      for (const key of Object.keys(svc.networks)) {
        const net = stack.networks[key];
        if (!net?.external) add('network', net?.name ?? `${stack.project}_${key}`);
      }
    for (const m of svc.volumes) {
      if (m.type !== 'volume' || !m.source) continue;
      const vol = stack.volumes[m.source];
      if (vol && !vol.external) add('volume', vol.name);
    }
  }
  return [...out.values()];
}

/**
 * The foreign objects among those found: by name (`claimed`, what `up` would create or reuse) and by project
 * label (`labelled`, what `up` would reuse and `down` would remove).
 */
export function findForeign(stack: Owned, existing: readonly ExistingObject[]): ForeignObject[] {
  const seen = new Set<string>();
  const out: ForeignObject[] = [];
  for (const o of existing) {
    const key = `${o.kind}\0${o.name}`;
    if (seen.has(key)) continue;
    const f = foreignOwner(stack, o.labels);
    if (!f) continue;
    seen.add(key);
    out.push({ ...o, ...f });
  }
  return out;
}

/** Keep only the existing objects whose kind and name are among `wanted`. */
export function byName(
  existing: readonly ExistingObject[],
  wanted: readonly ExistingObject[],
): ExistingObject[] {
  const keys = new Set(wanted.map((w) => `${w.kind}\0${w.name}`));
  return existing.filter((o) => keys.has(`${o.kind}\0${o.name}`));
}

/** The one-screen refusal: what is foreign, who owns it, how to choose another name; nothing was changed. */
export function ownershipError(stack: Owned, foreign: readonly ForeignObject[], verb: string): BerthError {
  const checkout = foreign.find((f) => f.otherCheckout)?.otherCheckout;
  const lines = foreign.slice(0, 8).map((f) => `  ${f.kind} ${f.name}: owned by ${f.owner}`);
  if (foreign.length > 8) lines.push(`  … and ${foreign.length - 8} more`);
  const head = checkout
    ? `project ${stack.project} is owned by the checkout at ${checkout}, not by ${stack.files[0] ?? 'this one'}; \`berth ${verb}\` changed nothing`
    : `project ${stack.project} has objects berth did not create for ${describe(stack.name, stack.client)}; \`berth ${verb}\` changed nothing`;
  return new BerthError([head, ...lines].join('\n'), {
    exitCode: ExitCode.StackFailure,
    hint: `choose another project name: \`berth -p NAME ${verb}\`, COMPOSE_PROJECT_NAME=NAME, or \`name:\` in the stack file; \`--force\` acts on them anyway`,
  });
}
