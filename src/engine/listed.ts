// The engine's list and inspect answers in berth's types: what \`up\` observes, whether through the engine port or
// through the memo check of bin/berth.js (src/memo/fast.ts), which must see the engine exactly as \`up\` does.
// Pure, and light: no dockerode at run time.
import type Docker from 'dockerode';
import {
  healthFromStatus,
  isOneOff,
  Label,
  type ObservedContainer,
  type ObservedImage,
  type ObservedNetwork,
  type ObservedVolume,
  type PublishedPort,
  replicaOf,
} from '../model/index.js';

export function toObservedContainer(c: Docker.ContainerInfo): ObservedContainer {
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    project: labels[Label.project] ?? '',
    service: labels[Label.service] ?? '',
    replica: replicaOf(labels),
    hash: labels[Label.configHash] ?? '',
    state: c.State as ObservedContainer['state'],
    status: c.Status ?? '',
    health: healthFromStatus(c.Status ?? ''),
    image: c.Image,
    imageId: c.ImageID,
    command: c.Command,
    created: c.Created,
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    ports: dedupePorts(
      (c.Ports ?? [])
        .filter((p) => p.PublicPort)
        .map((p) => ({
          hostIp: p.IP ?? '',
          hostPort: p.PublicPort,
          target: p.PrivatePort,
          protocol: p.Type,
        })),
    ),
    labels,
    oneoff: isOneOff(labels),
  };
}

/** The engine lists a port once per address family when bound on 0.0.0.0 and ::. */
export function dedupePorts(ports: PublishedPort[]): PublishedPort[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const k = `${p.hostIp}|${p.hostPort}|${p.target}|${p.protocol}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function toImage(i: {
  Id: string;
  RepoTags?: string[] | null;
  Labels?: Record<string, string> | null;
  Config?: { Labels?: Record<string, string> | null };
  Size?: number;
  Created?: number | string;
  Metadata?: { LastTagTime?: string };
}): ObservedImage {
  const t = i.Metadata?.LastTagTime;
  return {
    id: i.Id,
    tags: (i.RepoTags ?? []).filter((x) => x !== '<none>:<none>'),
    labels: i.Labels ?? i.Config?.Labels ?? {},
    sizeBytes: i.Size ?? 0,
    created: typeof i.Created === 'string' ? Math.floor(Date.parse(i.Created) / 1000) : (i.Created ?? 0),
    lastTagTime: t && !t.startsWith('0001-') ? new Date(t) : undefined,
  };
}

export function toNetwork(n: {
  Id: string;
  Name: string;
  Labels?: Record<string, string> | null;
  Containers?: object | null;
}): ObservedNetwork {
  return {
    id: n.Id,
    name: n.Name,
    labels: n.Labels ?? {},
    containers: Object.keys(n.Containers ?? {}),
  };
}

export function toVolume(v: {
  Name: string;
  Labels?: Record<string, string> | null;
  Mountpoint: string;
}): ObservedVolume {
  return {
    name: v.Name,
    labels: v.Labels ?? {},
    mountpoint: v.Mountpoint,
  };
}
