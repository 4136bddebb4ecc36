// Inputs that used to crash or stall `berth config`: each one now loads, or fails with a BerthError (exit 2,
// file:line), without recursion on a depth the file controls and without work quadratic in its size.
// Timings are never asserted tightly (the machine is shared); where the old code took 90 s, < 10 s is.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { BerthError, ExitCode } from '../../src/errors.js';
import { loadStack } from '../../src/compose/index.js';
import { load, loadError, stackDir } from './compose-helpers.js';

const HEAVY = { timeout: 60_000 };

function failure(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (e) {
    expect(e, String((e as Error)?.stack)).toBeInstanceOf(BerthError);
    return e as BerthError;
  }
  throw new Error('expected a BerthError');
}

describe('port ranges', () => {
  test('1-65535:1-65535 loads in well under the 90 s it took', HEAVY, () => {
    // CPU time, not wall time: other work on the machine must not make this fail (the old code took 14-90 s)
    const t0 = process.cpuUsage();
    const stack = load({
      'compose.yaml': 'services:\n  a:\n    image: berth/busybox\n    ports: ["1-65535:1-65535"]\n',
    });
    expect(stack.services.a!.ports).toHaveLength(65535);
    const cpu = process.cpuUsage(t0);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(10_000);
  });

  test('the same full range twice: one error per line of the file, naming the first service', HEAVY, () => {
    const msg = loadError({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    ports: ["1-65535:1-65535"]\n  b:\n    image: x\n    ports: ["1-65535:1-65535/tcp", "1-65535:1-65535/udp"]\n',
    });
    expect(msg).toBe(
      'compose.yaml:7:13: `services.b.ports[0]`: host port 1/tcp is already published by service `a` (compose.yaml:4)\nhint: give one of them another host port',
    );
  });

  test(
    'a hundred services each publishing the full range: refused before expanding millions of ports',
    HEAVY,
    () => {
      const body = Array.from(
        { length: 100 },
        (_, i) => `  s${i}:\n    image: x\n    ports: ["127.0.0.${i + 1}:1-65535:1-65535"]\n`,
      );
      const e = failure(() => load({ 'compose.yaml': `services:\n${body.join('')}` }));
      expect(e.message).toMatch(
        /^`services\.s4\.ports\[0\]`: the stack publishes more than 262,144 ports in all/,
      );
    },
  );

  test('clashes between single ports, ranges and any-address binds are still found', () => {
    const cases: Array<[string, string, RegExp | null]> = [
      ['"8080:80"', '"8080:81"', /host port 8080\/tcp is already published by service `a`/],
      ['"8000-8010:80"', '"8005:81"', /host port 8005\/tcp is already published by service `a`/],
      ['"8005:81"', '"8000-8010:80"', /host port 8000-8010\/tcp is already published by service `a`/],
      ['"0.0.0.0:9000:80"', '"127.0.0.1:9000:80"', /host port 9000\/tcp/],
      ['"127.0.0.2:9000:80"', '"127.0.0.1:9000:80"', null],
      ['"9000:80/udp"', '"9000:80"', null],
      // ranges that expand into single ports are checked as one range: the first shared port is named
      ['"8000-8010:8000-8010"', '"8005:81"', /host port 8005\/tcp is already published by service `a`/],
      ['"8000-8010:8000-8010"', '"8005-8020:8005-8020"', /host port 8005\/tcp is already published/],
      ['"8000-8010:8000-8010"', '"8011-8020:8011-8020"', null],
      ['"8000-8010:8000-8010"', '"8010-8020:80"', /host port 8010-8020\/tcp is already published/],
    ];
    for (const [a, b, expected] of cases) {
      const files = {
        'compose.yaml': `services:\n  a:\n    image: x\n    ports: [${a}]\n  b:\n    image: x\n    ports: [${b}]\n`,
      };
      if (expected) expect(loadError(files), `${a} then ${b}`).toMatch(expected);
      else expect(load(files).services.b!.ports.length, `${a} then ${b}`).toBeGreaterThan(0);
    }
  });

  test('replicas cannot share the single host ports a range expands into; a host range per replica is fine', () => {
    const stack = (ports: string) => ({
      'compose.yaml': `services:\n  a:\n    image: x\n    deploy: {replicas: 2}\n    ports: [${ports}]\n`,
    });
    expect(loadError(stack('"8000-8001:8000-8001"'))).toMatch(
      /^compose\.yaml:5:13: .*host port 8000 cannot be published by 2 replicas at once/,
    );
    expect(load(stack('"8000-8001:80"')).services.a!.ports).toHaveLength(1);
  });
});

