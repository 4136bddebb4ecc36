import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { LogLine } from '../../src/logs/types.js';
import { LogBuffer } from '../../src/tui/log-buffer.js';
import { type ContainerFacts, serviceRows } from '../../src/tui/model.js';
import { UiStore } from '../../src/tui/store.js';
import { logLine, stamp } from './helpers.js';

const texts = (lines: LogLine[]) => lines.map((l) => l.text);

describe('log buffer: time order across containers', () => {
  test("each container's history, read one container after the other, comes out merged by time", () => {
    const b = new LogBuffer(100);
    b.push([0, 3, 6].map((s) => logLine('web', 1, `web@${s}`, 'stdout', stamp(s))));
    b.push([1, 4, 7].map((s) => logLine('app', 1, `app@${s}`, 'stdout', stamp(s))));
    b.push([2, 5, 8].map((s) => logLine('app', 2, `app2@${s}`, 'stdout', stamp(s))));
    expect(texts(b.view(100))).toEqual([
      'web@0',
      'app@1',
      'app2@2',
      'web@3',
      'app@4',
      'app2@5',
      'web@6',
      'app@7',
      'app2@8',
    ]);
    expect(texts(b.view(3))).toEqual(['web@6', 'app@7', 'app2@8']);
  });

  test("one container's lines keep their order even when their stamps do not (stdout and stderr are stamped apart)", () => {
    const b = new LogBuffer(100);
    b.push([logLine('web', 1, 'web@5', 'stdout', stamp(5))]);
    b.push([logLine('app', 1, 'out@6', 'stdout', stamp(6)), logLine('app', 1, 'err@4', 'stderr', stamp(4))]);
    expect(texts(b.view(10))).toEqual(['web@5', 'out@6', 'err@4']);
  });

  test('a line without a timestamp stays where it arrived, and later lines are not moved before it', () => {
    const b = new LogBuffer(100);
    b.push([logLine('web', 1, 'web@5', 'stdout', stamp(5)), logLine('db', 1, 'no stamp')]);
    b.push([logLine('app', 1, 'app@1', 'stdout', stamp(1))]);
    expect(texts(b.view(10))).toEqual(['web@5', 'no stamp', 'app@1']);
  });

  test('a paused view shows the lines that had arrived, including none that arrived later with an older time', () => {
    const b = new LogBuffer(100);
    b.push([logLine('web', 1, 'web@5', 'stdout', stamp(5))]);
    const pausedAt = b.seq;
    b.push([logLine('app', 1, 'app@1', 'stdout', stamp(1)), logLine('app', 1, 'app@9', 'stdout', stamp(9))]);
    expect(texts(b.view(10, {}, pausedAt))).toEqual(['web@5']);
    expect(texts(b.view(10))).toEqual(['app@1', 'web@5', 'app@9']);
  });

  test('filters by service and by text, case-insensitively', () => {
    const b = new LogBuffer(100);
    b.push([logLine('web', 1, 'GET /'), logLine('app', 1, 'ERROR x'), logLine('app', 2, 'ok')]);
    expect(texts(b.view(10, { service: 'app' }))).toEqual(['ERROR x', 'ok']);
    expect(texts(b.view(10, { search: 'error' }))).toEqual(['ERROR x']);
  });

  test('property: whatever the containers and the batches, the latest `capacity` lines in time order, each container in its own order', () => {
    const lineArb = fc.record({ c: fc.integer({ min: 0, max: 3 }), t: fc.integer({ min: 0, max: 50 }) });
    fc.assert(
      fc.property(
        fc.array(fc.array(lineArb, { maxLength: 20 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 60 }),
        (batches, capacity) => {
          const b = new LogBuffer(capacity);
          // each container's own stamps rise, as the engine's do for one stream
          const last = new Map<number, number>();
          let n = 0;
          for (const batch of batches) {
            b.push(
              batch.map(({ c, t }) => {
                const ts = Math.max(t, last.get(c) ?? 0);
                last.set(c, ts);
                return logLine(`s${c}`, 1, String(n++), 'stdout', stamp(ts));
              }),
            );
          }
          const all = b.view(Number.MAX_SAFE_INTEGER);
          expect(all.length).toBe(Math.min(n, capacity));
          for (let i = 1; i < all.length; i++) expect(all[i]!.ts >= all[i - 1]!.ts).toBe(true);
          for (let c = 0; c < 4; c++) {
            const own = all.filter((l) => l.service === `s${c}`).map((l) => Number(l.text));
            expect(own).toEqual([...own].sort((x, y) => x - y));
          }
        },
      ),
      { seed: 20261130, numRuns: 300 },
    );
  });
});

const facts = (f: Partial<ContainerFacts> & Pick<ContainerFacts, 'id' | 'service'>): ContainerFacts => ({
  name: f.id,
  replica: 1,
  state: 'running',
  restarts: 0,
  image: 'berth/busybox:latest',
  ports: [],
  ...f,
});

describe('service rows', () => {
  test('health is that of running containers: unhealthy wins, a stopped one does not count', () => {
    const rows = serviceRows([
      facts({ id: 'a1', service: 'app', health: 'healthy' }),
      facts({ id: 'a2', service: 'app', health: 'unhealthy', state: 'exited' }),
      facts({ id: 'w1', service: 'web', health: 'healthy', state: 'exited' }),
      facts({ id: 'd1', service: 'db', health: 'starting' }),
      facts({ id: 'd2', service: 'db', health: 'unhealthy' }),
    ]);
    expect(Object.fromEntries(rows.map((r) => [r.name, r.health]))).toEqual({
      app: 'healthy',
      web: undefined,
      db: 'unhealthy',
    });
  });

  test("restarts are the containers' engine counts, summed per service", () => {
    const rows = serviceRows([
      facts({ id: 'a1', service: 'app', restarts: 2 }),
      facts({ id: 'a2', service: 'app', replica: 2, restarts: 3, state: 'exited' }),
      facts({ id: 'w1', service: 'web' }),
    ]);
    expect(rows.map((r) => [r.name, r.restarts])).toEqual([
      ['app', 5],
      ['web', 0],
    ]);
  });
});

describe('store', () => {
  const store = () => new UiStore({ stack: 's', project: 's', engine: 'test' });

  test('start events do not count as restarts; the count an inspect reads replaces what was known', () => {
    const s = store();
    const ev = (action: string, ms: number) => ({
      action,
      id: 'c1',
      name: 's-app-1',
      service: 'app',
      replica: 1,
      timeNano: BigInt(ms) * 1_000_000n,
      attributes: { image: 'img' },
    });
    s.event(ev('create', 1));
    for (let i = 0; i < 3; i++) {
      s.event(ev('start', 10 + i));
      s.event(ev('die', 20 + i));
    }
    s.event(ev('start', 30));
    expect(s.rows()[0]!.restarts).toBe(0);
    s.upsert(facts({ id: 'c1', service: 'app', restarts: 4 }));
    expect(s.rows()[0]!.restarts).toBe(4);
    // `docker restart` (or `r`) resets the engine's count, and the UI shows what the engine says
    s.upsert(facts({ id: 'c1', service: 'app', restarts: 0 }));
    expect(s.rows()[0]!.restarts).toBe(0);
  });

  test('status: a pending message survives clearing; a finished one is cleared, but only if still current', () => {
    const s = store();
    s.setStatus('restarting app…', true);
    s.clearStatus();
    expect(s.status).toBe('restarting app…');
    s.setStatus('restarting app: done');
    const serial = s.statusSerial;
    s.setStatus('stopping db: done');
    s.clearStatus(serial); // a timer started for the older message
    expect(s.status).toBe('stopping db: done');
    s.clearStatus();
    expect(s.status).toBe('');
  });
});
