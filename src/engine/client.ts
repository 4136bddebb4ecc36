import type Docker from 'dockerode';
import { engineUnreachable } from '../errors.js';

let cached: Promise<Docker> | undefined;

/**
 * The engine connection (DOCKER_HOST or the local socket), checked with a ping so an absent engine becomes
 * exit code 3 with a hint, not a socket error later. dockerode is imported here, lazily, so verbs that never
 * talk to the engine (config, --help) don't pay for loading it.
 */
export function connectEngine(): Promise<Docker> {
  cached ??= (async () => {
    const { default: DockerCtor } = await import('dockerode');
    const docker = new DockerCtor();
    try {
      await docker.ping();
    } catch (err) {
      cached = undefined;
      const e = err as { code?: string; message?: string };
      throw engineUnreachable(e.code ?? e.message ?? 'no answer');
    }
    return docker;
  })();
  return cached;
}
