// A no-op `up -d` offers its answer for a memo: valid while the stack's files, the environment and the engine's
// look are as they were (src/memo/fast.ts checks the look with the same requests `up` made).
import { resolveEndpoint } from '../engine/connect.js';
import type { Engine } from '../engine/port.js';
import type { Stack } from '../model/stack.js';
import type { NoopLook } from '../ops/up.js';
import { lookFacts } from './facts.js';
import { offerMemo } from './record.js';

export async function offerUpMemo(
  engine: Engine,
  stack: Stack,
  services: readonly string[] | undefined,
  seen: NoopLook,
): Promise<void> {
  const wanted = (services ?? Object.keys(stack.services)).map((s) => stack.services[s]);
  // a provider runs on every `up`; a daily or weekly pull policy makes the answer depend on the clock
  if (wanted.some((s) => !s || s.provider || s.pull_policy === 'daily' || s.pull_policy === 'weekly')) return;
  const ep = resolveEndpoint(process.env);
  // Podman's lists need more calls than the memo check makes (engine/docker-engine.ts): it would only miss
  if (ep.kind !== 'unix' || (await engine.product()) !== 'docker') return;
  const claimed = seen.claimed.map((o) => [o.kind, o.name] as [typeof o.kind, string]);
  const images = [...seen.images];
  offerMemo({
    socket: ep.socket,
    project: stack.project,
    claimed,
    refs: images.map(([r]) => r),
    facts: lookFacts(seen.look, claimed, images),
  });
}
