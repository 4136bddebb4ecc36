// The Compose file berth, docker-compose and dockerode-compose all read. Kept apart from gen.ts so the floor
// script (which bundles gen.ts) does not load a YAML library it never uses.
import { stringify } from 'yaml';
import { BENCH_COMMAND, BENCH_IMAGE, type GenStack } from './gen.js';

/** The Compose file every peer reads. `pull_policy: never`: the engine has no registry and nobody may pull. */
export function toComposeYaml(stack: GenStack): string {
  const services: Record<string, unknown> = {};
  for (const s of stack.services) {
    const svc: Record<string, unknown> = {
      image: BENCH_IMAGE,
      pull_policy: 'never',
      init: true,
      command: BENCH_COMMAND,
      environment: s.environment,
    };
    if (s.dependsOn.length > 0)
      svc.depends_on = Object.fromEntries(s.dependsOn.map((d) => [d, { condition: 'service_started' }]));
    if (s.ports.length > 0) svc.ports = s.ports.map((p) => `127.0.0.1:${p.host}:${p.container}`);
    const vols = Object.entries(s.volumes);
    if (vols.length > 0) svc.volumes = vols.map(([v, target]) => `${v}:${target}`);
    services[s.name] = svc;
  }
  const doc: Record<string, unknown> = { services };
  if (stack.volumes.length > 0) doc.volumes = Object.fromEntries(stack.volumes.map((v) => [v, {}]));
  return stringify(doc, { aliasDuplicateObjects: false });
}
