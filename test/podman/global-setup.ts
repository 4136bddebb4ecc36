import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The socket the Podman tests talk to (scripts/podman.sh serves Docker's API there). */
export const PODMAN_SOCK = process.env.BERTH_PODMAN_SOCK || '/run/berth-podman.sock';

// The Podman subset needs podman's Docker-API service and berth's images loaded into it: scripts/podman.sh
// provides both (idempotent, a second or two when all is there). It fails, never skips, when it cannot.
export default function setup(): void {
  try {
    execFileSync('bash', [path.resolve(import.meta.dirname, '../../scripts/podman.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 600_000,
    });
  } catch {
    throw new Error('podman tests: scripts/podman.sh could not start podman (see its output above)');
  }
  process.env.DOCKER_HOST = `unix://${PODMAN_SOCK}`;
}
