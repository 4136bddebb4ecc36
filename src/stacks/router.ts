// The client router (`berth use acme globex`), the pure part: which clients are routed, what a routed client's
// stack looks like (no host ports of its own, its web containers labelled with the host they answer), the
// router's own one-service stack, the routes read back from the engine's labels, and the HAProxy config that
// serves them. The engine work (start, connect, reload, remove) is src/ops/router.ts.
//
// The routes live on the engine, as labels on the routed clients' web containers, not in a file: one router
// serves every stack on the engine, from any checkout, and what it serves is exactly what runs.
import { createHash } from 'node:crypto';
import { BerthError, badInput, ExitCode } from '../errors.js';
import { Label, type ObservedContainer } from '../model/index.js';
import { defaultNetwork, plainService, type Service, type Stack } from '../model/stack.js';

/**
 * 7080: unprivileged (no root needed), next to the demo's 8080 and clear of the ports dev servers take by
 * default (3000, 5000, 5173, 8000, 8080, 8888), so a routed client rarely finds it taken.
 */
export const DEFAULT_ROUTER_PORT = 7080;
export const DEFAULT_ROUTER_PROJECT = 'berth-router';
/** Answered by the router itself, for every host (its health check); other paths go to the client. */
export const ROUTER_HEALTH_PATH = '/.berth-router/health';
/** Answers the digest of the routes the running config serves: a reload is done when it answers the new one. */
export const ROUTER_VERSION_PATH = '/.berth-router/config';
export const ROUTER_IMAGE = 'berth/haproxy:latest';
export const ROUTER_CONFIG = '/usr/local/etc/haproxy/haproxy.cfg';

export interface RouterSettings {
  /** Engine project of the router (`berth-router`; BERTH_ROUTER_PROJECT runs a second one, e.g. in tests). */
  project: string;
  /** Host port on 127.0.0.1 (BERTH_ROUTER_PORT). */
  port: number;
}

export function routerSettings(env: Record<string, string | undefined>): RouterSettings {
  const rawPort = env.BERTH_ROUTER_PORT?.trim();
  const port = rawPort ? Number(rawPort) : DEFAULT_ROUTER_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw badInput(`BERTH_ROUTER_PORT=${rawPort}: not a port number`, {
      hint: `set it to a free port (1-65535), or unset it for the default ${DEFAULT_ROUTER_PORT}`,
    });
  const project = env.BERTH_ROUTER_PROJECT?.trim() || DEFAULT_ROUTER_PROJECT;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(project))
    throw badInput(`BERTH_ROUTER_PROJECT=${project}: not a project name`, {
      hint: 'use lowercase letters, digits, "-" and "_", starting with a letter or digit',
    });
  return { project, port };
}

/** `<client>.<stack>.localhost`: browsers and curl resolve every `*.localhost` name to the loopback address. */
export const routeHost = (client: string, stack: string) => `${client}.${stack}.localhost`.toLowerCase();

export const routeUrl = (host: string, port: number) => `http://${host}:${port}`;

/**
 * A client's stack as it runs beside others: no service publishes a host port (they would clash), and the web
 * entry's containers carry the router's labels. Only the services whose ports or labels change are recreated
 * when a client moves between this and running on its own ports.
 */
export function routedStack(stack: Stack, router: string): Stack {
  if (!stack.client) throw new Error('routedStack needs a stack loaded for a client');
  const web = stack.web;
  if (!web)
    throw new BerthError(`stack ${stack.name} has no web entry, so its clients cannot run side by side`, {
      exitCode: ExitCode.BadInput,
      hint: 'publish a port on the service that serves the web (its first published port is used), or name it in `x-berth: {web: {service: NAME, port: PORT}}`',
    });
  const services: Record<string, Service> = {};
  for (const [name, svc] of Object.entries(stack.services)) {
    const s: Service = { ...svc, ports: [] };
    if (name === web.service)
      s.labels = {
        ...svc.labels,
        [Label.router]: router,
        [Label.route]: routeHost(stack.client, stack.name),
        [Label.routePort]: String(web.port),
      };
    services[name] = s;
  }
  return { ...stack, services };
}

/** The clients `berth use` runs side by side for this stack, when `client` is one of them. */
export const isRouted = (routed: readonly string[] | undefined, client: string | undefined) =>
  !!client && (routed?.length ?? 0) > 1 && routed!.includes(client);

export interface Route {
  host: string;
  /** Container port on the web containers. */
  port: number;
  /** Names of the running web containers (Docker's DNS resolves them on a shared network). */
  containers: string[];
  /** Networks the router joins to reach them. */
  networks: string[];
  project: string;
}

const UNROUTABLE_NETWORKS = new Set(['host', 'none', 'bridge']);