describe('many schema errors', () => {
  test(
    '2,000 services with the wrong shape under one key: sorted out in linear time, the first ones reported',
    HEAVY,
    () => {
      // fuzz seed 5301130 case 3719 (400 such services): 2.6 s of CPU while the errors were compared pair by pair
      const body = Array.from(
        { length: 2000 },
        (_, i) =>
          `  s${i}:\n    image: x\n    networks:\n      test: [a, b]\n      interval: 3s\n      retries: 5\n`,
      );
      const t0 = process.cpuUsage();
      const e = failure(() => load({ 'compose.yaml': `services:\n${body.join('')}` }));
      const cpu = process.cpuUsage(t0);
      expect(e.message).toMatch(/`services\.s0\.networks\.test`: expected nothing or a map, got a list/);
      expect((cpu.user + cpu.system) / 1000).toBeLessThan(10_000);
    },
  );
});

describe('YAML bombs and deep nesting', () => {
  const bomb = (levels: number, width: number, leaf = '"lol"') => {
    const lines = [`  a0: &a0 [${Array(width).fill(leaf).join(', ')}]`];
    for (let i = 1; i <= levels; i++)
      lines.push(
        `  a${i}: &a${i} [${Array(width)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    return `x-bomb:\n${lines.join('\n')}\nservices:\n  a:\n    image: x\n    command: *a${levels}\n`;
  };

  test('a billion laughs is refused after a bounded number of values, at its line', () => {
    for (const [levels, width] of [
      [9, 10],
      [6, 9],
      [4, 40],
    ] as const) {
      const e = failure(() => load({ 'compose.yaml': bomb(levels, width) }));
      expect(e.exitCode).toBe(ExitCode.BadInput);
      expect(e.message).toMatch(/expands to too many values/);
      expect(e.pos?.file).toBe('compose.yaml');
      // the cap follows the file's own size: a few hundred bytes may not expand to a million values
      const cap = Number(/more than ([\d,]+)/.exec(e.message)![1]!.replace(/,/g, ''));
      expect(cap).toBeLessThan(150_000);
    }
  });

  test('anchors reused across many services still load (the cap grows with the file)', () => {
    const svcs = Array.from({ length: 2000 }, (_, i) => `  s${i}:\n    <<: *base\n`).join('');
    const common = Array.from({ length: 40 }, (_, i) => `    K${i}: "v${i}"`).join('\n');
    const stack = load({
      'compose.yaml': `x-base: &base\n  image: berth/busybox\n  environment:\n${common}\nservices:\n${svcs}`,
    });
    expect(Object.keys(stack.services)).toHaveLength(2000);
    expect(stack.services.s1999!.environment.K39).toBe('v39');
  });

  test('nesting deeper than the parser can follow fails cleanly, without quoting a 200 kB line', () => {
    for (const deep of [
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}`,
    ]) {
      const e = failure(() => load({ 'compose.yaml': `services:\n  a:\n    image: x\nx-deep: ${deep}\n` }));
      expect(e.exitCode).toBe(ExitCode.BadInput);
      expect(e.message).toMatch(/nested/);
      expect(e.pos?.file).toBe('compose.yaml');
      expect((e.frame ?? '').length).toBeLessThan(400);
    }
    const block = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i * 2)}k:\n`).join('');
    const e = failure(() => load({ 'compose.yaml': `services:\n  a:\n    image: x\nx-deep:\n${block}` }));
    expect(e.exitCode).toBe(ExitCode.BadInput);
  });

  test('300 levels: over the 200-level limit, with the line', () => {
    const msg = loadError({
      'compose.yaml': `services:\n  a:\n    image: x\nx-deep: ${'['.repeat(300)}${']'.repeat(300)}\n`,
    });
    expect(msg).toMatch(/^compose\.yaml:4:\d+: values are nested more than 200 levels deep/);
  });

  test('interpolation defaults nested 20,000 deep', () => {
    const image = `${'${A:-'.repeat(20_000)}x${'}'.repeat(20_000)}`;
    const msg = loadError({ 'compose.yaml': `services:\n  a:\n    image: "${image}"\n` });
    expect(msg).toMatch(
      /^compose\.yaml:3:12: `services\.a\.image`: interpolation nested more than 64 levels deep/,
    );
  });
});

describe('long chains', () => {
  test('5,000 services extending each other in one file', HEAVY, () => {
    const n = 5000;
    const body = Array.from({ length: n }, (_, i) =>
      i < n - 1
        ? `  s${i}:\n    extends: s${i + 1}\n`
        : `  s${i}:\n    image: berth/busybox\n    environment: {DEEP: "yes"}\n`,
    ).join('');
    const stack = load({ 'compose.yaml': `services:\n${body}` });
    expect(stack.services.s0!.image).toBe('berth/busybox');
    expect(stack.services.s0!.environment.DEEP).toBe('yes');
  });

  test('an extends loop of 5,000 is reported once, shortened', HEAVY, () => {
    const n = 5000;
    const body = Array.from(
      { length: n },
      (_, i) => `  s${i}:\n    image: x\n    extends: s${(i + 1) % n}\n`,
    ).join('');
    const e = failure(() => load({ 'compose.yaml': `services:\n${body}` }));
    expect(e.message).toMatch(/^`services\.s0\.extends`: `extends` loops: s0 → s1 → /);
  });

  test(
    '1,000 files each extending a service of the next, and 1,000 files each including the next',
    HEAVY,
    () => {
      const n = 1000;
      const name = (i: number) => (i === 0 ? 'compose.yaml' : `f${i}.yaml`);
      const ext: Record<string, string> = {};
      const inc: Record<string, string> = {};
      for (let i = 0; i < n; i++) {
        ext[name(i)] =
          i < n - 1
            ? `services:\n  s:\n    extends: {file: f${i + 1}.yaml, service: s}\n`
            : 'services:\n  s:\n    image: berth/busybox\n    env_file: ./last.env\n';
        inc[name(i)] =
          `${i < n - 1 ? `include: [f${i + 1}.yaml]\n` : ''}services:\n  s${i}:\n    image: berth/busybox\n`;
      }
      const extDir = stackDir({ ...ext, 'last.env': 'FROM_LAST=1\n' });
      const s1 = loadStack({ files: [], cwd: extDir, profiles: [], envFiles: [], env: {} });
      expect(s1.services.s!.environment.FROM_LAST).toBe('1');
      const s2 = load(inc);
      expect(Object.keys(s2.services)).toHaveLength(n);
    },
  );
});

test('2,000 services with ports, env, healthchecks and a dependency each: loads', HEAVY, () => {
  const body = Array.from(
    { length: 2000 },
    (_, i) =>
      `  s${i}:\n    image: berth/busybox\n    ports: ["${10000 + i}:80"]\n    environment: {A: "1", B: "\${B:-2}"}\n    healthcheck: {test: ["CMD", "true"], interval: 5s}\n${i > 0 ? `    depends_on: {s${i - 1}: {condition: service_healthy}}\n` : ''}`,
  ).join('');
  const stack = load({ 'compose.yaml': `services:\n${body}` });
  expect(Object.keys(stack.services)).toHaveLength(2000);
});

test('a stack directory with 100 clients files and a big .env still loads', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Compose variable, not a template
  const dir = stackDir({ 'compose.yaml': 'services:\n  a:\n    image: "${IMG}"\n' });
  writeFileSync(
    path.join(dir, '.env'),
    `${Array.from({ length: 50_000 }, (_, i) => `V${i}=${i}`).join('\n')}\nIMG=berth/busybox\n`,
  );
  mkdirSync(path.join(dir, 'clients'));
  for (let i = 0; i < 100; i++) writeFileSync(path.join(dir, 'clients', `c${i}.env`), `X=${i}\n`);
  const stack = loadStack({ files: [], cwd: dir, profiles: [], envFiles: [], env: {}, client: 'c42' });
  expect(stack.services.a!.image).toBe('berth/busybox');
});
