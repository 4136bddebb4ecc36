// What a deploy changes: per service, the spec hash label of what runs against the translation's → create,
// update, or nothing; in dependency order (dependencies first). `restart: true` on a dependency that changes
// forces an update of the dependent (its tasks are redeployed even if its own spec is the same). Pure.
import type { ObservedSwarmService } from '../engine/swarm-port.js';
import { Label } from '../model/labels.js';
import type { Translation } from './translate.js';

export interface DeployAction {
  service: string;
  do: 'create' | 'update' | 'none';
  /** Existing service, for an update. */
  id?: string;
  version?: number;
  /** Redeploy every task (Compose `restart: true` after a dependency changed). */
  force?: boolean;
  reason: string;
}

export interface DeployPlan {
  actions: DeployAction[];
  /** Services of the project that are not in the stack any more. */
  orphans: ObservedSwarmService[];
}

/** Services in dependency order: each after everything it depends on (file order otherwise). */
export function dependencyOrder(t: Translation): string[] {
  const by = new Map(t.services.map((s) => [s.service, s]));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !by.has(name)) return;
    seen.add(name);
    for (const d of Object.keys(by.get(name)!.depends_on)) visit(d);
    out.push(name);
  };
  for (const s of t.services) visit(s.service);
  return out;
}

export function planDeploy(t: Translation, observed: ObservedSwarmService[]): DeployPlan {
  const byName = new Map(observed.map((o) => [o.labels[Label.service] ?? '', o]));
  const specs = new Map(t.services.map((s) => [s.service, s]));
  const actions = new Map<string, DeployAction>();
  for (const name of dependencyOrder(t)) {
    const s = specs.get(name)!;
    const o = byName.get(name);
    let a: DeployAction;
    if (!o) a = { service: name, do: 'create', reason: 'not deployed' };
    else if (o.labels[Label.configHash] !== s.hash)
      a = { service: name, do: 'update', id: o.id, version: o.version, reason: 'spec changed' };
    else {
      const changed = Object.entries(s.depends_on).find(
        ([dep, d]) => d.restart && actions.get(dep) && actions.get(dep)!.do !== 'none',
      );
      a = changed
        ? {
            service: name,
            do: 'update',
            id: o.id,
            version: o.version,
            force: true,
            reason: `\`${changed[0]}\` changed (depends_on restart: true)`,
          }
        : { service: name, do: 'none', id: o.id, version: o.version, reason: 'up to date' };
    }
    actions.set(name, a);
  }
  const wanted = new Set(specs.keys());
  return {
    actions: [...actions.values()],
    orphans: observed.filter((o) => !wanted.has(o.labels[Label.service] ?? '')),
  };
}

/** One line per action, for `--dry-run` and the report. */
export function formatDeployPlan(p: DeployPlan, project: string): string[] {
  const lines = p.actions.map((a) => `${a.do.padEnd(6)} ${project}_${a.service}  (${a.reason})`);
  for (const o of p.orphans) lines.push(`orphan ${o.name}  (not in the stack; --remove-orphans removes it)`);
  return lines;
}
