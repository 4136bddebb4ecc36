// The watch operation on the in-memory fake engine, with real files and the real watcher: a changed file is
// sent as a tar extracted at `/` into every replica, a deleted one is removed with `rm -rf`, a sync+restart
// restarts the replicas, and an aborted signal ends the watch.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { afterEach, describe, expect, test } from 'vitest';
import { watch } from '../../src/ops/watch.js';
import { FakeEngine } from '../support/fake-engine.js';
import { service, stack } from './stack-factory.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function names(tar: Buffer): Promise<string[]> {
  const out: string[] = [];
  const x = tarStream.extract();
  await new Promise<void>((resolve, reject) => {
    x.on('entry', (h, s, next) => {
      out.push(h.name);
      s.resume();
      s.on('end', next);
    });
    x.on('finish', resolve);
    x.on('error', reject);
    x.end(tar);
  });
  return out;
}

describe('watch on the fake engine', () => {
  test('sync into every replica, delete, sync+restart, and stop on abort', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-watch-'));
    mkdirSync(path.join(dir, 'src'));
    mkdirSync(path.join(dir, 'conf'));
    const f = new FakeEngine();
    f.addImage('berth/busybox:latest');
    cleanups.push(() => {
      f.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const s = stack([
      service('app', {
        replicas: 2,
        watch: [
          {
            path: path.join(dir, 'src'),
            action: 'sync',
            target: '/app',
            ignore: ['*.tmp'],
            initial_sync: false,
          },
          {
            path: path.join(dir, 'conf'),
            action: 'sync+restart',
            target: '/etc/app',
            ignore: [],
            initial_sync: false,
          },
        ],
      }),
    ]);
    const ac = new AbortController();
    const lines: string[] = [];
    let ready = false;
    const done = watch({ engine: f, signal: ac.signal }, s, {
      onLog: (l) => lines.push(l),
      onReady: () => {
        ready = true;
      },
      batch: { quietMs: 50, maxWaitMs: 500 },
    });
    done.catch(() => {});
    await until('the watcher', () => ready);
    const replicas = f
      .list()
      .map((c) => c.name)
      .sort();
    expect(replicas).toEqual(['demo-app-1', 'demo-app-2']);

    writeFileSync(path.join(dir, 'src/a.py'), 'print(1)\n');
    writeFileSync(path.join(dir, 'src/b.tmp'), 'ignored\n');
    await until('the copy', () => replicas.every((r) => f.copiedInto(r).length === 1));
    for (const r of replicas) {
      expect(f.copiedInto(r)[0]!.path).toBe('/');
      expect(await names(f.copiedInto(r)[0]!.tar)).toEqual(['app/a.py']);
    }
    expect(lines).toContain('Syncing service "app" after 1 changed file');

    unlinkSync(path.join(dir, 'src/a.py'));
    await until('the deletion', () => f.callsOf(['check']).length === 2);
    expect(f.callsOf(['check']).map((c) => c.args[1])).toEqual([
      ['rm', '-rf', '/app/a.py'],
      ['rm', '-rf', '/app/a.py'],
    ]);

    writeFileSync(path.join(dir, 'conf/app.ini'), 'x=1\n');
    await until('the restarts', () => f.callsOf(['restartContainer']).length === 2);
    expect(lines).toContain('Restarting service "app"');

    ac.abort();
    await done;
    // nothing more happens once the watch ended
    writeFileSync(path.join(dir, 'src/late.py'), 'x\n');
    await new Promise((r) => setTimeout(r, 300));
    expect(f.copiedInto('demo-app-1').length).toBe(2);
  }, 60_000);

  test('a rebuild rule on a service without build, or a missing path, stops it before anything is done', async () => {
    const f = new FakeEngine();
    cleanups.push(() => f.close());
    const bad = (w: NonNullable<ReturnType<typeof service>['watch']>) =>
      watch({ engine: f }, stack([service('app', { watch: w })]), { onLog: () => {} });
    await expect(
      bad([{ path: tmpdir(), action: 'rebuild', ignore: [], initial_sync: false }]),
    ).rejects.toThrow(/action `rebuild` needs a `build:` section/);
    await expect(
      bad([{ path: '/nonexistent/berth', action: 'restart', ignore: [], initial_sync: false }]),
    ).rejects.toThrow(/watch path \/nonexistent\/berth does not exist/);
    await expect(watch({ engine: f }, stack([service('app')]), { onLog: () => {} })).rejects.toThrow(
      /none of the selected services is configured for watch/,
    );
    expect(f.callsOf(['createContainer'])).toEqual([]);
  });
});
