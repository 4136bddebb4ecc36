// Memos (src/memo): the key, the journal's stamps, the store, and the engine facts a no-op `up` answer rests on,
// computed on the fake engine through the same ops/up a real call runs.
import { chmodSync, mkdtempSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cacheInfo, clearCache } from '../../src/compose/parse-cache.js';
import { toImage, toNetwork, toObservedContainer, toVolume } from '../../src/engine/listed.js';
import {
  isRecent,
  journalEntries,
  noteInput,
  stampOf,
  startJournal,
  stopJournal,
} from '../../src/inputs/journal.js';
import { lookFacts } from '../../src/memo/facts.js';
import { hash128 } from '../../src/memo/hash.js';
import { type CallContext, memoKey, terminalOf } from '../../src/memo/key.js';
import { readMemo, writeMemo } from '../../src/memo/store.js';
import { splitLook } from '../../src/ops/look.js';
import { lookAtEngine } from '../../src/ops/owners.js';
import { up } from '../../src/ops/up.js';
import { fakeEngines, on, svc } from '../support/executor-harness.js';
import { stack } from './stack-factory.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'berth-memo-'));

describe('the key', () => {
  const base: CallContext = {
    args: ['-f', 'compose.yaml', 'config', '-q'],
    cwd: '/work/a',
    env: { HOME: '/root', PORT: '8080' },
    build: 'b1',
    uid: 0,
    terminal: '---',
  };
  test('is the same for the same call, and moves with each thing a call gets from outside', () => {
    expect(memoKey(base)).toBe(memoKey({ ...base, env: { PORT: '8080', HOME: '/root' } }));
    const others = [
      { ...base, args: ['-f', 'compose.yaml', 'config'] },
      { ...base, cwd: '/work/b' },
      { ...base, env: { ...base.env, PORT: '8081' } },
      { ...base, env: { HOME: '/root' } },
      { ...base, env: { ...base.env, DOCKER_HOST: 'unix:///run/other.sock' } },
      { ...base, build: 'b2' },
      { ...base, uid: 1000 },
      { ...base, terminal: '-t-' },
    ];
    const keys = new Set([memoKey(base), ...others.map(memoKey)]);
    expect(keys.size).toBe(others.length + 1);
  });

  test('ignores what a shell changes between two calls by itself', () => {
    expect(memoKey({ ...base, env: { ...base.env, _: '/usr/bin/node', OLDPWD: '/tmp' } })).toBe(
      memoKey(base),
    );
  });

  test('says which descriptors are terminals', () => {
    expect(terminalOf((fd) => fd === 1)).toBe('-t-');
    expect(terminalOf(() => false)).toBe('---');
  });

  test('hash128 is 32 hex digits and tells near texts apart', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(hash128(`{"PORT":"${i}"}`));
    expect(seen.size).toBe(5000);
    expect(hash128('')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('the journal', () => {
  afterEach(stopJournal);

  test('notes nothing unless started, and each path once, with the stamp it had before the read', () => {
    const dir = scratch();
    const f = path.join(dir, 'compose.yaml');
    writeFileSync(f, 'services: {}\n');
    noteInput(f);
    expect(journalEntries()).toBeUndefined();
    startJournal();
    noteInput(f);
    const first = journalEntries()!.get(f);
    writeFileSync(f, 'services: {a: {image: x}}\n');
    noteInput(f);
    expect(journalEntries()!.get(f)).toBe(first);
    expect(stampOf(f)).not.toBe(first);
  });

  test('a stamp moves with an edit of the same size, a rename over the file, a chmod; a missing file is -', () => {
    const dir = scratch();
    const f = path.join(dir, '.env');
    expect(stampOf(f)).toBe('-');
    writeFileSync(f, 'A=1\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(f, old, old);
    const s1 = stampOf(f);
    writeFileSync(f, 'A=2\n');
    utimesSync(f, old, old);
    const s2 = stampOf(f); // same size, same mtime: the change time still moved
    expect(s2).not.toBe(s1);
    const g = path.join(dir, 'other');
    writeFileSync(g, 'A=2\n');
    utimesSync(g, old, old);
    renameSync(g, f);
    const s3 = stampOf(f);
    expect(s3).not.toBe(s2);
    chmodSync(f, 0o600);
    expect(stampOf(f)).not.toBe(s3);
  });

  test('a file changed within two seconds of now is too recent to trust', () => {
    const dir = scratch();
    const f = path.join(dir, 'x');
    writeFileSync(f, '1');
    expect(isRecent(stampOf(f), Date.now())).toBe(true);
    expect(isRecent(stampOf(f), Date.now() + 5000)).toBe(false);
    expect(isRecent('-', Date.now())).toBe(false);
  });
});

describe('the store', () => {
  const before = process.env.BERTH_CACHE_DIR;
  beforeEach(() => {
    process.env.BERTH_CACHE_DIR = scratch();
  });
  afterEach(() => {
    if (before === undefined) delete process.env.BERTH_CACHE_DIR;
    else process.env.BERTH_CACHE_DIR = before;
  });

  test('gives back what was written, facts included, and nothing for another key or with the cache off', () => {
    const engine = {
      socket: '/var/run/docker.sock',
      project: 'p',
      claimed: [['network', 'p_default']] as Array<['network', string]>,
      refs: ['busybox'],
      facts: '{"containers":[{"id":"a\\nb"}]}\nsecond line',
    };
    writeMemo('0'.repeat(32), { inputs: [['/x', '-']], out: [[1, 'hello\n']], engine });
    const m = readMemo('0'.repeat(32));
    expect(m?.out).toEqual([[1, 'hello\n']]);
    expect(m?.inputs).toEqual([['/x', '-']]);
    expect(m?.engine).toEqual(engine);
    expect(readMemo('1'.repeat(32))).toBeUndefined();
    expect(cacheInfo().memos).toBe(1);
    process.env.BERTH_NO_CACHE = '1';
    try {
      expect(readMemo('0'.repeat(32))).toBeUndefined();
    } finally {
      delete process.env.BERTH_NO_CACHE;
    }
    // `berth cache clear` takes memos with the parsed files
    expect(clearCache().files).toBe(1);
    expect(readMemo('0'.repeat(32))).toBeUndefined();
  });
});

describe('the engine facts of a no-op up', () => {
  const fake = fakeEngines();
  const demo = () => stack([svc('db'), svc('app', { db: on('service_started') }, { replicas: 2 })]);

  async function noop() {
    const f = fake();
    f.addImage('berth/busybox:latest');
    const s = demo();
    await up({ engine: f }, s);
    return { f, s };
  }
  const factsOf = async (f: ReturnType<typeof fake>, s: ReturnType<typeof demo>) => {
    const out = await up({ engine: f }, s);
    expect(out.plan.actions).toEqual([]);
    const seen = out.seen!;
    return lookFacts(
      seen.look,
      seen.claimed.map((o) => [o.kind, o.name] as const),
      [...seen.images],
    );
  };

  test('a no-op up says what it saw; looking again gives the same facts', async () => {
    const { f, s } = await noop();
    const a = await factsOf(f, s);
    expect(a).toContain('"demo-app-2"');
    expect(await factsOf(f, s)).toBe(a);
  });

  test('an up that had work to do offers nothing to memoize', async () => {
    const f = fake();
    f.addImage('berth/busybox:latest');
    const out = await up({ engine: f }, demo());
    expect(out.plan.actions.length).toBeGreaterThan(0);
    expect(out.seen).toBeUndefined();
  });

  test('a stopped container and a retagged image are other facts', async () => {
    const { f, s } = await noop();
    const a = await factsOf(f, s);
    const seen = (await up({ engine: f }, s)).seen!;
    const claimed = seen.claimed.map((o) => [o.kind, o.name] as const);
    const now = async () =>
      lookFacts(await lookAtEngine(f, s.project), claimed, [
        ['berth/busybox:latest', await f.inspectImage('berth/busybox:latest')],
      ]);
    expect(await now()).toBe(a);

    const app1 = f.list().find((c) => c.service === 'app')!;
    await f.stopContainer(app1.id);
    expect(await now()).not.toBe(a);
    // and up, seeing work to do, offers nothing
    expect((await up({ engine: f }, s)).seen).toBeUndefined();
    expect(await now()).toBe(await factsOf(f, s));

    const before = await now();
    f.addImage('berth/busybox:latest', { id: 'sha256:new' });
    expect(await now()).not.toBe(before);
  });

  test('status text is not a fact (it moves by itself), health is; objects of other projects are not', () => {
    const c = (over: Record<string, unknown>) =>
      toObservedContainer({
        Id: 'c1',
        Names: ['/p-app-1'],
        Image: 'busybox',
        ImageID: 'sha256:1',
        Command: 'sleep',
        Created: 1,
        State: 'running',
        Status: 'Up 2 minutes',
        Ports: [],
        Labels: { 'dev.berth.project': 'p', 'dev.berth.service': 'app' },
        NetworkSettings: { Networks: { p_default: {} } },
        ...over,
      } as never);
    const other = toObservedContainer({
      Id: 'o1',
      Names: ['/q-web-1'],
      State: 'running',
      Status: 'Up',
      Labels: { 'dev.berth.project': 'q' },
    } as never);
    const net = toNetwork({ Id: 'n1', Name: 'p_default', Labels: { 'dev.berth.project': 'p' } });
    const vol = toVolume({ Name: 'p_data', Labels: { 'dev.berth.project': 'p' }, Mountpoint: '/m' });
    const img = toImage({ Id: 'sha256:1', RepoTags: ['busybox:latest'] });
    const facts = (cs: ReturnType<typeof c>[], claimed: Array<['container', string]> = []) =>
      lookFacts(splitLook('p', cs, [net], [vol]), claimed, [['busybox', img]]);
    const base = facts([c({})]);
    expect(facts([c({ Status: 'Up 3 hours' })])).toBe(base);
    expect(facts([c({ Status: 'Up 3 hours (healthy)' })])).not.toBe(base);
    expect(facts([c({ State: 'exited', Status: 'Exited (0) 1 second ago' })])).not.toBe(base);
    expect(facts([c({}), other])).toBe(base);
    // unless it holds a name this up would create
    expect(facts([c({}), other], [['container', 'q-web-1']])).not.toBe(
      facts([c({})], [['container', 'q-web-1']]),
    );
  });
});
