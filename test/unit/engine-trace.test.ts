// BERTH_TRACE's wrapper: every engine call is passed through unchanged and written down with its timing;
// a failing call is written down as failed and still fails.
import { expect, test } from 'vitest';
import { traced } from '../../src/engine/trace.js';
import { FakeEngine } from '../support/fake-engine.js';

test('calls pass through, each is traced with its duration; failures are traced and rethrown', async () => {
  const f = new FakeEngine();
  const lines: string[] = [];
  const e = traced(f, (s) => {
    lines.push(s);
    return true;
  });
  try {
    expect(await e.listContainers({ labels: [] })).toEqual([]);
    await expect(e.startContainer('nosuch')).rejects.toThrow();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^berth-trace +\d+ ms +\d+ ms {2}listContainers\(\)\n$/);
    expect(lines[1]).toMatch(/startContainer\("nosuch"\) failed: /);
  } finally {
    f.close();
  }
});
