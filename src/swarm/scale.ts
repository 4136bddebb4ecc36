// `up --scale SERVICE=N` on a swarm: the stack deployed with those replica counts instead of the file's
// (`deploy.replicas`). A global service runs one task per node and has no count to set: refused, as
// `docker service scale` refuses it.
import { composeModels, composeSources } from '../compose/canonical.js';
import { badInput } from '../errors.js';
import type { Stack } from '../model/stack.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function withReplicas(stack: Stack, scale: Readonly<Record<string, number>>): Stack {
  if (Object.keys(scale).length === 0) return stack;
  const model = composeModels.get(stack) ?? {};
  const raw = isObj(model.services) ? model.services : {};
  const services = { ...stack.services };
  for (const [name, n] of Object.entries(scale)) {
    const svc = services[name];
    if (!svc) throw badInput(`--scale ${name}=${n}: no such service: ${name}`);
    const deploy =
      isObj(raw[name]) && isObj((raw[name] as Obj).deploy) ? ((raw[name] as Obj).deploy as Obj) : {};
    if (deploy.mode === 'global')
      throw badInput(`--scale ${name}=${n}: ${name} runs in global mode (one task on every node)`, {
        hint: 'scale applies to replicated services; remove `deploy.mode: global` to set a count',
      });
    services[name] = { ...svc, replicas: n };
  }
  const scaled: Stack = { ...stack, services };
  // The translation reads the raw model and its positions by stack: the copy has the same ones.
  composeModels.set(scaled, model);
  const sources = composeSources.get(stack);
  if (sources) composeSources.set(scaled, sources);
  return scaled;
}
