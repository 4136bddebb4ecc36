// The client router, the engine part: make the router match the routed clients that run. Started on demand
// (as any berth project, through `up`), attached to each routed client's network, its config written in and
// reloaded in place (see reloadScript: existing connections are kept), and removed with its network once no
// routed client runs. Safe to call after anything that starts or stops a client: it reads what runs.
import { fileArchive } from '../engine/file-archive.js';
import { BerthError, ExitCode } from '../errors.js';
import { Label, type ObservedContainer, type ObservedNetwork, projectSelector } from '../model/index.js';
import {
  type Route,
  type RouterSettings,
  renderRouterConfig,
  reloadScript,
  routeNetworks,
  routerStack,
  routesDigest,
  routesOf,
} from '../stacks/router.js';
import { emitter, type OpContext } from './context.js';
import { withProjectLock } from './lock.js';
import { up } from './up.js';

export interface RouterSync {
  routes: Route[];
  /** The router runs (routes to serve) or was removed (none). */
  running: boolean;
}

const NEXT_CONFIG = '/usr/local/etc/haproxy/next.cfg';

export function syncRouter(ctx: OpContext, settings: RouterSettings): Promise<RouterSync> {
  return withProjectLock(ctx, [settings.project], () => syncLocked(ctx, settings));
}

async function syncLocked(ctx: OpContext, settings: RouterSettings): Promise<RouterSync> {
  const { engine } = ctx;
  const stack = routerStack(settings);
  const [labelled, own, ownNetworks] = await Promise.all([
    engine.listContainers({ all: true, labels: [`${Label.router}=${settings.project}`] }),
    engine.listContainers({ all: true, labels: [projectSelector(settings.project)] }),
    engine.listNetworks({ labels: [projectSelector(settings.project)] }),
  ]);
  const routes = routesOf(labelled, settings.project);
  if (routes.length === 0) {
    if (own.length || ownNetworks.length) await removeRouter(ctx, own, ownNetworks);
    return { routes, running: false };
  }
  // Not `--wait`: the reload below waits until the router answers with the new routes, which is the
  // readiness that matters (a health check run by a loaded engine can time out while it serves).
  const outcome = await up(ctx, stack);
  if (outcome.result && !outcome.result.ok)
    throw new BerthError(
      `the client router (project ${settings.project}) did not start: ${outcome.result.failures.map((f) => f.message).join('; ')}`,
      { exitCode: ExitCode.StackFailure, hint: `\`berth -p ${settings.project} logs\` shows why` },
    );
  const router = (await engine.listContainers({ labels: [projectSelector(settings.project)] })).find(
    (c) => c.service === 'router' && c.state === 'running',
  );
  if (!router)
    throw new BerthError(`the client router (project ${settings.project}) is not running`, {
      exitCode: ExitCode.StackFailure,
      hint: `\`berth -p ${settings.project} logs\` shows why`,
    });
  const needed = routeNetworks(routes);
  // Joined before the reload, so the new workers reach every client from their first request.
  for (const n of needed) if (!router.networks.includes(n)) await engine.connectNetwork(n, router.id);
  const digest = routesDigest(routes);
  const tar = await fileArchive([
    {
      kind: 'config',
      name: 'router',
      target: NEXT_CONFIG,
      content: renderRouterConfig(routes),
      mode: 0o644,
      uid: 0,
      gid: 0,
    },
  ]);
  await engine.copyToContainer(router.id, '/', tar);
  if (!(await engine.check(router.id, reloadScript(NEXT_CONFIG, digest), 120_000)))
    throw new BerthError(
      `the client router (${router.name}) did not take its new config; it still serves the previous one`,
      {
        exitCode: ExitCode.StackFailure,
        hint: `\`docker exec ${router.name} haproxy -c -f ${NEXT_CONFIG}\` says what is wrong with it`,
      },
    );
  // Networks of clients that no longer run: left after the reload, so nothing in flight loses its way; a
  // client's `down` could not remove its network while the router is attached to it.
  const ownNetwork = stack.networks.default!.name;
  for (const n of router.networks)
    if (n !== ownNetwork && !needed.includes(n)) await engine.disconnectNetwork(n, router.id);
  return { routes, running: true };
}

/**
 * Before a project's networks are removed (`down`): detach any client router from them, since the engine
 * refuses to remove a network a container is still attached to. The router's next sync forgets the route.
 */
export async function releaseRouters(ctx: OpContext, networks: readonly string[]): Promise<void> {
  if (networks.length === 0) return;
  const routers = await ctx.engine.listContainers({
    all: true,
    labels: [`${Label.role}=router`],
  });
  for (const r of routers)
    for (const n of r.networks) if (networks.includes(n)) await ctx.engine.disconnectNetwork(n, r.id);
}

/**
 * After a verb stopped or removed containers of routed clients (`stop`, `down`): let each router they were
 * routed by catch up, on the port it already listens on (the shell running `stop` may not have set
 * BERTH_ROUTER_PORT as `use` did). Routers that are not running are left to the next `use`.
 */
export async function resyncRouters(ctx: OpContext, projects: Iterable<string>): Promise<void> {
  for (const project of new Set(projects)) {
    const router = (await ctx.engine.listContainers({ labels: [projectSelector(project)] })).find(
      (c) => c.labels[Label.role] === 'router' && c.state === 'running',
    );
    const port = router?.ports.find((p) => p.target === 80)?.hostPort;
    if (router && port) await syncRouter(ctx, { project, port });
  }
}

/** The router's container and network go (its image stays: berth built it, and the next router uses it). */
async function removeRouter(
  ctx: OpContext,
  containers: ObservedContainer[],
  networks: ObservedNetwork[],
): Promise<void> {
  const { runStop } = await import('../executor/stop.js');
  const { errors } = await runStop(ctx.engine, undefined, containers, {
    remove: true,
    onEvent: emitter(ctx),
  });
  for (const n of networks) await ctx.engine.removeNetwork(n.id).catch((err) => errors.push(String(err)));
  if (errors.length)
    throw new BerthError(`could not remove the client router: ${errors.join('; ')}`, {
      exitCode: ExitCode.StackFailure,
    });
}

/** Routers the routed containers among these were served by. */
export const routersOf = (containers: readonly ObservedContainer[]) =>
  new Set(containers.map((c) => c.labels[Label.router]).filter((r): r is string => !!r));
