// Test hooks: a point in an operation where an e2e test can act between two of berth's steps (e.g. take a port
// after the pre-check). Honoured only when its variable is set; the value is a path berth reads to its end,
// so a fifo makes berth wait until the test has done its part and closed it.
import { readFile } from 'node:fs/promises';

export type TestHook = 'BERTH_TEST_HOOK_AFTER_PREFLIGHT';

export async function testHook(name: TestHook): Promise<void> {
  const path = process.env[name];
  if (path) await readFile(path);
}
