// A Plan is a value: what `up` would do to make the engine match the stack. Printable (`--dry-run`), testable
// without an engine, and executed by src/executor.
import type { ObservedContainer } from '../model/index.js';

export type RecreateReason =
  | 'config changed'
  | 'image changed'
  | 'forced'
  | 'network missing'
  | 'dependency recreated'
  | 'container dead';

export type Action =
  | { kind: 'create-network'; key: string; name: string }
  | { kind: 'create-volume'; key: string; name: string }
  /** A replica with no container: create and start it. `scale` when it is beyond the replicas that exist. */
  | { kind: 'create'; service: string; replica: number; name: string; hash: string; scale: boolean }
  /** A container whose config changed: create the new one beside it, then swap. */
  | {
      kind: 'recreate';
      service: string;
      replica: number;
      name: string;
      hash: string;
      old: ObservedContainer;
      reason: RecreateReason;
    }
  /** Same config, not running: start it. */
  | { kind: 'start'; service: string; replica: number; name: string; container: ObservedContainer }
  /** Running and unchanged, but a dependency it declares `restart: true` on is being replaced. */
  | {
      kind: 'restart';
      service: string;
      replica: number;
      name: string;
      container: ObservedContainer;
      dependency: string;
    }
  /**
   * Remove a container: a replica beyond the wanted scale, an orphan (with --remove-orphans), or a temporary
   * container left by an interrupted recreate.
   */
  | {
      kind: 'remove';
      service: string;
      name: string;
      container: ObservedContainer;
      reason: 'scale down' | 'orphan' | 'leftover';
    };

export type ActionKind = Action['kind'];

export interface Plan {
  project: string;
  actions: Action[];
  /** Running containers already matching the stack. */
  unchanged: ObservedContainer[];
  /** Containers labelled for this project whose service is not in the stack (removed only with --remove-orphans). */
  orphans: ObservedContainer[];
  /** Services the plan covers (the selection plus its dependencies), in stack order. */
  services: string[];
}

export const isEmpty = (plan: Plan) => plan.actions.length === 0;
