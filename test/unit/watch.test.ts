// develop.watch: loading the rules, deciding what a batch of changed paths does (rule matching, ignore rules,
// .dockerignore, editors' scratch files, which action wins), debouncing with a clock driven by hand, and the
// sync tar.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { describe, expect, test } from 'vitest';
import { syncArchive } from '../../src/engine/sync-archive.js';
import type { Service } from '../../src/model/stack.js';
import { Batcher, type Clock } from '../../src/plan/watch-batch.js';
import { describeWork, planWatch, serviceMatcher } from '../../src/plan/watch.js';
import { load, loadError } from './compose-helpers.js';

const stackWith = (develop: string, extra = '') =>
  load({
    'compose.yaml': `services:
  app:
    image: berth/busybox
${extra}    develop:
${develop}`,
    Dockerfile: 'FROM berth/busybox\n',
  });

describe('loading develop.watch', () => {
  test('rules in long form, paths against the stack file’s folder', () => {
    const s = stackWith(
      `      watch:
        - path: ./src
          action: sync
          target: /app/src/
          ignore: [node_modules/]
          initial_sync: true
        - path: package.json
          action: rebuild
        - path: ./conf
          action: sync+exec
          target: /etc/app
          exec:
            command: kill -HUP 1
            user: root
            privileged: true
            working_dir: /etc
            environment: [MODE=reload]
        - path: ./restart-me
          action: restart
`,
      '    build: .\n',
    );
    const app = s.services.app!;
    const dir = s.workingDir;
    expect(app.watch!.map(({ pos: _p, frame: _f, ...r }) => r)).toEqual([
      {
        path: path.join(dir, 'src'),
        action: 'sync',
        target: '/app/src',
        ignore: ['node_modules/'],
        include: undefined,
        initial_sync: true,
        exec: undefined,
      },
      {
        path: path.join(dir, 'package.json'),
        action: 'rebuild',
        target: undefined,
        ignore: [],
        include: undefined,
        initial_sync: false,
        exec: undefined,
      },
      {
        path: path.join(dir, 'conf'),
        action: 'sync+exec',
        target: '/etc/app',
        ignore: [],
        include: undefined,
        initial_sync: false,
        exec: {
          command: ['kill', '-HUP', '1'],
          user: 'root',
          privileged: true,
          working_dir: '/etc',
          environment: { MODE: 'reload' },
        },
      },
      {
        path: path.join(dir, 'restart-me'),
        action: 'restart',
        target: undefined,
        ignore: [],
        include: undefined,
        initial_sync: false,
        exec: undefined,
      },
    ]);
    expect(app.watch![1]!.pos).toMatchObject({ file: 'compose.yaml', line: 12 });
    expect(s.warnings).toEqual([]);
  });

  test('a sync without target, a relative target, an unknown action, sync+exec without exec: file:line', () => {
    const bad = (develop: string) =>
      loadError({ 'compose.yaml': `services:\n  app:\n    image: x\n    develop:\n${develop}` });
    expect(bad('      watch:\n        - path: ./src\n          action: sync\n')).toMatch(
      /^compose.yaml:6:11: .*action `sync` needs a `target`/,
    );
    expect(
      bad('      watch:\n        - path: ./src\n          action: sync\n          target: app\n'),
    ).toMatch(/^compose.yaml:8:19: .*not an absolute container path/);
    expect(bad('      watch:\n        - path: ./src\n          action: copy\n')).toMatch(
      /^compose.yaml:7:19: .*sync, sync\+restart/,
    );
    expect(
      bad('      watch:\n        - path: ./src\n          action: sync+exec\n          target: /a\n'),
    ).toMatch(/^compose.yaml:6:11: .*needs `exec:`/);
    expect(bad('      watch:\n        - action: sync\n          target: /a\n')).toMatch(
      /^compose.yaml:6:11: .*path/,
    );
  });
});

const svc = (watch: Service['watch'], build?: Partial<NonNullable<Service['build']>>): Service =>
  ({
    name: 'app',
    watch,
    build: build ? { context: '/p', dockerfile: 'Dockerfile', args: {}, labels: {}, ...build } : undefined,
  }) as Service;