/** What the router serves: the running containers labelled for it, one route per host, sorted. */
export function routesOf(containers: readonly ObservedContainer[], router: string): Route[] {
  const byHost = new Map<string, Route>();
  for (const c of containers) {
    if (c.state !== 'running' || c.labels[Label.router] !== router) continue;
    const host = c.labels[Label.route];
    const port = Number(c.labels[Label.routePort]);
    if (!host || !/^[a-z0-9._-]+$/.test(host) || !Number.isInteger(port) || port < 1) continue;
    const r = byHost.get(host) ?? { host, port, containers: [], networks: [], project: c.project };
    r.containers.push(c.name);
    for (const n of c.networks)
      if (!UNROUTABLE_NETWORKS.has(n) && !r.networks.includes(n)) r.networks.push(n);
    byHost.set(host, r);
  }
  for (const r of byHost.values()) {
    r.containers.sort();
    r.networks.sort();
  }
  return [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
}

/** Every network the router must be attached to (besides its own). */
export const routeNetworks = (routes: readonly Route[]) =>
  [...new Set(routes.flatMap((r) => r.networks))].sort();

/**
 * HAProxy's config for the routes. Servers are container names resolved through Docker's DNS at run time
 * (`init-addr last,libc,none` + `resolvers`): a client's web container that is recreated or restarted gets a
 * new address without a reload, and a stopped one answers 503 without failing the whole config.
 */
export function renderRouterConfig(routes: readonly Route[]): string {
  const version = routesDigest(routes);
  const lines = [
    '# Written by berth: the client router (`berth use A B`). Regenerated on every change; edits are lost.',
    'global',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 10s',
    '  retries 3',
    '  option redispatch',
    '',
    'resolvers docker',
    '  nameserver dns1 127.0.0.11:53',
    // Follow a recreated web container within a second; but when Docker's DNS fails to answer (it does on a
    // loaded engine) keep the last address for a while rather than take a running client out.
    '  hold valid 1s',
    '  hold nx 30s',
    '  hold timeout 30s',
    '  hold refused 30s',
    '  hold other 30s',
    '  timeout resolve 1s',
    '  resolve_retries 3',
    '',
    'frontend router',
    '  bind :80',
    `  monitor-uri ${ROUTER_HEALTH_PATH}`,
    `  http-request return status 200 content-type text/plain string ${version} if { path ${ROUTER_VERSION_PATH} }`,
    // The Host header carries the port (`acme.demo.localhost:7080`): match on the name alone.
    '  http-request set-var(txn.host) req.hdr(host),lower,field(1,:)',
    ...routes.map((r) => `  use_backend ${r.host} if { var(txn.host) -m str ${r.host} }`),
    '  default_backend berth-no-client',
    '',
    'backend berth-no-client',
    `  http-request return status 404 content-type text/plain string "berth: no client runs at this host name. Served here: ${routes.map((r) => r.host).join(' ') || '(none)'}"`,
  ];
  for (const r of routes) {
    lines.push('', `backend ${r.host}`);
    for (const [i, c] of r.containers.entries())
      lines.push(`  server web${i + 1} ${c}:${r.port} resolvers docker init-addr last,libc,none`);
  }
  return `${lines.join('\n')}\n`;
}

/** Which routes a config serves, in a few characters: what the reload waits to see answered. */
export const routesDigest = (routes: readonly Route[]) =>
  createHash('sha256').update(JSON.stringify(routes)).digest('hex').slice(0, 16);

/**
 * Run in the router: check the new config, put it in place and have the HAProxy master (PID 1, `-W`) reload
 * with SIGUSR2 — it starts new workers on the same listening sockets and lets the old ones finish the
 * connections they hold, so other clients' requests in flight are not dropped. Then wait until the new
 * workers answer the new routes' digest. An unchanged config is not reloaded.
 */
export function reloadScript(next: string, digest: string): string[] {
  return [
    'sh',
    '-c',
    [
      'set -e',
      `if ! cmp -s ${next} ${ROUTER_CONFIG}; then`,
      `  haproxy -c -q -f ${next}`,
      `  mv ${next} ${ROUTER_CONFIG}`,
      '  kill -USR2 1',
      'fi',
      'i=0',
      'while [ $i -lt 600 ]; do',
      `  if curl -fsS http://127.0.0.1${ROUTER_VERSION_PATH} 2>/dev/null | grep -qx ${digest}; then exit 0; fi`,
      // A router started a moment ago may not have its reload handler yet, and PID 1 ignores a signal it has no
      // handler for: the reload was lost (clean-clone CI at load 25). Ask again every 2 s until it serves this.
      '  if [ $((i % 20)) -eq 19 ]; then kill -USR2 1; fi',
      '  sleep 0.1',
      '  i=$((i+1))',
      'done',
      'exit 1',
    ].join('\n'),
  ];
}

/** The router as a stack of one service: up/down/ownership/locks treat it as any berth project. */
export function routerStack(s: RouterSettings): Stack {
  const service: Service = {
    ...plainService('router', ROUTER_IMAGE),
    // Never pulled: the image is built locally (scripts/images.sh); a missing one is an error naming it.
    pull_policy: 'never',
    ports: [{ target: 80, published: String(s.port), host_ip: '127.0.0.1', protocol: 'tcp' }],
    healthcheck: {
      test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', `http://127.0.0.1${ROUTER_HEALTH_PATH}`],
      intervalMs: 5000,
      timeoutMs: 10_000,
      startPeriodMs: 30_000,
      startIntervalMs: 250,
      retries: 5,
      disable: false,
    },
    labels: { [Label.role]: 'router' },
    restart: 'unless-stopped',
    // Starts with no routes (the config is fixed, so it never changes the container's hash); the routes are
    // written in and reloaded once it runs.
    files: [
      {
        kind: 'config',
        name: 'router',
        target: ROUTER_CONFIG,
        content: renderRouterConfig([]),
        mode: 0o644,
        uid: 0,
        gid: 0,
      },
    ],
  };
  return {
    name: s.project,
    project: s.project,
    workingDir: '/',
    files: [],
    services: { router: service },
    disabledServices: [],
    networks: { default: defaultNetwork(s.project) },
    volumes: {},
    warnings: [],
  };
}
