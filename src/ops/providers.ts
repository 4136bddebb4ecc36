// Provider services (`provider: {type, options}`), as Compose runs them: the service is no container but a binary
// — `docker-<type>` (a docker CLI plugin, on PATH or in the plugin folders) or else `<type>` on PATH — called as
// `<bin> compose --project-name=P up|down [--option=value…] SERVICE`. It answers in JSON lines on stdout:
// `info` (progress), `debug`, `error` (fails the service), `setenv` (`KEY=value`, given to every service that
// depends on it as `<SERVICE>_KEY`, the service name upper-cased as Compose does) and `rawsetenv` (`KEY=value`
// as it is). berth runs the providers of the selected services before it plans, so their variables are part of
// the dependents' configuration (a changed value recreates them, as in Compose). Before each command it asks
// `<bin> compose metadata` for the parameters the command takes, as Compose does (see ProviderMetadata). `stop`
// (berth stop, and Ctrl-C of an attached up) calls `<bin> compose … stop SERVICE` only on providers whose
// metadata declares `stop`, as Compose does since 5.1 (docker/compose#13779); others are left running.
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { BerthError, ExitCode } from '../errors.js';
import { buildGraph, startOrder } from '../graph/index.js';
import type { Service, Stack } from '../model/stack.js';
import { emitter, type OpContext } from './context.js';

export type ProviderCommand = 'up' | 'down' | 'stop';

/** What a provider's `up` gave: variables for its dependents. */
export interface ProviderOutput {
  prefixed: Record<string, string>;
  raw: Record<string, string>;
}

/**
 * What a provider says about itself when asked `compose metadata` (Compose asks before every up and down): the
 * parameters each command takes. Compose passes a command only the options it declares, and refuses to run
 * one whose required parameter the file does not set.
 */
export interface ProviderMetadata {
  description?: string;
  up?: CommandMetadata;
  down?: CommandMetadata;
  stop?: CommandMetadata;
}

export interface CommandMetadata {
  parameters?: Array<{
    name: string;
    description?: string;
    required?: boolean;
    type?: string;
    default?: string;
  }>;
}

/**
 * A provider's answer to `compose metadata`; anything that is not a JSON object (an old provider prints nothing,
 * or an error) is no metadata, and every option is passed as before — as Compose does.
 */
export function parseProviderMetadata(stdout: string): ProviderMetadata {
  try {
    const m = JSON.parse(stdout) as unknown;
    return m && typeof m === 'object' && !Array.isArray(m) ? (m as ProviderMetadata) : {};
  } catch {
    return {};
  }
}

/** Compose's `IsEmpty`: no description and no parameter list for up or down. */
export function metadataIsEmpty(m: ProviderMetadata): boolean {
  return !m.description && !Array.isArray(m.up?.parameters) && !Array.isArray(m.down?.parameters);
}

/** The required parameters of `command` that the service's `provider.options` leaves out. */
export function missingParameters(m: ProviderMetadata, service: Service, command: ProviderCommand): string[] {
  if (metadataIsEmpty(m)) return [];
  const options = service.provider?.options ?? {};
  return (m[command]?.parameters ?? []).filter((p) => p.required && !(p.name in options)).map((p) => p.name);
}

/**
 * The arguments Compose passes (options sorted by name, so runs are reproducible). With metadata, only the
 * options the command declares as parameters.
 */
export function providerArgs(
  project: string,
  service: Service,
  command: ProviderCommand,
  metadata: ProviderMetadata = {},
): string[] {
  const declared = new Set((metadata[command]?.parameters ?? []).map((p) => p.name));
  const all = metadataIsEmpty(metadata);
  const options = Object.entries(service.provider?.options ?? {})
    .filter(([k]) => all || declared.has(k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    'compose',
    `--project-name=${project}`,
    command,
    ...options.flatMap(([k, values]) => values.map((v) => `--${k}=${v}`)),
    service.name,
  ];
}

/** `<bin> compose metadata`, as Compose runs it before each command; a failure is no metadata. */
export function providerMetadata(bin: string, signal?: AbortSignal): Promise<ProviderMetadata> {
  return new Promise((resolve) => {
    execFile(bin, ['compose', 'metadata'], { timeout: 30_000, signal, maxBuffer: 1 << 20 }, (err, stdout) =>
      resolve(err ? {} : parseProviderMetadata(stdout)),
    );
  });
}

/** Exit 2 naming the `provider` line when the file leaves out a parameter the provider requires. */
function requireParameters(m: ProviderMetadata, svc: Service, command: ProviderCommand): void {
  const missing = missingParameters(m, svc, command);
  if (!missing.length) return;
  const type = svc.provider!.type;
  throw new BerthError(
    `required parameter "${missing[0]}" is missing from provider "${type}" definition (service "${svc.name}")`,
    {
      exitCode: ExitCode.BadInput,
      pos: svc.provider!.pos,
      frame: svc.provider!.frame,
      hint: `set ${missing.map((p) => `\`${p}\``).join(', ')} under \`provider.options\`; \`${type} compose metadata\` lists what it takes; nothing was created`,
    },
  );
}

