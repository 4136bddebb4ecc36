// Which engine berth talks to, and the adapter for it: the light HTTP client on a local unix socket (what the
// lifecycle verbs use: no dockerode import), dockerode for anything else (tcp with TLS, ssh). The first call
// is a ping with the engine timeout, so an absent or silent engine is exit 3 naming it, not a hang.
import { unreachable } from './errors.js';
import { DockerEngine } from './docker-engine.js';
import { isEngineError } from './errors.js';
import { engineTimeoutMs, lightApi, localSocket } from './light.js';
import type { Engine } from './port.js';

let cached: Promise<Engine> | undefined;

/** The engine of DOCKER_HOST (or the local socket), checked with a ping. One per process. */
export function connect(env = process.env): Promise<Engine> {
  cached ??= open(env).catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function open(env: NodeJS.ProcessEnv): Promise<Engine> {
  const sock = localSocket(env);
  const dockerode = async () => {
    const { default: Docker } = await import('dockerode');
    return sock ? new Docker({ socketPath: sock }) : new Docker();
  };
  let engine: DockerEngine;
  if (sock) engine = new DockerEngine(lightApi(sock, engineTimeoutMs(env)), dockerode);
  else {
    const { dockerodeApi } = await import('./dockerode-api.js');
    const d = await dockerode();
    engine = new DockerEngine(dockerodeApi(d, env.DOCKER_HOST ?? 'the Docker engine'), async () => d);
  }
  try {
    await engine.ping();
  } catch (err) {
    if (isEngineError(err, 'unreachable') || isEngineError(err, 'timeout'))
      throw unreachable(engine.endpoint, err.engineMessage);
    throw err;
  }
  return engine;
}
