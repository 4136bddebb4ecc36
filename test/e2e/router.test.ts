// `berth use acme globex` on the real engine: both demo clients at once behind the client router, each at its
// own host name with its own counts; a request loop to acme sees no failure while globex stops and starts
// (the router reloads twice under it: `stop` and `start` re-render its routes); `berth use acme` puts acme
// back on its own port and the router goes.
// Also measures the router's overhead: /api/visit through the router vs acme's own port, same run.
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { berth, copyStack, freePort, ROOT, type StackCopy } from './clients-support.js';
import { docker } from './helpers.js';

let copy: StackCopy;
let env: Record<string, string>;
let routerPort: number;
let demoPort: number;
let routerProject: string;

beforeAll(async () => {
  copy = copyStack('demo', 'router');
  routerProject = `${copy.name}-router`;
  routerPort = await freePort();
  demoPort = await freePort();
  env = {
    BERTH_ROUTER_PORT: String(routerPort),
    BERTH_ROUTER_PROJECT: routerProject,
    BERTH_DEMO_PORT: String(demoPort),
  };
});

afterAll(async () => {
  await copy?.cleanup([routerProject]);
});

/**
 * `berth ARGS`, which must succeed. Not clients-support's berthOk: its 170 s kill is shorter than two demo
 * clients take to start on the shared machine at load 40+ (the health waits), and a killed run says nothing.
 */
function berthOk(args: string[], cwd: string, extra: Record<string, string>): Promise<{ stdout: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete childEnv.BERTH_CLIENT;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/berth.js'), ...args],
      { cwd, env: childEnv, maxBuffer: 16 * 1024 * 1024, timeout: 1_200_000 },
      (err, stdout, stderr) =>
        err
          ? reject(
              new Error(`berth ${args.join(' ')} failed (${err.code ?? err.signal})\n${stdout}\n${stderr}`),
            )
          : resolve({ stdout }),
    );
  });
}

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One request on a fresh connection (as curl makes it), to 127.0.0.1 with the given Host header. */
function get(port: number, host: string, path = '/api/visit'): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: { Host: `${host}:${port}`, Connection: 'close' },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', (err) => resolve({ status: 0, body: String(err), ms: performance.now() - t0 }));
  });
}

const visit = (a: Answer) => JSON.parse(a.body) as { client: string; db: number; store: number };

/** Poll until the host answers 200 from the given client (a client that just started may 503 briefly). */
async function answered(port: number, host: string, client: string, deadlineMs = 120_000): Promise<Answer> {
  const t0 = Date.now();
  let last: Answer | undefined;
  while (Date.now() - t0 < deadlineMs) {
    last = await get(port, host);
    if (last.status === 200 && visit(last).client === client) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${host} did not answer as ${client}: ${last?.status} ${last?.body}`);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function latencies(port: number, host: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = await get(port, host);
    if (a.status !== 200) throw new Error(`${host}: ${a.status} ${a.body}`);
    out.push(a.ms);
  }
  return out;
}

const routerContainers = async () =>
  docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.project=${routerProject}`] }),
  });

describe('berth use acme globex: clients side by side behind the router', () => {
  test('both answer at once at their own host names, survive each other stopping, and acme goes back alone', async () => {
    const acmeHost = `acme.${copy.name}.localhost`;
    const globexHost = `globex.${copy.name}.localhost`;
    const t0 = Date.now();
    const used = await berthOk(['use', 'acme', 'globex'], copy.dir, env);
    console.log(`berth use acme globex (cold): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(used.stdout.split('\n')).toEqual(
      expect.arrayContaining([`http://${acmeHost}:${routerPort}/`, `http://${globexHost}:${routerPort}/`]),
    );

    // both at once, each its own client and counts
    const [a1, g1] = await Promise.all([
      answered(routerPort, acmeHost, 'acme'),
      answered(routerPort, globexHost, 'globex'),
    ]);
    const a2 = await answered(routerPort, acmeHost, 'acme');
    expect(visit(a2).db).toBe(visit(a1).db + 1);
    const g2 = await answered(routerPort, globexHost, 'globex');
    expect(visit(g2).db).toBe(visit(g1).db + 1);
    // a host the router does not serve says so
    const none = await get(routerPort, `nobody.${copy.name}.localhost`);
    expect(none.status).toBe(404);
    expect(none.body).toContain(acmeHost);

    const ls = JSON.parse((await berthOk(['ls', '--format', 'json'], copy.dir, env)).stdout) as Array<{
      name: string;
      url: string | null;
      ports: string[];
    }>;
    const row = (client: string) => ls.find((r) => r.name === copy.project(client));
    expect(row('acme')).toMatchObject({ url: `http://${acmeHost}:${routerPort}`, ports: [] });
    expect(row('globex')).toMatchObject({ url: `http://${globexHost}:${routerPort}`, ports: [] });

    // a request loop to acme while globex stops and starts: the router reloads under it each time
    let stop = false;
    const loop = (async () => {
      const answers: Answer[] = [];
      while (!stop) answers.push(await get(routerPort, acmeHost));
      return answers;
    })();
    let answers: Answer[];
    try {
      await berthOk(['--client', 'globex', 'stop'], copy.dir, env);
      const gone = await get(routerPort, globexHost);
      expect(gone.status).toBe(404); // the router no longer serves it
      // `start` (not `use acme globex`): a `use` also waits for acme's health, and on the loaded shared engine
      // health checks time out while acme serves the loop (seen: every service "unhealthy", lb answering 200).
      await berthOk(['--client', 'globex', 'start'], copy.dir, env);
      await answered(routerPort, globexHost, 'globex');
    } finally {
      stop = true;
      answers = await loop;
    }
    const failed = answers.filter((a) => a.status !== 200 || visit(a).client !== 'acme');
    console.log(`acme loop during globex stop + start: ${answers.length} requests, ${failed.length} failed`);
    expect(failed.map((a) => `${a.status} ${a.body.slice(0, 120)}`)).toEqual([]);
    expect(answers.length).toBeGreaterThan(10);

    // the router's overhead: the same requests through the router, then on acme's own port
    const routed = await latencies(routerPort, acmeHost, 200);

    await berthOk(['use', 'acme'], copy.dir, env);
    const own = await answered(demoPort, '127.0.0.1', 'acme');
    expect(visit(own).db).toBeGreaterThan(visit(a2).db); // the same acme data, on its own port again
    expect(await routerContainers()).toEqual([]);
    const direct = await latencies(demoPort, '127.0.0.1', 200);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    console.log(
      `/api/visit p50/p99: through the router ${ms(quantile(routed, 0.5))} / ${ms(quantile(routed, 0.99))}; ` +
        `own port ${ms(quantile(direct, 0.5))} / ${ms(quantile(direct, 0.99))} (200 requests each, a new connection each)`,
    );
    const states = await berth(['ls', '--format', 'json'], copy.dir, env);
    const after = JSON.parse(states.stdout) as Array<{ name: string; state: string; url: string | null }>;
    expect(after.find((r) => r.name === copy.project('globex'))?.state).toBe('stopped');
    expect(after.find((r) => r.name === copy.project('acme'))?.url).toBeNull();
  }, 1_500_000);
});
