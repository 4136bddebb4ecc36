// YAML as Compose reads it: `!reset` on any key, merge keys that point at a list of maps, and files of several
// documents merged one after the other (compose-go's loader: one layer per document).
import { describe, expect, test } from 'vitest';
import { parseSource } from '../../src/compose/source.js';
import { load, loadError } from './compose-helpers.js';

describe('!reset works on keys that may not be null', () => {
  const base = [
    'services:',
    '  web:',
    '    image: x',
    '    build: ./app',
    '    ports: ["8080:80"]',
    '    volumes: ["./data:/data"]',
    '    environment: {A: "1"}',
    '    healthcheck: {test: ["CMD", "true"], interval: 5s}',
    '    deploy: {replicas: 2}',
    '    command: ["run"]',
    '',
  ].join('\n');
  test.each([['!reset'], ['!reset null']])('key: %s', (tag) => {
    const over = ['build', 'ports', 'volumes', 'environment', 'healthcheck', 'deploy', 'command']
      .map((k) => `    ${k}: ${tag}`)
      .join('\n');
    const s = load(
      { 'compose.yaml': base, 'over.yaml': `services:\n  web:\n${over}\n` },
      { files: ['compose.yaml', 'over.yaml'] },
    ).services.web!;
    expect(s.build).toBeUndefined();
    expect(s.ports).toEqual([]);
    expect(s.volumes).toEqual([]);
    expect(s.environment).toEqual({});
    expect(s.healthcheck).toBeUndefined();
    expect(s.replicas).toBe(1);
    expect(s.command).toBeUndefined();
  });
  test('in the only file, a reset key is simply absent', () => {
    const s = load({ 'compose.yaml': 'services:\n  web:\n    image: x\n    build: !reset null\n' });
    expect(s.services.web!.build).toBeUndefined();
  });
  test('a wrong value without !reset is still an error', () => {
    expect(loadError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    ports: null\n' })).toMatch(
      /^compose.yaml:4:12: .*ports/,
    );
  });
});

describe('merge keys (<<)', () => {
  const anchors = [
    'x-a: &a',
    '  image: a',
    '  environment: {FROM: a}',
    'x-b: &b',
    '  restart: always',
    '  environment: {FROM: b}',
    'x-both: &both',
    '  - *a',
    '  - *b',
    '',
  ].join('\n');
  test('a list of aliases, and an alias to a list of maps', () => {
    const s = load({
      'compose.yaml': `${anchors}services:\n  s:\n    <<: [*a, *b]\n  t:\n    <<: *both\n    image: t\n`,
    });
    for (const name of ['s', 't']) expect(s.services[name]!.restart).toBe('always');
    // earlier maps win over later ones; the map's own keys win over all
    expect(s.services.s!.image).toBe('a');
    expect(s.services.s!.environment).toEqual({ FROM: 'a' });
    expect(s.services.t!.image).toBe('t');
  });
});

describe('several documents in one file', () => {
  test('are merged in order, as several files would be', () => {
    const s = load({
      'compose.yaml': [
        'services:',
        '  web:',
        '    image: x',
        '    environment: {A: "1"}',
        '---',
        'services:',
        '  web:',
        '    environment: {B: "2"}',
        '  db:',
        '    image: postgres',
        '---',
        '',
      ].join('\n'),
    });
    expect(Object.keys(s.services)).toEqual(['web', 'db']);
    expect(s.services.web!.environment).toEqual({ A: '1', B: '2' });
    expect(s.files.map((f) => f.replace(/.*\//, ''))).toEqual(['compose.yaml']);
  });
  test('!reset in a later document removes what an earlier one set', () => {
    const s = load({
      'compose.yaml':
        'services:\n  web:\n    image: x\n    ports: ["80:80"]\n---\nservices:\n  web:\n    ports: !reset []\n',
    });
    expect(s.services.web!.ports).toEqual([]);
  });
  test('an error in a later document points at its line', () => {
    expect(
      loadError({
        'compose.yaml': 'services:\n  web:\n    image: x\n---\nservices:\n  db:\n    imgae: y\n',
      }),
    ).toMatch(/^compose.yaml:7:5: .*unknown key `imgae`/);
  });
  test('each document keeps its own positions and tags', () => {
    const d = parseSource('/x/c.yaml', 'c.yaml', 'a: 1\n---\nb: !reset 2\n');
    expect(d.value).toEqual({ a: 1 });
    expect(d.more).toHaveLength(1);
    expect(d.more![0]!.value).toEqual({ b: null });
    expect([...d.more![0]!.reset]).toEqual(['b']);
    expect(d.more![0]!.where.get('b')?.key).toEqual([3, 1]);
  });
});
