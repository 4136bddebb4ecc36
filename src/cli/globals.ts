import type { Command } from 'commander';

/** Options given before the verb, as with `docker compose` (`berth -f a.yaml -p name --profile x up -d`). */
export interface GlobalOptions {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  profile: string[];
  envFile: string[];
  client?: string;
  noColor: boolean;
  /** `--target swarm`: act on the swarm the engine manages (src/cli/swarm.ts). */
  target?: string;
  /** HOST:PORT every swarm node pulls built images from. */
  registry?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addGlobalOptions(program: Command): Command {
  return program
    .option('-f, --file <file>', 'stack file (repeatable; later files merge over earlier ones)', collect, [])
    .option('-p, --project-name <name>', 'project name (default: the stack name, plus -<client>)')
    .option('--project-directory <dir>', 'working directory for relative paths (default: the first file’s)')
    .option('--profile <profile>', 'enable a profile (repeatable; also COMPOSE_PROFILES)', collect, [])
    .option('--env-file <file>', 'variables file for interpolation (repeatable; default: .env)', collect, [])
    .option('--client <name>', 'per-client overlay to use (default: BERTH_CLIENT, then the active one)')
    .option('--no-color', 'no colour in output (also NO_COLOR)')
    .option('--no-wait', 'fail at once when another berth is changing the project (also BERTH_NO_WAIT=1)')
    .option('--target <target>', 'local (default) or swarm (also BERTH_TARGET, x-berth.target)')
    .option('--registry <host:port>', 'swarm: registry built images are pushed to (also BERTH_REGISTRY)');
}

/** The global options as seen from inside a verb's action. */
export function globalsOf(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts();
  return {
    file: o.file ?? [],
    projectName: o.projectName,
    projectDirectory: o.projectDirectory,
    profile: o.profile ?? [],
    envFile: o.envFile ?? [],
    client: o.client,
    noColor: o.color === false || process.env.NO_COLOR !== undefined,
    target: o.target,
    registry: o.registry,
  };
}
