// Which builder a build goes to, and what each builder cannot honour. Pure: the engine's answers and the
// environment in, a decision out.
//
// As `docker compose build` and the docker CLI since 23.0: BuildKit whenever the engine offers it, the classic
// builder otherwise; DOCKER_BUILDKIT=0 forces the classic builder, DOCKER_BUILDKIT=1 makes a missing BuildKit
// an error. Docker offers BuildKit through its API since 18.09 (API 1.39: `POST /session`, `/build?version=2`);
// Podman's Docker-compatible API has no sessions (its builds are Buildah's, through the classic route).
import type { BuildSpec } from '../model/stack.js';

export interface BuilderChoice {
  kind: 'buildkit' | 'classic';
  /** Why, for messages: `DOCKER_BUILDKIT=0`, `Podman's API has no BuildKit sessions`, … */
  reason: string;
  /** DOCKER_BUILDKIT=1 on an engine without BuildKit: every build fails with this. */
  refused?: string;
}

const apiAtLeast = (v: string, min: [number, number]) => {
  const [a = 0, b = 0] = v.split('.').map(Number);
  return a > min[0] || (a === min[0] && b >= min[1]);
};

export function chooseBuilder(o: {
  product: 'docker' | 'podman';
  apiVersion: string;
  /** The engine's local socket, when it is on one (sessions are opened on it). */
  socket?: string;
  env?: NodeJS.ProcessEnv;
}): BuilderChoice {
  const flag = (o.env ?? process.env).DOCKER_BUILDKIT?.trim().toLowerCase();
  const off = flag === '0' || flag === 'false';
  const on = flag === '1' || flag === 'true';
  if (off) return { kind: 'classic', reason: 'DOCKER_BUILDKIT=0' };
  let missing: string | undefined;
  if (o.product === 'podman') missing = "Podman's Docker API has no BuildKit sessions";
  else if (!apiAtLeast(o.apiVersion, [1, 39]))
    missing = `the engine's API ${o.apiVersion} is older than 1.39 (Docker 18.09), which brought BuildKit`;
  else if (!o.socket)
    missing = 'berth opens BuildKit sessions on a local engine socket only (DOCKER_HOST is not unix://)';
  if (!missing) return { kind: 'buildkit', reason: `the engine offers BuildKit (API ${o.apiVersion})` };
  return {
    kind: 'classic',
    reason: missing,
    ...(on ? { refused: `DOCKER_BUILDKIT=1 asks for BuildKit, but ${missing}` } : {}),
  };
}

/**
 * Settings of a build that BuildKit behind the engine's `/build` route would drop or refuse, though the
 * classic builder honours them: such a build (when it needs nothing BuildKit-only) goes to the classic builder.
 * Docker 20.10's route ignores `shmsize`, accepts only the host/none/default network and only `host:IPv4`
 * extra hosts; a remote context (git, URL) is the classic route's own.
 */
export function classicOnly(b: BuildSpec): Array<{ key: string; why: string }> {
  const out: Array<{ key: string; why: string }> = [];
  if (b.shm_size !== undefined)
    out.push({ key: 'shm_size', why: 'BuildKit through the engine API has no shm size' });
  if (b.network && !['host', 'none', 'default'].includes(b.network))
    out.push({
      key: 'network',
      why: `BuildKit through the engine API runs builds on the default, host or no network, not ${b.network}`,
    });
  if (b.extra_hosts?.some((h) => h.split(':').length !== 2))
    out.push({ key: 'extra_hosts', why: 'BuildKit through the engine API takes IPv4 extra hosts only' });
  if (/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(b.context))
    out.push({ key: 'context', why: 'a remote context goes through the classic route' });
  return out;
}

/**
 * Why BuildKit through the engine API cannot honour a BuildKit-only key of this build (undefined: it can).
 * The `/build` route passes no entitlements to BuildKit (the one entitlement it grants is network.host, with
 * `network: host`). It passes no named contexts either, and Docker 20.10's built-in Dockerfile frontend
 * (BuildKit 0.8) predates them, but `additional_contexts` is no gap: berth serves them on every builder by
 * making each one an image and rewriting the Dockerfile (named-contexts.ts).
 */
export function buildKitGap(key: string, b: BuildSpec): string | undefined {
  switch (key) {
    case 'privileged':
      return "the engine's /build API cannot grant the security.insecure entitlement a privileged build needs";
    case 'entitlements': {
      const others = (b.entitlements ?? []).filter((e) => !(e === 'network.host' && b.network === 'host'));
      if (others.length === 0) return undefined;
      return `the engine's /build API grants no entitlements (network.host only together with \`network: host\`); cannot grant ${others.join(', ')}`;
    }
    default:
      return undefined;
  }
}
