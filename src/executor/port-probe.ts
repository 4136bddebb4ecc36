// Host port probe: is a host IP:port free to publish? Tried by binding it, as the engine's proxy would.
import { createServer } from 'node:net';

/** Resolves to undefined when free, or the bind error code (EADDRINUSE, EACCES, EADDRNOTAVAIL...). */
export function probePort(hostIp: string, port: number, protocol = 'tcp'): Promise<string | undefined> {
  if (protocol !== 'tcp') return Promise.resolve(undefined); // udp/sctp: left to the engine
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'EADDRINUSE'));
    srv.listen({ host: hostIp === '' ? '0.0.0.0' : hostIp, port, exclusive: true }, () => {
      srv.close(() => resolve(undefined));
    });
  });
}
