// A one-off container (`berth run`) from a service's definition: the same translation `up` uses
// (src/engine/create-options.ts), with the run's overrides, labelled dev.berth.oneoff so it never counts as a replica,
// and without the service's network alias (a one-off must not receive the service's traffic, as in Compose). A
// `pre_start` hook's one-off keeps the aliases and shares the mounts of the service's new container, as Compose's.
import type { Service, Stack } from '../model/stack.js';
import { ComposeLabel, Label } from '../model/index.js';
import type { OneOffSpec } from './port.js';
import { type ContainerPlan, containerForReplica, containerTemplate } from './create-options.js';

export function containerForOneOff(stack: Stack, serviceName: string, opts: OneOffSpec): ContainerPlan {
  const base = stack.services[serviceName];
  if (!base) throw new Error(`no such service: ${serviceName}`);
  const environment = { ...base.environment };
  for (const e of opts.env ?? []) {
    const i = e.indexOf('=');
    environment[i < 0 ? e : e.slice(0, i)] = i < 0 ? '' : e.slice(i + 1);
  }
  const service: Service = {
    ...base,
    command: opts.command ?? base.command,
    entrypoint: opts.entrypoint ?? base.entrypoint,
    environment,
    user: opts.user ?? base.user,
    working_dir: opts.workdir ?? base.working_dir,
    privileged: opts.privileged ?? base.privileged,
    ports: opts.ports,
    // a pre_start hook shares the new container's mounts instead (below), its anonymous volumes included
    volumes: opts.volumesFrom ? [] : base.volumes,
    // a one-off runs once: no restart policy, no fixed name of the service's
    restart: undefined,
    container_name: undefined,
    tty: opts.tty,
    stdin_open: opts.stdin,
  };
  const template = containerTemplate(stack, service);
  const plan = containerForReplica(stack, service, template, 1, '', opts.name);
  const labels: Record<string, string> = { ...plan.options.Labels, [Label.oneoff]: 'true' };
  delete labels[Label.replica];
  delete labels[Label.configHash];
  labels[ComposeLabel.oneoff] = 'True';
  delete labels[ComposeLabel.number];
  const noAliases = <T extends { Aliases?: string[] }>(e: T): T => (opts.aliases ? e : { ...e, Aliases: [] });
  const hostConfig = plan.options.HostConfig ?? {};
  const endpoints = plan.options.NetworkingConfig?.EndpointsConfig;
  return {
    name: opts.name,
    options: {
      ...plan.options,
      Labels: labels,
      AttachStdin: opts.stdin,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: opts.stdin,
      StdinOnce: opts.stdin,
      Tty: opts.tty,
      HostConfig: {
        ...hostConfig,
        AutoRemove: opts.autoRemove || undefined,
        ...(opts.volumesFrom ? { VolumesFrom: [...(hostConfig.VolumesFrom ?? []), opts.volumesFrom] } : {}),
      },
      ...(endpoints
        ? {
            NetworkingConfig: {
              EndpointsConfig: Object.fromEntries(
                Object.entries(endpoints).map(([k, v]) => [k, noAliases(v)]),
              ),
            },
          }
        : {}),
    },
    extraNetworks: Object.fromEntries(Object.entries(plan.extraNetworks).map(([k, v]) => [k, noAliases(v)])),
  };
}
