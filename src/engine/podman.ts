// Where Podman's Docker-compatible API (podman system service, 4.3) answers differently from dockerd, and what
// the adapter does about it. Pure: the adapter asks these questions with the engine's own answers. Podman is
// recognised by its `/version` (a component named "Podman Engine"), never by the socket's path.
import type { Health } from '../model/index.js';

export type Product = 'docker' | 'podman';

interface VersionAnswer {
  Version?: string;
  Components?: Array<{ Name?: string; Version?: string }> | null;
}

/** Which engine answered `/version`. */
export function productOf(v: VersionAnswer): Product {
  return (v.Components ?? []).some((c) => /^podman\b/i.test(c.Name ?? '')) ? 'podman' : 'docker';
}

/**
 * Which engine answered `/_ping`, from its headers (Podman adds `Libpod-Api-Version`), or undefined when the
 * client did not see them. Podman's `/version` takes seconds (it asks the package manager about conmon and
 * runc), so the ping every verb starts with is where the adapter learns it.
 */
export function productOfPing(
  headers: Record<string, string | string[] | undefined> | undefined,
): Product | undefined {
  if (!headers) return undefined;
  return headers['libpod-api-version'] !== undefined ? 'podman' : 'docker';
}

/** `podman 4.3.1`, `docker 20.10.24`: what `info().version` says. */
export function describeProduct(v: VersionAnswer): string {
  const product = productOf(v);
  const own = (v.Components ?? []).find((c) => /^podman\b/i.test(c.Name ?? ''))?.Version;
  return `${product} ${product === 'podman' ? (own ?? v.Version) : v.Version}`;
}

/** Podman's libpod API, on the same socket; any version from its minimum (4.0.0) up answers. */
export const LIBPOD = '/v4.0.0/libpod';

/**
 * Podman schedules a container's healthchecks with systemd timers; where systemd does not run (a container, a
 * minimal VM) no check ever runs and the health stays `starting` forever. So while berth looks at a container
 * whose health is `starting`, it asks Podman to run the check (libpod's healthcheck endpoint, which records the
 * result and counts retries as the timer would) when one interval has passed since the start or the last run.
 * Where the timers do run, this only adds a check now and then while berth waits.
 */
export function healthcheckDue(
  now: number,
  startedAt: number | undefined,
  lastRun: number | undefined,
  intervalNs: number | undefined,
): boolean {
  const every = intervalNs && intervalNs > 0 ? intervalNs / 1e6 : 30_000;
  const since = lastRun ?? startedAt;
  return since === undefined || now - since >= every;
}

/** Podman's container list says `Up 5 seconds`, without Docker's `(healthy)`; libpod's list has it as `Status`. */
export function healthOfLibpodStatus(status: string | undefined): Health | undefined {
  if (status === 'healthy' || status === 'unhealthy' || status === 'starting') return status;
  return undefined;
}

/**
 * Podman 4.3's image list answers nothing when its `label` filter has more than one value, even when every one
 * matches (containers, networks and volumes are fine). The adapter asks with the first selector and keeps the
 * images that match the others too (`key` or `key=value`, as the engine reads them).
 */
export function matchesLabels(
  labels: Record<string, string> | null | undefined,
  selectors: string[],
): boolean {
  return selectors.every((sel) => {
    const eq = sel.indexOf('=');
    if (eq < 0) return labels?.[sel] !== undefined;
    return labels?.[sel.slice(0, eq)] === sel.slice(eq + 1);
  });
}

/**
 * What `info()` says, from Podman's ping headers (`Libpod-Api-Version`, `Api-Version`), so the UI's header does
 * not wait for `/version` and `/info` (10 s and 3.5 s measured under load; Podman has no Swarm to report).
 * Undefined for Docker or when the headers lack either.
 */
export function infoOfPing(
  headers: Record<string, string | string[] | undefined> | undefined,
): { version: string; apiVersion: string } | undefined {
  const own = headers?.['libpod-api-version'];
  const api = headers?.['api-version'];
  if (typeof own !== 'string' || typeof api !== 'string' || !own || !api) return undefined;
  return { version: `podman ${own}`, apiVersion: api };
}
