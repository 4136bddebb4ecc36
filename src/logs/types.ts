/** One line of one container's output, as the log feed and the TUI see it. */
export interface LogLine {
  /** Container id. */
  container: string;
  service: string;
  /** Replica number (`dev.berth.replica`), 1-based. */
  replica: number;
  stream: 'stdout' | 'stderr';
  /** The engine's RFC3339Nano timestamp (fixed width, UTC), or '' when the engine gave none. */
  ts: string;
  /** The line without its newline (a trailing CR is dropped too). */
  text: string;
}

/** A container whose logs are read: what the prefix and the filters need. */
export interface LogTarget {
  id: string;
  name: string;
  service: string;
  replica: number;
  tty: boolean;
  running: boolean;
}
