import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toComposeYaml } from '../../bench/compose-file.js';
import {
  generateStack,
  portsNeeded,
  recreateTarget,
  type Shape,
  withChangedService,
} from '../../bench/gen.js';

const ports = Array.from({ length: 100 }, (_, i) => 42100 + i);
const cases: Array<[Shape, number]> = [
  ['flat', 10],
  ['flat', 60],
  ['layered', 10],
  ['layered', 30],
  ['layered', 60],
];

describe('bench stack generator', () => {
  it.each(cases)('%s %i: exact size, dependencies exist and come first, ports unique', (shape, size) => {
    const stack = generateStack(shape, size, ports);
    expect(stack.services).toHaveLength(size);
    const seen = new Set<string>();
    for (const s of stack.services) {
      for (const d of s.dependsOn) expect(seen.has(d), `${s.name} depends on ${d}`).toBe(true);
      seen.add(s.name);
    }
    expect(seen.size).toBe(size);
    const hostPorts = stack.services.flatMap((s) => s.ports.map((p) => p.host));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(hostPorts.length).toBe(portsNeeded(shape, size));
    const declared = new Set(stack.volumes);
    for (const s of stack.services)
      for (const v of Object.keys(s.volumes)) expect(declared.has(v)).toBe(true);
  });

  it('layered stacks fan out: every service below lb has a dependent, and a web depends on several apps', () => {
    const stack = generateStack('layered', 60, ports);
    const dependedOn = new Set(stack.services.flatMap((s) => s.dependsOn));
    for (const s of stack.services)
      if (!s.name.startsWith('lb-')) expect(dependedOn.has(s.name), s.name).toBe(true);
    const web = stack.services.find((s) => s.name === 'web-1')!;
    expect(web.dependsOn.filter((d) => d.startsWith('app-')).length).toBeGreaterThan(1);
    expect(stack.volumes.length).toBeGreaterThan(0);
  });

  it('renders a Compose file every tool reads: local image only, ports on loopback, named volumes declared', () => {
    const stack = generateStack('layered', 10, ports);
    const doc = parse(toComposeYaml(stack)) as {
      services: Record<string, Record<string, unknown>>;
      volumes: Record<string, unknown>;
    };
    expect(Object.keys(doc.services)).toHaveLength(10);
    for (const [name, svc] of Object.entries(doc.services)) {
      expect(svc.pull_policy, name).toBe('never');
      expect(svc.image).toBe('berth/busybox:latest');
      for (const p of (svc.ports as string[] | undefined) ?? []) expect(p).toMatch(/^127\.0\.0\.1:\d+:80$/);
      for (const d of Object.keys((svc.depends_on as object | undefined) ?? {}))
        expect(doc.services[d]).toBeDefined();
      for (const v of (svc.volumes as string[] | undefined) ?? [])
        expect(doc.volumes[v.split(':')[0]!]).toBeDefined();
    }
  });

  it('the recreate edit changes exactly one service', () => {
    const stack = generateStack('layered', 30, ports);
    const target = recreateTarget(stack);
    const edited = withChangedService(stack, target, '2');
    const differ = stack.services.filter((s, i) => JSON.stringify(s) !== JSON.stringify(edited.services[i]));
    expect(differ.map((s) => s.name)).toEqual([target]);
  });
});
