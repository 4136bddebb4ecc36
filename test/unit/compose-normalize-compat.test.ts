// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings under test are Compose interpolation syntax
// Normalization where berth used to differ from Compose: deploy.restart_policy, network_mode with networks,
// env_file `format: raw`, env files of services a verb does not run, and finding the stack in a parent.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadStack } from '../../src/compose/index.js';
import { activeClientFor } from '../../src/stacks/active.js';
import { writeActiveClient } from '../../src/stacks/state.js';
import { load, loadError, stackDir } from './compose-helpers.js';

describe('deploy.restart_policy is applied to the container (docker/compose getRestartPolicy)', () => {
  const restart = (policy: string, extra = '') =>
    load({
      'compose.yaml': `services:\n  web:\n    image: x\n${extra}    deploy:\n      restart_policy: ${policy}\n`,
    }).services.web!.restart;
  test.each([
    ['{condition: none}', 'no'],
    ['{condition: any}', 'always'],
    ['{condition: on-failure}', 'on-failure'],
    ['{condition: on-failure, max_attempts: 3}', 'on-failure:3'],
    ['{max_attempts: 3}', 'no'],
  ])('%s → %s', (policy, want) => {
    expect(restart(policy)).toBe(want);
  });
  test('it wins over `restart`, and is no longer warned about as swarm-only', () => {
    expect(restart('{condition: on-failure}', '    restart: always\n')).toBe('on-failure');
    const s = load({
      'compose.yaml':
        'services:\n  web:\n    image: x\n    deploy:\n      restart_policy: {condition: any}\n',
    });
    expect(s.warnings).toEqual([]);
  });
  test('an unknown condition is an error at its line', () => {
    expect(
      loadError({
        'compose.yaml':
          'services:\n  web:\n    image: x\n    deploy:\n      restart_policy:\n        condition: sometimes\n',
      }),
    ).toMatch(/^compose.yaml:6:20: .*unknown restart condition "sometimes"/);
  });
});

describe('network_mode with networks', () => {
  test('is an error at the networks line, as Compose rejects it', () => {
    expect(
      loadError({
        'compose.yaml':
          'services:\n  web:\n    image: x\n    network_mode: host\n    networks:\n      - default\n',
      }),
    ).toMatch(/^compose.yaml:6:7: .*`network_mode` and `networks` cannot be used together/);
  });
  test('an empty networks list is fine', () => {
    const s = load({
      'compose.yaml': 'services:\n  web:\n    image: x\n    network_mode: host\n    networks: []\n',
    });
    expect(s.services.web!.networks).toEqual({});
  });
});

describe('env_file format: raw (docker run --env-file)', () => {
  test('values are taken literally: quotes, $, #, backslashes', () => {
    const s = load(
      {
        'compose.yaml':
          'services:\n  web:\n    image: x\n    env_file:\n      - path: raw.env\n        format: raw\n      - path: plain.env\n',
        'raw.env': [
          '# a comment',
          '',
          'QUOTED="a b"',
          "SINGLE='x'",
          'DOLLAR=$HOME ${X:-y}',
          'HASH=a # not a comment',
          'ESC=a\\nb',
          '  INDENTED=yes',
          'FROM_SHELL',
          '',
        ].join('\n'),
        'plain.env': 'PLAIN="a b"\n',
      },
      { env: { FROM_SHELL: 'shell', HOME: '/home/u' } },
    );
    expect(s.services.web!.environment).toEqual({
      QUOTED: '"a b"',
      SINGLE: "'x'",
      DOLLAR: '$HOME ${X:-y}',
      HASH: 'a # not a comment',
      ESC: 'a\\nb',
      INDENTED: 'yes',
      FROM_SHELL: 'shell',
      PLAIN: 'a b',
    });
  });
  test('a raw line with a space in its name is an error in the env file', () => {
    expect(
      loadError({
        'compose.yaml':
          'services:\n  web:\n    image: x\n    env_file:\n      - {path: raw.env, format: raw}\n',
        'raw.env': 'OK=1\nBAD NAME=2\n',
      }),
    ).toMatch(/^compose.yaml:5:9: .*"BAD NAME" has spaces/);
  });
});

describe('env files are read only for the services a verb runs', () => {
  const files = {
    'compose.yaml': [
      'services:',
      '  web:',
      '    image: x',
      '    depends_on: [db]',
      '    env_file: web.env',
      '  db:',
      '    image: y',
      '    env_file: db.env',
      '  tool:',
      '    image: z',
      '    env_file: missing.env',
      '',
    ].join('\n'),
    'web.env': 'W=1\n',
    'db.env': 'D=1\n',
  };
  test('`up web` loads although tool has a missing env file; web and its dependency get theirs', () => {
    const s = load(files, { services: ['web'] });
    expect(s.services.web!.environment).toEqual({ W: '1' });
    expect(s.services.db!.environment).toEqual({ D: '1' });
    expect(s.services.tool!.environment).toEqual({});
  });
  test('a plain load (or `up tool`) still reports the missing file at its line', () => {
    expect(loadError(files)).toMatch(/^compose.yaml:11:15: .*env file missing.env not found/);
    expect(loadError(files, { services: ['tool'] })).toMatch(/env file missing.env not found/);
  });
});

describe('the stack file and its .env are found in a parent directory (Compose v2)', () => {
  const files = {
    'compose.yaml': 'services:\n  web:\n    image: "x:${TAG}"\n    build: ./app\n',
    'compose.override.yml': 'services:\n  web:\n    environment: {O: "1"}\n',
    '.env': 'TAG=fromdotenv\n',
  };
  test('from a subdirectory, with the override file and the .env of the stack directory', () => {
    const dir = stackDir(files);
    const sub = path.join(dir, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const s = loadStack({ files: [], cwd: sub, profiles: [], envFiles: [], env: {} });
    expect(s.name).toBe('proj');
    expect(s.workingDir).toBe(dir);
    expect(s.services.web!.image).toBe('x:fromdotenv');
    expect(s.services.web!.environment).toEqual({ O: '1' });
    expect(s.services.web!.build!.context).toBe(path.join(dir, 'app'));
    expect(s.files.map((f) => path.relative(dir, f))).toEqual(['compose.yaml', 'compose.override.yml']);
  });
  test('the nearest directory wins; the active client is read where the stack file is', async () => {
    const dir = stackDir({ ...files, 'clients/acme.env': 'X=1\n' });
    const inner = path.join(dir, 'inner');
    mkdirSync(path.join(inner, 'sub'), { recursive: true });
    const s = loadStack({ files: [], cwd: path.join(inner, 'sub'), profiles: [], envFiles: [], env: {} });
    expect(s.workingDir).toBe(dir);
    await writeActiveClient(dir, 'acme');
    expect(activeClientFor({ file: [] }, path.join(inner, 'sub'), {})).toBe('acme');
  });
});