const rule = (r: Partial<NonNullable<Service['watch']>[number]>) => ({
  path: '/p/src',
  action: 'sync' as const,
  target: '/app',
  ignore: [],
  initial_sync: false,
  ...r,
});

describe('what a batch does', () => {
  test('a file under a sync rule lands under target; outside every rule nothing happens', () => {
    const s = svc([rule({})]);
    const m = serviceMatcher({ service: s });
    expect(planWatch(s, m, ['/p/src/a/b.js', '/p/other.js'])).toEqual({
      service: 'app',
      rebuild: false,
      syncs: [{ host: '/p/src/a/b.js', container: '/app/a/b.js' }],
      restart: false,
      execs: [],
      changed: ['/p/src/a/b.js'],
    });
    expect(planWatch(s, m, ['/p/other.js', '/p/srcx/a'])).toBeUndefined();
    // the rule's own path (a single watched file, or the folder itself)
    expect(planWatch(s, m, ['/p/src'])!.syncs).toEqual([{ host: '/p/src', container: '/app' }]);
  });

  test('ignore (relative to the rule’s path), include, editors’ scratch files and .git', () => {
    const s = svc([rule({ ignore: ['node_modules/', '*.log'], include: undefined })]);
    const m = serviceMatcher({ service: s });
    const counted = (p: string) => planWatch(s, m, [p]) !== undefined;
    expect(counted('/p/src/node_modules/x/index.js')).toBe(false);
    expect(counted('/p/src/debug.log')).toBe(false);
    expect(counted('/p/src/lib/debug.log')).toBe(true); // `*.log` is anchored at the rule's path, as Docker's
    expect(counted('/p/src/.main.js.swp')).toBe(false);
    expect(counted('/p/src/main.js~')).toBe(false);
    expect(counted('/p/src/4913')).toBe(false);
    expect(counted('/p/src/.git/index')).toBe(false);
    expect(counted('/p/src/main.js')).toBe(true);
    const only = svc([rule({ include: ['*.py', 'lib/**'] })]);
    const mi = serviceMatcher({ service: only });
    expect(planWatch(only, mi, ['/p/src/app.py', '/p/src/app.js', '/p/src/lib/x/y.txt'])!.changed).toEqual([
      '/p/src/app.py',
      '/p/src/lib/x/y.txt',
    ]);
  });

  test('the build context’s .dockerignore applies, but never to the Dockerfile', () => {
    const s = svc(
      [
        rule({ path: '/p', target: '/app' }),
        rule({ path: '/p/Dockerfile', action: 'rebuild', target: undefined }),
      ],
      {},
    );
    const m = serviceMatcher({ service: s, dockerignore: ['tmp', 'Dockerfile', '**/*.pyc'] });
    expect(planWatch(s, m, ['/p/tmp/x', '/p/a/b.pyc'])).toBeUndefined();
    expect(planWatch(s, m, ['/p/Dockerfile'])!.rebuild).toBe(true);
    expect(m.ignores(0, '/p/tmp')).toBe(true);
    expect(m.ignores(0, '/p/src')).toBe(false);
  });

  test('rebuild wins; otherwise sync, then restart, then each exec, each file copied once', () => {
    const exec = { command: ['reload'], privileged: false, environment: {} };
    const s = svc(
      [
        rule({ path: '/p/src', action: 'sync+restart' }),
        rule({ path: '/p/src/conf', action: 'sync+exec', target: '/etc/app', exec }),
        rule({ path: '/p/requirements.txt', action: 'rebuild', target: undefined }),
      ],
      {},
    );
    const m = serviceMatcher({ service: s });
    const w = planWatch(s, m, ['/p/src/conf/a.ini', '/p/src/conf/a.ini', '/p/src/x.py'])!;
    expect(w.rebuild).toBe(false);
    expect(w.restart).toBe(true);
    expect(w.execs).toEqual([exec]);
    expect(w.syncs).toEqual([
      { host: '/p/src/conf/a.ini', container: '/app/conf/a.ini' },
      { host: '/p/src/conf/a.ini', container: '/etc/app/a.ini' },
      { host: '/p/src/x.py', container: '/app/x.py' },
    ]);
    expect(describeWork(w)).toBe('Syncing service "app" after 2 changed files');
    const r = planWatch(s, m, ['/p/src/x.py', '/p/requirements.txt'])!;
    expect(r).toMatchObject({ rebuild: true, syncs: [], restart: false, execs: [] });
    expect(describeWork(r)).toBe('Rebuilding service "app" after 2 changed files');
    const only = svc([rule({ path: '/p/x', action: 'restart', target: undefined })]);
    const ro = planWatch(only, serviceMatcher({ service: only }), ['/p/x/1'])!;
    expect(ro).toMatchObject({ restart: true, syncs: [] });
    expect(describeWork(ro)).toBe('Restarting service "app" after 1 changed file');
  });
});

