// What a no-op `up` depended on in the engine, as one text: the project's containers (all but their status
// text, whose "Up 5 minutes" moves by itself; their health stays), networks and volumes, whatever holds a name
// `up` would create, and the images its services run. Two looks with one text give `up` the same plan. Kept
// whole, not hashed: comparing 100 KB is free, hashing it in JavaScript took 8 ms of a 20 ms memo check.
import type { ObservedImage } from '../model/index.js';
import type { EngineLook } from '../ops/look.js';
import type { ObjectKind } from '../plan/ownership.js';

export function lookFacts(
  look: EngineLook,
  claimed: ReadonlyArray<readonly [ObjectKind, string]>,
  images: ReadonlyArray<readonly [string, ObservedImage | undefined]>,
): string {
  const want = new Set(claimed.map(([k, n]) => `${k}\0${n}`));
  const { observed } = look;
  const facts = {
    containers: observed.containers.map(({ status: _, ...c }) => c).sort(by((c) => c.id)),
    networks: [...observed.networks].sort(by((n) => n.id)),
    volumes: [...observed.volumes].sort(by((v) => v.name)),
    claimed: look.everything
      .filter((o) => want.has(`${o.kind}\0${o.name}`))
      .sort(by((o) => `${o.kind}\0${o.name}`)),
    images: images.map(([ref, i]) => [ref, i ?? null]),
  };
  // Plain JSON: both sides build these objects with the same code from the engine's JSON (Go writes map keys
  // sorted), so equal facts give equal text.
  return JSON.stringify(facts);
}

const by =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
