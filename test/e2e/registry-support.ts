// A real registry on 127.0.0.1 for the pull tests (scripts/registry.sh: Debian's docker-registry, installed
// when missing), and images pushed to it under a unique name. Everything is removed by `stop()`.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { docker } from './helpers.js';
import { freePort, ROOT } from './up-cli.js';

const SCRIPT = path.join(ROOT, 'scripts/registry.sh');

export interface LocalRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /**
   * Build a small image of our own (a random layer on berth/busybox, so a pull has a layer to download),
   * push it under a unique repository, and remove it from the engine. Resolves to its reference and ID.
   */
  publish(name: string, tag?: string): Promise<{ ref: string; id: string }>;
  /** References this registry's images had on the engine (pushed or pulled), for cleanup. */
  refs: Set<string>;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-registry-'));
  const port = await freePort();
  execFileSync('bash', [SCRIPT, 'start', dir, String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
  });
  const host = `127.0.0.1:${port}`;
  const namespace = `bt-${randomBytes(3).toString('hex')}`;
  const refs = new Set<string>();
  return {
    host,
    refs,
    async publish(name, tag = '1') {
      const ref = `${host}/${namespace}/${name}:${tag}`;
      refs.add(ref);
      const dockerfile =
        'FROM berth/busybox:latest\nRUN head -c 400000 /dev/urandom > /blob\nCMD ["sleep", "300"]\n';
      execFileSync('docker', ['build', '-q', '-t', ref, '-'], {
        input: dockerfile,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
      });
      const id = (await docker.getImage(ref).inspect()).Id;
      execFileSync('docker', ['push', ref], { stdio: 'pipe' });
      execFileSync('docker', ['rmi', ref], { stdio: 'pipe' });
      return { ref, id };
    },
    async stop() {
      for (const ref of refs) {
        await docker
          .getImage(ref)
          .remove()
          .catch(() => {});
      }
      execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: 'pipe' });
    },
  };
}