/** One line of a provider's stdout; throws on what Compose refuses. */
export type ProviderMessage =
  | { type: 'info' | 'debug'; message: string }
  | { type: 'error'; message: string }
  | { type: 'setenv' | 'rawsetenv'; key: string; value: string };

export function parseProviderLine(line: string): ProviderMessage | undefined {
  if (!line.trim()) return undefined;
  let msg: { type?: unknown; message?: unknown };
  try {
    msg = JSON.parse(line);
  } catch {
    throw new Error(`invalid response from provider (not JSON): ${line.slice(0, 200)}`);
  }
  const text = typeof msg.message === 'string' ? msg.message : '';
  switch (msg.type) {
    case 'info':
    case 'debug':
    case 'error':
      return { type: msg.type, message: text };
    case 'setenv':
    case 'rawsetenv': {
      const i = text.indexOf('=');
      if (i < 0) throw new Error(`invalid response from provider: ${text}`);
      return { type: msg.type, key: text.slice(0, i), value: text.slice(i + 1) };
    }
    default:
      throw new Error(`invalid response from provider: ${String(msg.type)}`);
  }
}

/** The stack with each provider's variables in the environment of the services that depend on it. */
export function withProviderEnv(stack: Stack, outputs: Map<string, ProviderOutput>): Stack {
  if (!outputs.size) return stack;
  const services: Record<string, Service> = {};
  for (const [name, svc] of Object.entries(stack.services)) {
    let environment = svc.environment;
    for (const [provider, out] of outputs) {
      if (!svc.depends_on[provider]) continue;
      const prefix = `${provider.toUpperCase()}_`;
      environment = { ...environment };
      for (const [k, v] of Object.entries(out.prefixed)) environment[prefix + k] = v;
      for (const [k, v] of Object.entries(out.raw)) environment[k] = v;
    }
    services[name] = environment === svc.environment ? svc : { ...svc, environment };
  }
  return { ...stack, services };
}

const PLUGIN_DIRS = [
  path.join(homedir(), '.docker', 'cli-plugins'),
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
];

async function executable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** `docker-<type>` on PATH or in the docker CLI's plugin folders, else `<type>` on PATH; undefined if none. */
export async function findProvider(
  type: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...dirs, ...PLUGIN_DIRS]) {
    const f = path.join(dir, `docker-${type}`);
    if (await executable(f)) return f;
  }
  if (type.includes('/')) return (await executable(type)) ? path.resolve(type) : undefined;
  for (const dir of dirs) {
    const f = path.join(dir, type);
    if (await executable(f)) return f;
  }
  return undefined;
}

/** Each provider service's binary, or exit 2 naming the `provider.type` line of the first one missing. */
async function binaries(services: Service[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const svc of services) {
    const type = svc.provider!.type;
    const bin = await findProvider(type);
    if (!bin)
      throw new BerthError(`provider \`${type}\` of service "${svc.name}" not found`, {
        exitCode: ExitCode.BadInput,
        pos: svc.provider!.pos,
        frame: svc.provider!.frame,
        hint: `install \`docker-${type}\` (a docker CLI plugin) or \`${type}\` on PATH; nothing was created`,
      });
    out.set(svc.name, bin);
  }
  return out;
}

