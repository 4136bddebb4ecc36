// Engine reads across every berth project (not one): what `berth ls` and `berth use` need to see the other
// projects on the engine. Only objects carrying the dev.berth.project label are ever looked at.
import type Docker from 'dockerode';
import type { ContainerFacts, LeftoverFacts, PublishedPort } from '../stacks/overview.js';
import { Label } from './labels.js';

const anyProject = JSON.stringify({ label: [Label.project] });

function portsOfBindings(
  bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | undefined,
): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [target, protocol = 'tcp'] = key.split('/');
    for (const b of list ?? []) {
      const hostPort = Number(b.HostPort);
      // An empty HostPort asks for an ephemeral port, which is only known once started.
      if (!hostPort) continue;
      out.push({ hostIp: b.HostIp ?? '', hostPort, target: Number(target), protocol });
    }
  }
  return out;
}

/**
 * Every berth container on the engine, with its ports. Running containers report their bound ports in the
 * list; for the others we inspect, since a stopped container still owns the ports it will bind on start.
 */
export async function listBerthContainers(
  docker: Docker,
  opts: { project?: string; stack?: string } = {},
): Promise<ContainerFacts[]> {
  const label: string[] = [];
  if (opts.project) label.push(`${Label.project}=${opts.project}`);
  else label.push(Label.project);
  if (opts.stack) label.push(`${Label.stack}=${opts.stack}`);
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label }) });
  // Stopped containers need one inspect each; bound them so a bench's hundreds of containers stay polite.
  const { default: PQueue } = await import('p-queue');
  const queue = new PQueue({ concurrency: 16 });
  return Promise.all(
    list.map(async (c): Promise<ContainerFacts> => {
      const l = c.Labels ?? {};
      let ports: PublishedPort[];
      if (c.State === 'running' || c.State === 'paused' || c.State === 'restarting') {
        ports = (c.Ports ?? [])
          .filter((p) => p.PublicPort)
          .map((p) => ({
            hostIp: p.IP ?? '',
            hostPort: p.PublicPort,
            target: p.PrivatePort,
            protocol: p.Type,
          }));
      } else {
        const info = await queue.add(() =>
          docker
            .getContainer(c.Id)
            .inspect()
            .catch(() => undefined),
        );
        ports = portsOfBindings(info?.HostConfig?.PortBindings as never);
      }
      return {
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
        project: l[Label.project] ?? '',
        service: l[Label.service],
        stack: l[Label.stack],
        client: l[Label.client],
        file: l[Label.file],
        state: c.State,
        ports: dedupePorts(ports),
        oneoff: l[Label.oneoff] === 'true' || l[Label.oneoff] === 'True',
      };
    }),
  );
}

/** The engine lists a port once per address family when bound on 0.0.0.0 and ::. */
function dedupePorts(ports: PublishedPort[]): PublishedPort[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const k = `${p.hostIp}|${p.hostPort}|${p.target}|${p.protocol}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Networks and volumes of berth projects: they outlive `down` (volumes hold a client's data). */
export async function listBerthLeftovers(docker: Docker): Promise<LeftoverFacts[]> {
  const [networks, volumes] = await Promise.all([
    docker.listNetworks({ filters: anyProject }),
    docker.listVolumes({ filters: anyProject }),
  ]);
  const facts = (labels: Record<string, string> | null | undefined, kind: LeftoverFacts['kind']) => {
    const l = labels ?? {};
    return {
      project: l[Label.project] ?? '',
      stack: l[Label.stack],
      client: l[Label.client],
      file: l[Label.file],
      kind,
    };
  };
  return [
    ...networks.map((n) => facts(n.Labels, 'network')),
    ...(volumes.Volumes ?? []).map((v) => facts(v.Labels, 'volume')),
  ].filter((f) => f.project !== '');
}
