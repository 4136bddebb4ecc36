// Merging files as compose-go's override package does (override/merge.go, uncity.go and their tests):
// strings over lists append, a new logging driver starts afresh, extra_hosts keeps every address, one
// mount per container path, an exact duplicate port is one port.
import { describe, expect, test } from 'vitest';
import { enforceUnicity, mergeStacks, oneMountPerTarget } from '../../src/compose/merge.js';
import { load } from './compose-helpers.js';

const two = (base: string, over: string) => ({
  'compose.yaml': `services:\n  web:\n    image: x\n${base}`,
  'compose.override.yaml': `services:\n  web:\n${over}`,
});
const web = (files: Record<string, string>) => load(files).services.web!;

describe('a string merged with a list appends (mergeToSequence)', () => {
  test('env_file: a.env over [b.env] reads both, the override last', () => {
    const s = web({
      ...two('    env_file: [b.env]\n', '    env_file: a.env\n'),
      'a.env': 'A=from-a\nBOTH=a\n',
      'b.env': 'B=from-b\nBOTH=b\n',
    });
    expect(s.environment).toEqual({ A: 'from-a', B: 'from-b', BOTH: 'a' });
  });
  test('a list over a string, and the same file twice is read once, in its first place', () => {
    const s = web({
      ...two('    env_file: b.env\n', '    env_file: [a.env, b.env]\n'),
      'a.env': 'X=a\n',
      'b.env': 'X=b\n',
    });
    // [b.env] + [a.env, b.env] → b.env, a.env: a.env is read last
    expect(s.environment.X).toBe('a');
  });
  test('dns, dns_search and tmpfs', () => {
    const s = web(
      two(
        '    dns: [1.1.1.1]\n    dns_search: [a.example]\n    tmpfs: [/run]\n',
        '    dns: 8.8.8.8\n    dns_search: b.example\n    tmpfs: /tmp\n',
      ),
    );
    expect(s.dns).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(s.dns_search).toEqual(['a.example', 'b.example']);
    expect(s.tmpfs).toEqual(['/run', '/tmp']);
    const back = web(two('    dns: 8.8.8.8\n', '    dns: [1.1.1.1, 8.8.8.8]\n'));
    expect(back.dns).toEqual(['8.8.8.8', '1.1.1.1']);
  });
});