/** A clock moved by hand: timers fire when `advance` passes them. */
function manualClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      timers.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = end;
  };
  return { clock, advance };
}

describe('debounced batches', () => {
  test('a burst is one batch once it went quiet; duplicates count once', () => {
    const { clock, advance } = manualClock();
    const batches: string[][] = [];
    const b = new Batcher((p) => batches.push(p), { quietMs: 100, maxWaitMs: 1000, clock });
    b.add('a');
    advance(50);
    b.add('b');
    b.add('a');
    advance(99);
    expect(batches).toEqual([]);
    advance(1);
    expect(batches).toEqual([['a', 'b']]);
    b.add('c');
    advance(100);
    expect(batches).toEqual([['a', 'b'], ['c']]);
  });

  test('a folder that never goes quiet is still sent every maxWaitMs', () => {
    const { clock, advance } = manualClock();
    const batches: string[][] = [];
    const b = new Batcher((p) => batches.push(p), { quietMs: 100, maxWaitMs: 300, clock });
    for (let i = 0; i < 10; i++) {
      b.add(`f${i}`);
      advance(50);
    }
    expect(batches.map((x) => x.length)).toEqual([6]);
    expect(batches[0]![0]).toBe('f0');
    advance(100);
    expect(batches.map((x) => x.length)).toEqual([6, 4]);
  });

  test('close drops what is pending and ignores what comes after', () => {
    const { clock, advance } = manualClock();
    const batches: string[][] = [];
    const b = new Batcher((p) => batches.push(p), { quietMs: 100, clock });
    b.add('a');
    b.close();
    b.add('b');
    advance(1000);
    expect(batches).toEqual([]);
  });
});

describe('the sync tar', () => {
  test('files and folders under their container paths, skipped children left out, gone paths listed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-sync-'));
    mkdirSync(path.join(dir, 'src/node_modules'), { recursive: true });
    writeFileSync(path.join(dir, 'src/a.txt'), 'A');
    writeFileSync(path.join(dir, 'src/node_modules/x'), 'X');
    symlinkSync('a.txt', path.join(dir, 'src/link'));
    const out = await syncArchive(
      [
        { host: path.join(dir, 'src'), container: '/app' },
        { host: path.join(dir, 'gone.txt'), container: '/app/gone.txt' },
      ],
      (h) => h.endsWith('node_modules'),
    );
    expect(out.gone).toEqual(['/app/gone.txt']);
    const entries: Array<{ name: string; type?: string | null; body: string }> = [];
    const extract = tarStream.extract();
    await new Promise<void>((resolve, reject) => {
      extract.on('entry', (h, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          entries.push({ name: h.name, type: h.type, body: Buffer.concat(chunks).toString() });
          next();
        });
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
      extract.end(out.tar);
    });
    expect(entries).toEqual([
      { name: 'app', type: 'directory', body: '' },
      { name: 'app/a.txt', type: 'file', body: 'A' },
      { name: 'app/link', type: 'symlink', body: '' },
    ]);
    expect(out.entries).toBe(3);
  });
});