async function runOne(
  ctx: OpContext,
  stack: Stack,
  svc: Service,
  bin: string,
  command: ProviderCommand,
  metadata: ProviderMetadata,
): Promise<ProviderOutput> {
  const emit = emitter(ctx);
  const out: ProviderOutput = { prefixed: {}, raw: {} };
  const t0 = Date.now();
  const [going, gone] = (
    { up: ['Creating', 'Created'], down: ['Removing', 'Removed'], stop: ['Stopping', 'Stopped'] } as const
  )[command];
  emit({
    type: 'progress',
    kind: 'Container',
    name: svc.name,
    service: svc.name,
    status: going,
    done: false,
  });
  const child = spawn(bin, providerArgs(stack.project, svc, command, metadata), {
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: ctx.signal,
  });
  const stderr: string[] = [];
  let failure: string | undefined;
  let buf = '';
  const onLine = (line: string) => {
    if (failure) return;
    try {
      const m = parseProviderLine(line);
      if (!m) return;
      if (m.type === 'error') failure = m.message;
      else if (m.type === 'info')
        emit({
          type: 'progress',
          kind: 'Container',
          name: svc.name,
          service: svc.name,
          status: going,
          done: false,
          detail: m.message.split('\n')[0],
        });
      else if (m.type === 'setenv') out.prefixed[m.key] = m.value;
      else if (m.type === 'rawsetenv') out.raw[m.key] = m.value;
    } catch (err) {
      failure = (err as Error).message;
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    const parts = (buf + d.toString()).split('\n');
    buf = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr.push(...d.toString().split('\n').filter(Boolean));
    if (stderr.length > 20) stderr.splice(0, stderr.length - 20);
  });
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      failure ??= err.message;
      resolve(-1);
    });
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : -1)));
  });
  if (buf) onLine(buf);
  if (failure === undefined && code !== 0) failure = `${path.basename(bin)} exited with status ${code}`;
  if (failure !== undefined) {
    emit({
      type: 'progress',
      kind: 'Container',
      name: svc.name,
      service: svc.name,
      status: 'Error',
      done: true,
      detail: failure,
    });
    const action = { up: 'create', down: 'remove', stop: 'stop' }[command];
    throw new BerthError(`service "${svc.name}": failed to ${action} service provider: ${failure}`, {
      hint: stderr.length ? `the provider said:\n  ${stderr.join('\n  ')}` : undefined,
    });
  }
  emit({
    type: 'progress',
    kind: 'Container',
    name: svc.name,
    service: svc.name,
    status: gone,
    done: true,
    elapsedMs: Date.now() - t0,
  });
  return out;
}

/** Provider services among `names`, in the stack's order. */
export function providerServices(stack: Stack, names?: readonly string[]): Service[] {
  return Object.values(stack.services).filter((s) => s.provider && (!names || names.includes(s.name)));
}

/**
 * `up` of the selected provider services, one after the other (a provider may depend on another's variables
 * only through the environment berth gives it, so order is the stack's); resolves to the stack with their
 * variables in their dependents' environment.
 */
export async function upProviders(ctx: OpContext, stack: Stack, names?: readonly string[]): Promise<Stack> {
  const services = providerServices(stack, names);
  if (!services.length) return stack;
  const bins = await binaries(services);
  // every provider's parameters are checked before the first one runs: a missing one changes nothing
  const metadata = await Promise.all(
    services.map((svc) => providerMetadata(bins.get(svc.name)!, ctx.signal)),
  );
  for (const [i, svc] of services.entries()) requireParameters(metadata[i]!, svc, 'up');
  const outputs = new Map<string, ProviderOutput>();
  for (const [i, svc] of services.entries())
    outputs.set(svc.name, await runOne(ctx, stack, svc, bins.get(svc.name)!, 'up', metadata[i]!));
  return withProviderEnv(stack, outputs);
}

/** Every provider binary of the stack, found before `down` changes anything (exit 2 when one is missing). */
export function findProviders(stack: Stack): Promise<Map<string, string>> {
  return binaries(providerServices(stack));
}

/** `down` of the stack's provider services; failures are returned as lines, as `down` reports its others. */
export async function downProviders(
  ctx: OpContext,
  stack: Stack,
  bins: Map<string, string>,
): Promise<string[]> {
  const services = providerServices(stack);
  if (!services.length) return [];
  const errors: string[] = [];
  for (const svc of services) {
    const bin = bins.get(svc.name)!;
    await (async () => {
      const metadata = await providerMetadata(bin, ctx.signal);
      requireParameters(metadata, svc, 'down');
      return runOne(ctx, stack, svc, bin, 'down', metadata);
    })().catch((err: BerthError) => errors.push(err.hint ? `${err.message}\n${err.hint}` : err.message));
  }
  return errors;
}

/**
 * `stop` of the selected provider services (all when `names` is undefined), dependents first, each only when its
 * provider's metadata declares `stop`: Compose's opt-in, so a provider written before the hook (or without
 * metadata) is not called and its resource keeps running. No variables are read from a stop. Failures (a
 * missing binary too) are returned as lines, as `stop` reports its others.
 */
export async function stopProviders(
  ctx: OpContext,
  stack: Stack,
  names?: readonly string[],
): Promise<string[]> {
  const chosen = new Set(providerServices(stack, names).map((s) => s.name));
  if (!chosen.size) return [];
  const order = startOrder(buildGraph(stack))
    .reverse()
    .filter((n) => chosen.has(n));
  const errors: string[] = [];
  for (const name of order) {
    const svc = stack.services[name]!;
    await (async () => {
      const [bin] = (await binaries([svc])).values();
      const metadata = await providerMetadata(bin!, ctx.signal);
      if (!metadata.stop) return;
      requireParameters(metadata, svc, 'stop');
      await runOne(ctx, stack, svc, bin!, 'stop', metadata);
    })().catch((err: BerthError) => errors.push(err.hint ? `${err.message}\n${err.hint}` : err.message));
  }
  return errors;
}
