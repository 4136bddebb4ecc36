import { describe, expect, test } from 'vitest';
import { isStale, LockLabel } from '../../src/ops/lock.js';
import { findForeign, foreignOwner, ownershipError } from '../../src/plan/ownership.js';

const stack = { project: 'shop-acme', name: 'shop', client: 'acme', files: ['/a/berth.yaml'] };
const labels = (l: Record<string, string>) => ({
  'dev.berth.project': 'shop-acme',
  'dev.berth.stack': 'shop',
  'dev.berth.client': 'acme',
  'dev.berth.file': '/a/berth.yaml',
  ...l,
});

describe('foreignOwner', () => {
  test('what this stack made is ours; an older berth without a stack label too', () => {
    expect(foreignOwner(stack, labels({}))).toBeUndefined();
    expect(foreignOwner(stack, { 'dev.berth.project': 'shop-acme' })).toBeUndefined();
  });
  test('stack `shop-acme` and stack `shop` with client `acme` never meet', () => {
    const other = { project: 'shop-acme', name: 'shop-acme', files: ['/b/compose.yaml'] };
    expect(foreignOwner(other, labels({}))?.owner).toBe('stack shop (client acme)');
    expect(
      foreignOwner(stack, labels({ 'dev.berth.stack': 'shop-acme', 'dev.berth.client': '' }))?.owner,
    ).toBe('stack shop-acme');
  });
  test('another file of the same folder (-f other.yaml, an override) is the same checkout', () => {
    expect(foreignOwner(stack, labels({ 'dev.berth.file': '/a/without-web.yaml' }))).toBeUndefined();
  });
  test('another checkout, another project, no labels, Compose', () => {
    expect(foreignOwner(stack, labels({ 'dev.berth.file': '/b/berth.yaml' }))).toEqual({
      owner: 'the checkout at /b/berth.yaml',
      otherCheckout: '/b/berth.yaml',
    });
    expect(foreignOwner(stack, labels({ 'dev.berth.project': 'x' }))?.owner).toMatch(/^project x/);
    expect(foreignOwner(stack, {})?.owner).toBe('something without berth labels');
    expect(foreignOwner(stack, { 'com.docker.compose.project': 'p' })?.owner).toBe(
      'Docker Compose project p',
    );
  });
  test('the error names the owning checkout and how to rename', () => {
    const f = findForeign(stack, [
      { kind: 'container', name: 'shop-acme-web-1', labels: labels({ 'dev.berth.file': '/b/berth.yaml' }) },
      { kind: 'container', name: 'shop-acme-web-1', labels: labels({ 'dev.berth.file': '/b/berth.yaml' }) },
    ]);
    expect(f).toHaveLength(1);
    const e = ownershipError(stack, f, 'use');
    expect(e.message).toMatch(/^project shop-acme is owned by the checkout at \/b\/berth.yaml/);
    expect(e.exitCode).toBe(1);
    expect(e.hint).toMatch(/-p NAME use.*COMPOSE_PROJECT_NAME.*name:.*--force/);
  });
});

describe('isStale', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const lock = (host: string, pid: number, since: string) => ({
    [LockLabel.host]: host,
    [LockLabel.pid]: String(pid),
    [LockLabel.since]: since,
  });
  test('on this host: stale exactly when the pid is gone, however old', () => {
    expect(isStale(lock('h', 5, '2020-01-01T00:00:00Z'), now, 'h', () => true)).toBe(false);
    expect(isStale(lock('h', 5, '2026-01-01T00:09:59Z'), now, 'h', () => false)).toBe(true);
  });
  test('on another host: stale after the deadline', () => {
    expect(isStale(lock('other', 5, '2026-01-01T00:09:00Z'), now, 'h', () => false)).toBe(false);
    expect(isStale(lock('other', 5, '2025-12-31T23:59:00Z'), now, 'h', () => true)).toBe(true);
    expect(isStale({}, now, 'h')).toBe(true);
  });
});
