// Where a tool's time goes: the tool runs once with DOCKER_HOST pointing at a counting proxy in front of the
// engine's socket, which notes every API request (kind, when it was sent, when its answer began). From that:
// time before the first engine call (process start-up, parsing), the calls made, and time after the last
// answer (exit). Not part of the medians: the proxy adds a little latency to every call.
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';

export interface Call {
  kind: string;
  sent: number;
  answered?: number;
}

const RESOURCES = new Set(['containers', 'networks', 'volumes', 'images', 'exec']);
const VERBS = new Set(['json', 'create', 'prune', 'load', 'search', 'build']);

/** `POST /v1.41/containers/abc123/start?x=1` → `POST /containers/:id/start`. */
export function kindOf(method: string, url: string): string {
  const parts = url.split('?')[0]!.split('/').filter(Boolean);
  if (parts[0]?.match(/^v\d/)) parts.shift();
  // Image names hold slashes and tags: everything between `images/` and the verb is the name.
  if (parts[0] === 'images' && parts.length > 2) return `${method} /images/:id/${parts.at(-1)}`;
  const out = parts.map((p, i) => (i > 0 && RESOURCES.has(parts[i - 1]!) && !VERBS.has(p) ? ':id' : p));
  return `${method} /${out.join('/')}`;
}

export class CountingProxy {
  calls: Call[] = [];
  private server?: Server;
  constructor(
    readonly socketPath: string,
    private readonly upstream = process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock',
  ) {}

  start(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    this.server = createServer((client) => {
      const engine = createConnection(this.upstream);
      // HTTP/1.1 without pipelining: answers on one connection come back in the order requests went out.
      const pending: Call[] = [];
      client.on('data', (b: Buffer) => {
        const re = /(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r\n/g;
        for (let m = re.exec(b.toString('latin1')); m; m = re.exec(b.toString('latin1'))) {
          const call: Call = { kind: kindOf(m[1]!, m[2]!), sent: performance.now() };
          this.calls.push(call);
          pending.push(call);
        }
        engine.write(b);
      });
      engine.on('data', (b: Buffer) => {
        const s = b.toString('latin1');
        let i = s.indexOf('HTTP/1.');
        while (i !== -1) {
          const call = pending.shift();
          if (call) call.answered = performance.now();
          i = s.indexOf('HTTP/1.', i + 1);
        }
        client.write(b);
      });
      client.on('close', () => engine.destroy());
      engine.on('close', () => client.destroy());
      client.on('error', () => engine.destroy());
      engine.on('error', () => client.destroy());
    });
    return new Promise((resolve) => this.server!.listen(this.socketPath, resolve));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      rmSync(this.socketPath, { force: true });
    });
  }
}

export interface Profile {
  totalMs: number;
  beforeFirstCallMs: number;
  afterLastAnswerMs: number;
  calls: number;
  /** Most requests outstanding at once: how parallel the tool drives the engine. */
  maxInFlight: number;
  /** Time between the first call and the last answer with no request outstanding: the tool thinking or waiting. */
  idleMs: number;
  byKind: Array<[string, number]>;
  /** The three longest calls (kind, ms): where a slow step waits on the engine. */
  slowest: Array<[string, number]>;
}

export function summarize(calls: Call[], t0: number, totalMs: number): Profile {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  const first = calls.length ? Math.min(...calls.map((c) => c.sent)) - t0 : totalMs;
  const lastAnswer = calls.length ? Math.max(...calls.map((c) => c.answered ?? c.sent)) - t0 : totalMs;
  // Sweep request begin/end events in time order to find the peak concurrency and the idle gaps.
  const edges = calls
    .flatMap((c) => [
      [c.sent, 1],
      [c.answered ?? c.sent, -1],
    ])
    .sort((a, b) => a[0]! - b[0]! || b[1]! - a[1]!);
  let open = 0;
  let maxInFlight = 0;
  let idleMs = 0;
  let idleSince: number | undefined;
  for (const [t, d] of edges) {
    if (open === 0 && idleSince !== undefined) idleMs += t! - idleSince;
    open += d!;
    maxInFlight = Math.max(maxInFlight, open);
    idleSince = open === 0 ? t : undefined;
  }
  return {
    totalMs,
    beforeFirstCallMs: first,
    afterLastAnswerMs: Math.max(0, totalMs - lastAnswer),
    calls: calls.length,
    maxInFlight,
    idleMs,
    slowest: calls
      .map((c): [string, number] => [c.kind, (c.answered ?? c.sent) - c.sent])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3),
    byKind: [...counts.entries()].sort((a, b) => b[1] - a[1]),
  };
}
