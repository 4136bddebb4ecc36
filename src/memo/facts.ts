// What a no-op `up` depended on in the engine, as one text: the project's containers (not their status text,
// whose "Up 5 minutes" moves by itself; their state and health do count), networks and volumes, whatever holds a
// name `up` would create, and the images its services run. Two looks with one text give `up` the same plan.
// Kept whole, not hashed: comparing 10 KB is free, hashing it in JavaScript cost more than the whole check.
import { Label, type ObservedImage } from '../model/index.js';
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
    // What can change in a container once it exists; the rest (labels and the config hash in them, image ID,
    // command, creation time) is fixed when it is created, so its ID stands for it: 150 bytes a container,
    // not 1.6 KB.
    containers: observed.containers
      .map((c) => [c.id, c.name, c.state, c.health, c.image, c.networks, c.ports])
      .sort(by((c) => c[0] as string)),
    networks: [...observed.networks].sort(by((n) => n.id)),
    volumes: [...observed.volumes].sort(by((v) => v.name)),
    // the project's own objects are in the lists above already (and ours by ID); the others by name and labels
    claimed: look.everything
      .filter((o) => want.has(`${o.kind}\0${o.name}`) && o.labels[Label.project] !== observed.project)
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