describe('logging (mergeLogging)', () => {
  test('a different driver drops the old driver options', () => {
    const s = web(
      two(
        '    logging:\n      driver: json-file\n      options: {max-size: 10m}\n',
        '    logging:\n      driver: syslog\n      options: {tag: web}\n',
      ),
    );
    expect(s.logging).toEqual({ driver: 'syslog', options: { tag: 'web' } });
  });
  test('the same driver, or none named, merges the options', () => {
    const same = web(
      two(
        '    logging:\n      driver: json-file\n      options: {max-size: 10m}\n',
        '    logging:\n      driver: json-file\n      options: {max-file: "3"}\n',
      ),
    );
    expect(same.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
    const none = web(
      two(
        '    logging:\n      driver: json-file\n      options: {max-size: 10m}\n',
        '    logging:\n      options: {max-file: "3"}\n',
      ),
    );
    expect(none.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
  });
});

describe('extra_hosts keeps every address (mergeExtraHosts)', () => {
  test('two addresses for one host survive a merge; an exact repeat does not double', () => {
    const s = web(
      two(
        '    extra_hosts: ["db:10.0.0.1", "cache:10.0.0.3"]\n',
        '    extra_hosts: ["db:10.0.0.2", "cache:10.0.0.3"]\n',
      ),
    );
    expect(s.extra_hosts).toEqual(['db:10.0.0.1', 'cache:10.0.0.3', 'db:10.0.0.2']);
  });
  test('the map form, with one address or several', () => {
    const s = web(
      two('    extra_hosts:\n      db: 10.0.0.1\n', '    extra_hosts:\n      db: [10.0.0.2, "::1"]\n'),
    );
    expect(s.extra_hosts).toEqual(['db:10.0.0.1', 'db:10.0.0.2', 'db:::1']);
  });
});

describe('one mount per container path', () => {
  test('an override volume at the same path replaces the base one, in place', () => {
    const s = web(two('    volumes: ["./a:/data", "./logs:/logs"]\n', '    volumes: ["./b:/data:ro"]\n'));
    expect(s.volumes.map((m) => [m.source?.replace(/.*\//, ''), m.target, m.read_only])).toEqual([
      ['b', '/data', true],
      ['logs', '/logs', false],
    ]);
  });
  test('inside one file, the last volume at a path wins (EnforceUnicity)', () => {
    const s = web({
      'compose.yaml': 'services:\n  web:\n    image: x\n    volumes: ["./a:/data", "./b:/data"]\n',
    });
    expect(s.volumes).toHaveLength(1);
    expect(s.volumes[0]!.source).toMatch(/\/b$/);
  });
  test('a secret where a volume already is is not mounted (the volume stays, as Compose)', () => {
    const s = web({
      'compose.yaml': [
        'services:',
        '  web:',
        '    image: x',
        '    volumes: ["./mine:/run/secrets/token"]',
        '    secrets: [token, other]',
        'secrets:',
        '  token: {file: ./token.txt}',
        '  other: {file: ./other.txt}',
        '',
      ].join('\n'),
    });
    const byTarget = Object.fromEntries(s.volumes.map((m) => [m.target, m.source?.replace(/.*\//, '')]));
    expect(byTarget).toEqual({ '/run/secrets/token': 'mine', '/run/secrets/other': 'other.txt' });
  });
  test('a secret named by source and by target path is one mount', () => {
    const s = web({
      ...two(
        '    secrets: [token]\n',
        '    secrets:\n      - source: token\n        target: /run/secrets/token\n',
      ),
      'compose.yaml':
        'services:\n  web:\n    image: x\n    secrets: [token]\nsecrets:\n  token: {file: ./t.txt}\n',
    });
    expect(s.volumes.map((m) => m.target)).toEqual(['/run/secrets/token']);
  });
  test('oneMountPerTarget: volumes first, then secrets, then configs; last of a kind wins', () => {
    const m = (target: string, id: string) => ({ target, id });
    expect(
      oneMountPerTarget(
        [m('/a', 'v1'), m('/b', 'v2'), m('/a', 'v3')],
        [m('/b', 's1'), m('/c', 's2'), m('/c', 's3')],
        [m('/c', 'c1'), m('/d', 'c2')],
      ),
    ).toEqual([m('/a', 'v3'), m('/b', 'v2'), m('/c', 's3'), m('/d', 'c2')]);
  });
});

describe('ports', () => {
  test('an exact duplicate port line is one port, not a conflict', () => {
    const s = web({
      'compose.yaml': 'services:\n  web:\n    image: x\n    ports: ["8080:80", "8080:80", "9000:9000/udp"]\n',
    });
    expect(s.ports.map((p) => `${p.published}:${p.target}/${p.protocol}`)).toEqual([
      '8080:80/tcp',
      '9000:9000/udp',
    ]);
  });
  test('the same line in a base and an override is one port', () => {
    const s = web(two('    ports: ["8080:80"]\n', '    ports: ["8080:80"]\n'));
    expect(s.ports).toHaveLength(1);
  });
});

describe('other rules', () => {
  test('build: a short form and a long form merge key by key', () => {
    const s = web(two('    build:\n      context: ./app\n      args: {A: "1"}\n', '    build: ./other\n'));
    expect(s.build!.context).toMatch(/\/other$/);
    expect(s.build!.args).toEqual({ A: '1' });
  });
  test('ulimits: an override of one limit replaces it whole', () => {
    const s = web(
      two('    ulimits:\n      nofile: {soft: 1024, hard: 2048}\n', '    ulimits:\n      nofile: 4096\n'),
    );
    expect(s.ulimits.nofile).toEqual({ soft: 4096, hard: 4096 });
  });
  test('environment list over map merges by name', () => {
    const s = web(two('    environment: {A: "1", B: "2"}\n', '    environment: ["B=3", "C=4"]\n'));
    expect(s.environment).toEqual({ A: '1', B: '3', C: '4' });
  });
  test('mergeStacks and enforceUnicity on plain models', () => {
    const merged = mergeStacks(
      { services: { a: { env_file: 'x.env', dns: ['1.1.1.1'] } } },
      { services: { a: { env_file: ['y.env', { path: 'x.env', required: false }], dns: '1.1.1.1' } } },
    );
    expect(enforceUnicity(merged)).toEqual({
      services: { a: { env_file: [{ path: 'x.env', required: false }, 'y.env'], dns: ['1.1.1.1'] } },
    });
  });
});
