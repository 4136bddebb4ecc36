// `berth ls`: every berth project on the engine, from the labels on its containers (and, with `all`, on the
// networks and volumes that outlive `down`).
import { Label } from '../model/index.js';
import { activeClientsOf } from '../stacks/active.js';
import {
  type ContainerFacts,
  type LeftoverFacts,
  type ProjectOverview,
  summarizeProjects,
  visibleProjects,
} from '../stacks/overview.js';
import type { OpContext } from './context.js';

/**
 * Every berth container with its ports. Running containers report their bound ports in the list; for the
 * others we inspect, since a stopped container still owns the ports it will bind on start.
 */
export async function berthContainers(
  ctx: OpContext,
  opts: { project?: string; stack?: string } = {},
): Promise<ContainerFacts[]> {
  const labels = [opts.project ? `${Label.project}=${opts.project}` : Label.project];
  if (opts.stack) labels.push(`${Label.stack}=${opts.stack}`);
  // An empty project label (a container made from a snapshot image) is nobody's project.
  const list = (await ctx.engine.listContainers({ all: true, labels })).filter((c) => c.project);
  const { default: PQueue } = await import('p-queue');
  const queue = new PQueue({ concurrency: 16 });
  return Promise.all(
    list.map(async (c): Promise<ContainerFacts> => {
      const up = c.state === 'running' || c.state === 'paused' || c.state === 'restarting';
      const ports = up
        ? c.ports
        : ((await queue.add(() => ctx.engine.inspectContainer(c.id).catch(() => undefined)))?.ports ?? []);
      return {
        id: c.id,
        name: c.name,
        project: c.project,
        service: c.service || undefined,
        stack: c.labels[Label.stack],
        client: c.labels[Label.client],
        file: c.labels[Label.file],
        state: c.state,
        ports,
        oneoff: c.oneoff,
        ...routeOf(c.labels),
      };
    }),
  );
}

function routeOf(labels: Record<string, string>): Pick<ContainerFacts, 'route'> {
  const host = labels[Label.route];
  const router = labels[Label.router];
  return host && router ? { route: { host, router } } : {};
}

/** Networks and volumes of berth projects: they outlive `down` (volumes hold a client's data). */
export async function berthLeftovers(ctx: OpContext): Promise<LeftoverFacts[]> {
  const labels = [Label.project];
  const [networks, volumes] = await Promise.all([
    ctx.engine.listNetworks({ labels }),
    ctx.engine.listVolumes({ labels }),
  ]);
  const facts = (l: Record<string, string>, kind: LeftoverFacts['kind']): LeftoverFacts => ({
    project: l[Label.project] ?? '',
    stack: l[Label.stack],
    client: l[Label.client],
    file: l[Label.file],
    kind,
  });
  return [
    ...networks.map((n) => facts(n.labels, 'network')),
    ...volumes.map((v) => facts(v.labels, 'volume')),
  ].filter((f) => f.project !== '');
}

/** Host port of each running client router, by its project. */
export async function routerPorts(ctx: OpContext): Promise<Map<string, number>> {
  const routers = await ctx.engine.listContainers({ labels: [`${Label.role}=router`] });
  const out = new Map<string, number>();
  for (const r of routers) {
    const port = r.ports.find((p) => p.target === 80)?.hostPort;
    if (r.state === 'running' && port) out.set(r.project, port);
  }
  return out;
}

export async function ls(ctx: OpContext, opts: { all?: boolean } = {}): Promise<ProjectOverview[]> {
  const [containers, leftovers, routers] = await Promise.all([
    berthContainers(ctx),
    opts.all ? berthLeftovers(ctx) : Promise.resolve([]),
    routerPorts(ctx),
  ]);
  const files = [...containers, ...leftovers].map((f) => f.file).filter((f): f is string => !!f);
  return visibleProjects(
    summarizeProjects(containers, leftovers, await activeClientsOf(files), routers),
    !!opts.all,
  );
}
