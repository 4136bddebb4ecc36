// The UI's state outside React: containers (snapshot + engine events), the log ring and status messages.
// Producers (the event stream, the log feed) write here at any rate; the App re-renders on a timer at most a
// few times a second when something changed, so a burst of log lines costs one render, not one per line.
import type { ContainerEvent } from '../model/index.js';
import type { LogLine } from '../logs/types.js';
import { LogBuffer } from './log-buffer.js';
import { applyEvent, type ContainerFacts, type ServiceRow, type StackService, serviceRows } from './model.js';

export interface UiHeader {
  stack: string;
  project: string;
  client?: string;
  /** Where the client router serves this client (`berth use A B`). */
  url?: string;
  engine: string;
}

export class UiStore {
  readonly logs: LogBuffer;
  private readonly containers = new Map<string, ContainerFacts>();
  private rowsCache: ServiceRow[] | undefined;
  /** Bumped on every change; the App compares it to decide whether to render. */
  version = 0;
  status = '';
  statusPending = false;
  /** Bumped by every status change: a timer clears the message it was started for, not a newer one. */
  statusSerial = 0;
  /** Shown instead of the logs while the stack stops (attached `up` after Ctrl-C). */
  progress: string[] | undefined;
  private listeners = new Set<() => void>();

  constructor(
    public header: UiHeader,
    public stack: StackService[] = [],
    logCapacity = 5000,
  ) {
    this.logs = new LogBuffer(logCapacity);
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(rows: boolean): void {
    if (rows) this.rowsCache = undefined;
    this.version++;
    for (const fn of this.listeners) fn();
  }

  rows(): ServiceRow[] {
    this.rowsCache ??= serviceRows(this.containers.values(), this.stack);
    return this.rowsCache;
  }

  /** Replace everything known about the containers (initial snapshot, or after switching client). */
  reset(facts: ContainerFacts[], header?: UiHeader, stack?: StackService[]): void {
    this.containers.clear();
    for (const f of facts) this.containers.set(f.id, { ...f });
    if (header) this.header = header;
    if (stack) this.stack = stack;
    this.changed(true);
  }

  /** What an inspect found (after a start, or for a container first seen): it replaces what events built. */
  upsert(f: ContainerFacts): void {
    this.containers.set(f.id, { ...f });
    this.changed(true);
  }

  has(id: string): boolean {
    return this.containers.has(id);
  }

  event(e: ContainerEvent): void {
    applyEvent(this.containers, e);
    this.changed(true);
  }

  pushLogs(lines: LogLine[]): void {
    this.logs.push(lines);
    this.changed(false);
  }

  /**
   * Show a message on the status line. A `pending` one (an action under way: "restarting app…") stays until
   * the action's outcome replaces it; any other is cleared by the next key or after a few seconds (the App
   * does both through `clearStatus`).
   */
  setStatus(s: string, pending = false): void {
    this.status = s;
    this.statusPending = pending;
    this.statusSerial++;
    this.changed(false);
  }

  /** Clear the status line unless an action is under way, or (with `serial`) unless it changed since. */
  clearStatus(serial = this.statusSerial): void {
    if (!this.status || this.statusPending || serial !== this.statusSerial) return;
    this.status = '';
    this.statusSerial++;
    this.changed(false);
  }

  addProgress(line: string): void {
    this.progress = [...(this.progress ?? []), line];
    this.changed(false);
  }

  containersOf(service: string): ContainerFacts[] {
    return [...this.containers.values()].filter((c) => c.service === service);
  }
}
