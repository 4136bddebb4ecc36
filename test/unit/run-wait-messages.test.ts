import { describe, expect, it } from 'vitest';
import type { LiveState } from '../../src/executor/wait.js';
import { waitFailureMessage } from '../../src/executor/conditions.js';
import { WaitFailed, WaitTimedOut } from '../../src/executor/wait.js';
import { container } from './stack-factory.js';

const state = (s: Partial<LiveState>): LiveState => ({
  ...container({ service: 'app', replica: 1 }),
  restarts: 0,
  tty: false,
  running: true,
  status: 'running',
  exitCode: 0,
  hasHealthcheck: true,
  restarting: false,
  ...s,
});

describe('waitFailureMessage', () => {
  it('says what a timed-out wait was waiting for, and where the container got to', () => {
    const err = new WaitTimedOut(state({ health: 'starting' }));
    expect(waitFailureMessage('db', 'p-db-1', 'service_healthy', err)).toBe(
      'service "db" (p-db-1) did not become healthy in time (starting)',
    );
    const plain = new WaitTimedOut(state({ hasHealthcheck: false }));
    expect(waitFailureMessage('web', 'p-web-1', 'ready', plain)).toBe(
      'service "web" (p-web-1) did not become ready in time (running)',
    );
    expect(waitFailureMessage('mig', 'p-mig-1', 'service_completed_successfully', plain)).toBe(
      'service "mig" (p-mig-1) did not become done in time (running)',
    );
    expect(waitFailureMessage('x', 'p-x-1', 'ready', new WaitTimedOut(undefined))).toMatch(
      /in time \(gone\)$/,
    );
  });

  it('names the reason a condition failed', () => {
    const msg = (what: Parameters<typeof waitFailureMessage>[2], s?: Partial<LiveState>) =>
      waitFailureMessage('db', 'p-db-1', what, new WaitFailed(s ? state(s) : undefined));
    expect(msg('service_healthy')).toBe('service "db": container p-db-1 disappeared');
    expect(msg('service_healthy', { health: 'unhealthy' })).toBe('service "db" is unhealthy (p-db-1)');
    expect(msg('service_healthy', { hasHealthcheck: false, running: false })).toBe(
      'service "db" has no healthcheck, but a dependency waits for it to be healthy',
    );
    expect(msg('service_completed_successfully', { running: false, exitCode: 3 })).toBe(
      'service "db" exited with code 3 (p-db-1)',
    );
    expect(msg('service_completed_successfully', {})).toBe(
      'service "db" failed its condition service_completed_successfully (p-db-1)',
    );
  });
});
