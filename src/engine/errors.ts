// One error type for every engine failure, mapped once in the adapters from the engine's HTTP status (or the
// socket error). Callers ask `isEngineError(err, 'not-found')` instead of reading status codes.
import { BerthError, ExitCode } from '../errors.js';

export type EngineErrorKind =
  /** 404: no such container, image, network, volume. */
  | 'not-found'
  /** 409: a name in use, a removal in progress, a network with active endpoints. */
  | 'conflict'
  /** 304: already started / already stopped. */
  | 'not-modified'
  /** 400: the engine refused the request as invalid. */
  | 'invalid'
  /** The engine did not answer at all (no socket, refused, permission). */
  | 'unreachable'
  /** The engine accepted the connection but did not answer in time. */
  | 'timeout'
  /** Anything else the engine answered with (500s, stream errors). */
  | 'failed';

export class EngineError extends Error {
  constructor(
    readonly kind: EngineErrorKind,
    /** The engine's own words, without HTTP preamble. */
    readonly engineMessage: string,
    readonly status?: number,
  ) {
    super(engineMessage);
    this.name = 'EngineError';
  }
}

export function isEngineError(err: unknown, kind?: EngineErrorKind): err is EngineError {
  return err instanceof EngineError && (kind === undefined || err.kind === kind);
}

export function kindOfStatus(status: number): EngineErrorKind {
  if (status === 304) return 'not-modified';
  if (status === 400) return 'invalid';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  return 'failed';
}

/**
 * Podman's compat API answers a name in use, an existing network and a container in the wrong state with 500
 * where dockerd answers 409; its messages say which (`that name is already in use`, `network already exists`,
 * `container state improper`). berth's locks and ownership checks depend on seeing a conflict.
 */
const PODMAN_CONFLICT = /already in use|network already exists|container state improper/;

export const engineErrorOfStatus = (status: number, message: string) =>
  new EngineError(
    status === 500 && PODMAN_CONFLICT.test(message) ? 'conflict' : kindOfStatus(status),
    message.trim() || `the engine answered HTTP ${status}`,
    status,
  );

/** The message of any error from below the port, for the user. */
export function engineMessage(err: unknown): string {
  if (err instanceof EngineError) return err.engineMessage;
  const e = err as { json?: { message?: string } | null; reason?: string; message?: string };
  return (e?.json?.message ?? e?.message ?? String(err))
    .replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/i, '')
    .trim();
}

/** What the CLI prints when the engine cannot be reached or stops answering: exit 3, naming the engine. */
export function unreachable(endpoint: string, detail: string): BerthError {
  return new BerthError(`cannot reach the Docker engine at ${endpoint} (${detail})`, {
    exitCode: ExitCode.EngineUnreachable,
    hint: 'start it: `npm run engine` in the berth checkout on Linux, or start Docker Desktop; DOCKER_HOST or DOCKER_CONTEXT selects another engine; BERTH_ENGINE_TIMEOUT (seconds) changes how long berth waits for an answer',
  });
}
