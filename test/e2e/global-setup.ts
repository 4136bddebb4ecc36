import { execFileSync } from 'node:child_process';

// e2e tests need a real engine and the local images. They fail (never skip) when either is missing:
// `npm test` provides both through scripts/engine.sh and scripts/images.sh.
export default function setup(): void {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 15_000 });
  } catch {
    throw new Error(
      'e2e: the Docker engine does not answer; run `npm run engine` (npm test does it for you)',
    );
  }
  for (const image of [
    'berth/busybox:latest',
    'berth/debian-stack:latest',
    'berth/postgres:latest',
    'berth/redis:latest',
    'berth/nginx:latest',
    'berth/haproxy:latest',
    'berth/python:latest',
  ]) {
    try {
      execFileSync('docker', ['image', 'inspect', image], { stdio: 'pipe' });
    } catch {
      throw new Error(`e2e: image ${image} is missing; run \`npm run images\``);
    }
  }
}
