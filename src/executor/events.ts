// Progress events of the executor: the plain renderer prints them, the TUI subscribes to the same stream.
export type ResourceKind = 'Network' | 'Volume' | 'Container' | 'Image';

export type ProgressStatus =
  | 'Creating'
  | 'Created'
  | 'Recreating'
  | 'Recreated'
  | 'Starting'
  | 'Started'
  | 'Waiting'
  | 'Healthy'
  | 'Exited'
  | 'Running'
  | 'Stopping'
  | 'Stopped'
  | 'Removing'
  | 'Removed'
  | 'Restarting'
  | 'Restarted'
  | 'Error';

export type RunEvent =
  /** One resource changed state. `done` marks a finished step (the plain renderer prints only those). */
  | {
      type: 'progress';
      kind: ResourceKind;
      name: string;
      service?: string;
      status: ProgressStatus;
      done: boolean;
      /** Time the step took, when done. */
      elapsedMs?: number;
      detail?: string;
    }
  /** A service failed: its container did not start, exited, or its health check failed. */
  | { type: 'failure'; service: string; container?: string; message: string; logs: string[] }
  /** A service was not started because a dependency failed. */
  | { type: 'skipped'; service: string; reason: string }
  | { type: 'warning'; message: string }
  /** Image build/pull progress lines, passed through from src/engine/images.ts. */
  | { type: 'image'; service: string; message: string };

export type RunListener = (e: RunEvent) => void;

export interface Failure {
  service: string;
  container?: string;
  message: string;
  logs: string[];
}
