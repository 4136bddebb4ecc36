import type { Command } from 'commander';
import { runAbortController } from '../abort.js';
import { badInput } from '../errors.js';
import { globalsOf } from './globals.js';
import { loadStackOrProject, opContext } from './lifecycle.js';

interface LogsFlags {
  follow?: boolean;
  since?: string;
  until?: string;
  tail?: string;
  timestamps?: boolean;
  color?: boolean;
  prefix?: boolean;
  index?: string;
}

export function register(program: Command): void {
  program
    .command('logs')
    .description("every service's output in one feed: `service-n | line`, one colour per service")
    .argument('[service...]', 'only these services')
    .option(
      '-f, --follow',
      'keep following; picks up recreated and restarted containers, ends when the stack is gone',
    )
    .option('--since <time>', 'from this time: a duration ("10m"), an RFC 3339 date-time or Unix seconds')
    .option('--until <time>', 'up to this time (same forms as --since)')
    .option('-n, --tail <n>', 'lines of history per container ("all" by default)')
    .option('-t, --timestamps', "show the engine's timestamp of each line")
    .option('--no-color', 'no colour (also NO_COLOR, and whenever stdout is not a terminal)')
    .option('--no-prefix', 'no `service |` prefix')
    .option('--index <n>', 'only this replica of the service(s)')
    .action(async (services: string[], flags: LogsFlags, cmd: Command) => {
      const { stack, project } = await loadStackOrProject(cmd);
      const swarm = await import('./swarm.js');
      if (swarm.targetOf(cmd, stack) === 'swarm') return swarm.swarmLogs(cmd, project, services, flags);
      const { followLogs, streamSink, engineTime } = await import('../logs/index.js');
      const { engine } = await opContext();
      const g = globalsOf(cmd);
      const tail = parseTail(flags.tail);
      const index = flags.index === undefined ? undefined : positiveInt(flags.index, '--index');
      const since = flags.since === undefined ? undefined : engineTime(flags.since, '--since');
      const until = flags.until === undefined ? undefined : engineTime(flags.until, '--until');
      if (stack) {
        for (const s of services) {
          if (!stack.services[s]) {
            throw badInput(`no such service: ${s}`, {
              hint: `services: ${Object.keys(stack.services).join(', ')}`,
            });
          }
        }
      }
      const color = flags.color !== false && !g.noColor && process.stdout.isTTY === true;
      const sink = streamSink(
        process.stdout,
        { color, prefix: flags.prefix !== false, timestamps: flags.timestamps === true },
        stack ? Object.keys(stack.services) : [],
      );
      const ac = runAbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // A closed pipe (`berth logs -f | head`) ends the feed quietly, as it does for `cat`.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') ac.abort();
      });
      try {
        await followLogs(
          {
            project,
            services,
            index,
            follow: flags.follow === true,
            since,
            until,
            tail,
            signal: ac.signal,
            engine,
          },
          sink,
        );
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}

function parseTail(v: string | undefined): number | 'all' | undefined {
  if (v === undefined || v === 'all') return v;
  if (!/^\d+$/.test(v)) {
    throw badInput(`--tail ${JSON.stringify(v)} is not a number`, { hint: 'give a line count or "all"' });
  }
  return Number(v);
}

function positiveInt(v: string, flag: string): number {
  if (!/^[1-9]\d*$/.test(v)) {
    throw badInput(`${flag} ${JSON.stringify(v)} is not a replica number`, { hint: 'replicas count from 1' });
  }
  return Number(v);
}
