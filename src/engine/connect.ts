// Which engine berth talks to, and the adapter for it. The engine is found as the docker CLI finds it:
// DOCKER_HOST first (unix, tcp with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, ssh), then DOCKER_CONTEXT, then the
// current context of the CLI's config (`docker context use`), then the local socket. A local unix socket gets
// the light HTTP client (no dockerode import); anything else gets dockerode, which knows TLS and ssh. The first
// call is a ping with the engine timeout, so an absent or silent engine is exit 3 naming it, not a hang.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { badInput } from '../errors.js';
import { noteInput } from '../inputs/journal.js';
import { DockerEngine } from './docker-engine.js';
import { isEngineError, unreachable } from './errors.js';
import { engineTimeoutMs, lightApi } from './light.js';
import type { Engine } from './port.js';

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  /** Check the engine's certificate (DOCKER_TLS_VERIFY, or a context without SkipTLSVerify). */
  verify: boolean;
}

/** Where the engine is and how to reach it; `from` says what chose it, for messages. */
export type Endpoint =
  | { kind: 'unix'; socket: string; from: string }
  | { kind: 'tcp'; host: string; port: number; tls?: TlsFiles; from: string }
  | { kind: 'ssh'; host: string; port?: number; username?: string; from: string };

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** Reads a file's text, or undefined when it is missing (fixtures pass their own). */
export type ReadText = (file: string) => string | undefined;

const readText: ReadText = (file) => {
  noteInput(file);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** The engine the docker CLI would use with this environment and config folder. Pure but for `read`. */
export function resolveEndpoint(env: NodeJS.ProcessEnv = process.env, read: ReadText = readText): Endpoint {
  const configDir = env.DOCKER_CONFIG || path.join(env.HOME || homedir(), '.docker');
  if (env.DOCKER_HOST) {
    const certDir = env.DOCKER_CERT_PATH || configDir;
    const verify = Boolean(env.DOCKER_TLS_VERIFY) && env.DOCKER_TLS_VERIFY !== '0';
    const tls =
      verify || env.DOCKER_CERT_PATH
        ? {
            ca: path.join(certDir, 'ca.pem'),
            cert: path.join(certDir, 'cert.pem'),
            key: path.join(certDir, 'key.pem'),
            verify,
          }
        : undefined;
    return parseHost(env.DOCKER_HOST, 'DOCKER_HOST', tls);
  }
  let name = env.DOCKER_CONTEXT;
  let from = 'DOCKER_CONTEXT';
  if (!name) {
    const config = read(path.join(configDir, 'config.json'));
    if (config) {
      try {
        name = (JSON.parse(config) as { currentContext?: string }).currentContext;
      } catch {
        throw badInput(`${path.join(configDir, 'config.json')}: not valid JSON`, {
          hint: 'fix it, or set DOCKER_HOST',
        });
      }
      from = `the current context of ${path.join(configDir, 'config.json')}`;
    }
  }
  if (!name || name === 'default')
    return { kind: 'unix', socket: DEFAULT_SOCKET, from: 'the default socket' };
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  const text = read(metaFile);
  if (text === undefined)
    throw badInput(`docker context "${name}" (from ${from}) does not exist: ${metaFile} is missing`, {
      hint: '`docker context ls` lists the contexts; unset DOCKER_CONTEXT or run `docker context use default`',
    });
  let host: string | undefined;
  let skip = false;
  try {
    const meta = JSON.parse(text) as { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
    host = meta.Endpoints?.docker?.Host;
    skip = Boolean(meta.Endpoints?.docker?.SkipTLSVerify);
  } catch {
    throw badInput(`${metaFile}: not valid JSON (docker context "${name}")`);
  }
  if (!host) throw badInput(`docker context "${name}" has no docker endpoint (${metaFile})`);
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  const has = (f: string) => (read(path.join(tlsDir, f)) !== undefined ? path.join(tlsDir, f) : undefined);
  const ca = has('ca.pem');
  const cert = has('cert.pem');
  const key = has('key.pem');
  const tls = ca || cert || key ? { ca, cert, key, verify: !skip } : undefined;
  return parseHost(host, `docker context "${name}"`, tls);
}

function parseHost(host: string, from: string, tls: TlsFiles | undefined): Endpoint {
  if (host.startsWith('unix://')) return { kind: 'unix', socket: host.slice('unix://'.length), from };
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw badInput(`${from}: "${host}" is not an engine address`, {
      hint: 'expected unix:///path, tcp://host:port or ssh://user@host',
    });
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:')
    return {
      kind: 'tcp',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port) || (tls ? 2376 : 2375),
      tls: tls ?? (url.protocol === 'https:' ? { verify: true } : undefined),
      from,
    };
  if (url.protocol === 'ssh:')
    return {
      kind: 'ssh',
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      username: url.username || undefined,
      from,
    };
  throw badInput(`${from}: "${host}" is not an engine address`, {
    hint: 'expected unix:///path, tcp://host:port or ssh://user@host',
  });
}

/** The endpoint as messages name it: `tcp://10.0.0.5:2376 (docker context "remote")`. */
export function describeEndpoint(e: Endpoint): string {
  const where =
    e.kind === 'unix'
      ? `unix://${e.socket}`
      : e.kind === 'tcp'
        ? `tcp://${e.host}:${e.port}`
        : `ssh://${e.username ? `${e.username}@` : ''}${e.host}${e.port ? `:${e.port}` : ''}`;
  return e.from === 'DOCKER_HOST' || e.from === 'the default socket' ? where : `${where} (${e.from})`;
}

let cached: Promise<Engine> | undefined;

/** The engine the environment names, checked with a ping. One per process. */
export function connect(env = process.env): Promise<Engine> {
  cached ??= open(env).catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function open(env: NodeJS.ProcessEnv): Promise<Engine> {
  const ep = resolveEndpoint(env);
  const name = describeEndpoint(ep);
  const dockerode = async () => {
    const { default: Docker } = await import('dockerode');
    if (ep.kind === 'unix') return new Docker({ socketPath: ep.socket });
    if (ep.kind === 'ssh')
      return new Docker({ protocol: 'ssh', host: ep.host, port: ep.port, username: ep.username } as never);
    const file = (f?: string) => (f ? readFileSync(f) : undefined);
    let tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
    try {
      tls = ep.tls ? { ca: file(ep.tls.ca), cert: file(ep.tls.cert), key: file(ep.tls.key) } : {};
    } catch (err) {
      throw badInput(`the TLS files of ${name} cannot be read: ${(err as Error).message}`, {
        hint: 'DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem',
      });
    }
    return new Docker({
      host: ep.host,
      port: ep.port,
      protocol: ep.tls ? 'https' : 'http',
      ...tls,
      ...(ep.tls && !ep.tls.verify ? { rejectUnauthorized: false } : {}),
    } as never);
  };
  let engine: DockerEngine;
  if (ep.kind === 'unix') {
    const api = lightApi(ep.socket, engineTimeoutMs(env));
    engine = new DockerEngine(name === api.endpoint ? api : { ...api, endpoint: name }, dockerode, ep.socket);
  } else {
    const { dockerodeApi } = await import('./dockerode-api.js');
    const d = await dockerode();
    engine = new DockerEngine(dockerodeApi(d, name), async () => d);
  }
  try {
    await engine.ping();
  } catch (err) {
    if (isEngineError(err, 'unreachable') || isEngineError(err, 'timeout'))
      throw unreachable(engine.endpoint, err.engineMessage);
    throw err;
  }
  if (env.BERTH_TRACE && env.BERTH_TRACE !== '0') return (await import('./trace.js')).traced(engine);
  return engine;
}
