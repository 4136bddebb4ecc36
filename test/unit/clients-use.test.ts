import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { activeClientFor } from '../../src/stacks/active.js';
import { writeActiveClient } from '../../src/stacks/state.js';
import { clientOverview, formatClientOverview } from '../../src/stacks/use.js';

const root = mkdtempSync(path.join(tmpdir(), 'berth-clients-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('activeClientFor (the fallback after --client and BERTH_CLIENT)', () => {
  const stackDir = path.join(root, 'shop');
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(path.join(stackDir, 'berth.yaml'), 'services: {}\n');

  test('reads the state next to the default stack file of the current directory', async () => {
    expect(activeClientFor({ file: [] }, stackDir, {})).toBeUndefined();
    await writeActiveClient(stackDir, 'acme');
    expect(activeClientFor({ file: [] }, stackDir, {})).toBe('acme');
  });

  test('follows -f, COMPOSE_FILE and --project-directory to the stack folder', () => {
    expect(activeClientFor({ file: ['shop/berth.yaml'] }, root, {})).toBe('acme');
    expect(activeClientFor({ file: [] }, root, { COMPOSE_FILE: 'shop/berth.yaml' })).toBe('acme');
    expect(activeClientFor({ file: [], projectDirectory: 'shop' }, root, {})).toBe('acme');
    expect(activeClientFor({ file: [] }, root, {})).toBeUndefined();
  });

  test('an explicit -p means exactly that project: no active client is added', () => {
    expect(activeClientFor({ file: [], projectName: 'other' }, stackDir, {})).toBeUndefined();
  });
});

describe('berth use without a name', () => {
  const containers = [
    { project: 'shop-acme', state: 'running', oneoff: false, stack: 'shop' },
    { project: 'shop-acme', state: 'running', oneoff: false, stack: 'shop' },
    { project: 'shop-acme', state: 'exited', oneoff: true, stack: 'shop' },
    { project: 'shop-globex', state: 'exited', oneoff: false, stack: 'shop' },
    { project: 'shop-globex', state: 'running', oneoff: false, stack: 'shop' },
    { project: 'shop-initech', state: 'exited', oneoff: false, stack: 'shop' },
    // same project name from another stack is not counted
    { project: 'shop-umbrella', state: 'running', oneoff: false, stack: 'other' },
  ];
  const rows = clientOverview(
    ['globex', 'acme', 'initech', 'umbrella'],
    { name: 'shop' },
    (c) => `shop-${c}`,
    'acme',
    containers,
  );

  test('every known client with the state of its containers, the active one marked', () => {
    expect(rows.map((r) => [r.name, r.state, r.running, r.total, r.active])).toEqual([
      ['acme', 'running', 2, 2, true],
      ['globex', 'partial', 1, 2, false],
      ['initech', 'stopped', 0, 1, false],
      ['umbrella', 'none', 0, 0, false],
    ]);
  });

  test('prints the active client, then one aligned line per client', () => {
    expect(formatClientOverview('shop', rows)).toBe(
      [
        'active client of shop: acme',
        '* acme       running 2/2   shop-acme',
        '  globex     partial 1/2   shop-globex',
        '  initech    stopped 0/1   shop-initech',
        '  umbrella   -             shop-umbrella',
      ].join('\n'),
    );
  });

  test('says so when there is no active client, or no clients at all', () => {
    expect(
      formatClientOverview(
        'shop',
        clientOverview([], { name: 'shop' }, (c) => c, undefined, []),
      ),
    ).toMatch(/no active client for shop[\s\S]*no clients defined: add clients\/NAME\.yaml/);
  });
});
