import { createServer } from 'node:net';
import type Docker from 'dockerode';

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/**
 * `count` consecutive host ports nobody uses: not listening on this machine and not published by any container
 * (a stopped container still holds its binding for the next start). High range, below the ephemeral range.
 */
export async function freePorts(docker: Docker, count: number, from = 42100, to = 44900): Promise<number[]> {
  const published = new Set<number>();
  for (const c of await docker.listContainers({ all: true }))
    for (const p of c.Ports ?? []) if (p.PublicPort) published.add(p.PublicPort);
  for (let start = from; start + count <= to; start += count) {
    const range = Array.from({ length: count }, (_, i) => start + i);
    if (range.some((p) => published.has(p))) continue;
    const ok = await Promise.all(range.map(canListen));
    if (ok.every(Boolean)) return range;
  }
  throw new Error(`no ${count} free consecutive ports in ${from}-${to}`);
}
