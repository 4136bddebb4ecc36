import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BerthError } from '../../src/errors.js';
import { resolveClient } from '../../src/stacks/active.js';
import {
  checkClientName,
  readActiveClient,
  readState,
  statePath,
  writeActiveClient,
} from '../../src/stacks/state.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-state-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('state file', () => {
  test('no state file means no active client', async () => {
    expect(await readActiveClient(dir)).toBeUndefined();
    expect(await readState(dir)).toEqual({});
  });

  test('writeActiveClient records the client in .berth/state.json, with a .gitignore beside it', async () => {
    await writeActiveClient(dir, 'acme');
    expect(await readActiveClient(dir)).toBe('acme');
    expect(JSON.parse(await readFile(statePath(dir), 'utf8'))).toEqual({ activeClient: 'acme' });
    expect(await readFile(join(dir, '.berth', '.gitignore'), 'utf8')).toBe('*\n');
    await writeActiveClient(dir, 'globex');
    expect(await readActiveClient(dir)).toBe('globex');
    await writeActiveClient(dir, undefined);
    expect(await readActiveClient(dir)).toBeUndefined();
  });

  test('a corrupt state file is a clear bad-input error naming the file', async () => {
    await writeActiveClient(dir, 'acme');
    await writeFile(statePath(dir), '{not json');
    const err = await readState(dir).catch((e) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(statePath(dir));
  });

  test('a hand-edited state with an invalid client name is ignored rather than used in engine names', async () => {
    await writeActiveClient(dir, 'acme');
    await writeFile(statePath(dir), JSON.stringify({ activeClient: 'Bad Name' }));
    expect(await readActiveClient(dir)).toBeUndefined();
  });

  test('invalid client names are refused before anything is written', async () => {
    await expect(writeActiveClient(dir, '../etc')).rejects.toThrow(/invalid client name/);
    expect(await readState(dir)).toEqual({});
    expect(() => checkClientName('Acme')).toThrow(BerthError);
    expect(checkClientName('client-2_b')).toBe('client-2_b');
  });
});

describe('resolveClient (the one rule every verb uses)', () => {
  const g = (o: { client?: string; projectName?: string } = {}) => ({
    file: [join(dir, 'berth.yaml')],
    ...o,
  });

  test('an explicit choice, then --client, then BERTH_CLIENT, then the active client', async () => {
    await writeActiveClient(dir, 'acme');
    expect(resolveClient('initech', g({ client: 'globex' }), dir, { BERTH_CLIENT: 'x' })).toBe('initech');
    expect(resolveClient('', g({ client: 'globex' }), dir, {})).toBe('');
    expect(resolveClient(undefined, g({ client: 'globex' }), dir, { BERTH_CLIENT: 'initech' })).toBe(
      'globex',
    );
    expect(resolveClient(undefined, g(), dir, { BERTH_CLIENT: 'initech' })).toBe('initech');
    expect(resolveClient(undefined, g(), dir, {})).toBe('acme');
    expect(resolveClient(undefined, g(), dir, { BERTH_CLIENT: '' })).toBe('acme');
  });

  test('-p means exactly that project: the active client is not applied', async () => {
    await writeActiveClient(dir, 'acme');
    expect(resolveClient(undefined, g({ projectName: 'shop' }), dir, {})).toBeUndefined();
  });

  test('no client anywhere means the base stack', () => {
    expect(resolveClient(undefined, g(), dir, {})).toBeUndefined();
  });
});
