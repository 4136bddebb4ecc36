// What the adapter makes of Podman's compat API answers (src/engine/podman.ts, errors.ts): recognising the
// engine, when to run a healthcheck Podman's missing systemd timers did not, and Podman's 500s that mean 409.
import { describe, expect, test } from 'vitest';
import { engineErrorOfStatus } from '../../src/engine/errors.js';
import { commitChanges } from '../../src/engine/exec.js';
import {
  describeProduct,
  healthOfLibpodStatus,
  healthcheckDue,
  infoOfPing,
  matchesLabels,
  productOf,
  productOfPing,
} from '../../src/engine/podman.js';

// `/version` as podman 4.3.1 and dockerd 20.10.24 answer it (trimmed)
const podmanVersion = {
  Version: '4.3.1',
  ApiVersion: '1.41',
  Components: [
    { Name: 'Podman Engine', Version: '4.3.1' },
    { Name: 'Conmon', Version: 'conmon version 2.1.6' },
  ],
};
const dockerVersion = {
  Version: '20.10.24+dfsg1',
  ApiVersion: '1.41',
  Components: [{ Name: 'Engine', Version: '20.10.24+dfsg1' }, { Name: 'containerd' }],
};

describe('which engine answers', () => {
  test('from /version components', () => {
    expect(productOf(podmanVersion)).toBe('podman');
    expect(productOf(dockerVersion)).toBe('docker');
    expect(productOf({ Version: '19.03' })).toBe('docker');
    expect(describeProduct(podmanVersion)).toBe('podman 4.3.1');
    expect(describeProduct(dockerVersion)).toBe('docker 20.10.24+dfsg1');
  });

  test('from the ping headers (node lower-cases them); unknown when the client did not see them', () => {
    expect(productOfPing({ 'api-version': '1.41', 'libpod-api-version': '4.3.1' })).toBe('podman');
    expect(productOfPing({ 'api-version': '1.41', server: 'Docker/20.10.24 (linux)' })).toBe('docker');
    expect(productOfPing(undefined)).toBeUndefined();
    // the UI's header and the API version without /version and /info, which take seconds on Podman
    expect(infoOfPing({ 'api-version': '1.41', 'libpod-api-version': '4.3.1' })).toEqual({
      version: 'podman 4.3.1',
      apiVersion: '1.41',
    });
    expect(infoOfPing({ 'api-version': '1.41', server: 'Docker/20.10.24 (linux)' })).toBeUndefined();
    expect(infoOfPing({ 'libpod-api-version': '4.3.1' })).toBeUndefined();
    expect(infoOfPing(undefined)).toBeUndefined();
  });
});

describe('driving healthchecks', () => {
  const second = 1e9;
  test('due one interval after the start, then one interval after each run', () => {
    expect(healthcheckDue(10_500, 10_000, undefined, second)).toBe(false);
    expect(healthcheckDue(11_000, 10_000, undefined, second)).toBe(true);
    expect(healthcheckDue(11_500, 10_000, 11_000, second)).toBe(false);
    expect(healthcheckDue(12_000, 10_000, 11_000, second)).toBe(true);
  });

  test("the engine's default interval (30 s) when the container has none; due at once without a start time", () => {
    expect(healthcheckDue(29_000, 0, undefined, undefined)).toBe(false);
    expect(healthcheckDue(30_000, 0, undefined, 0)).toBe(true);
    expect(healthcheckDue(5, undefined, undefined, second)).toBe(true);
  });

  test("libpod's status words are berth's health", () => {
    expect(healthOfLibpodStatus('healthy')).toBe('healthy');
    expect(healthOfLibpodStatus('unhealthy')).toBe('unhealthy');
    expect(healthOfLibpodStatus('starting')).toBe('starting');
    expect(healthOfLibpodStatus('')).toBeUndefined();
    expect(healthOfLibpodStatus(undefined)).toBeUndefined();
  });
});

describe("Podman's 500s that are conflicts", () => {
  test('a name in use, an existing network, a container in the wrong state', () => {
    for (const m of [
      'container create: creating container storage: the container name "x" is already in use by abc. You have to remove that container to be able to reuse that name: that name is already in use',
      'network name x already used: network already exists',
      '"exited" is not running, can\'t pause: container state improper',
    ])
      expect(engineErrorOfStatus(500, m).kind).toBe('conflict');
  });

  test('other 500s stay failures; 409 is a conflict as before', () => {
    expect(engineErrorOfStatus(500, 'runc create failed').kind).toBe('failed');
    expect(engineErrorOfStatus(409, 'Conflict. The container name "/x" is already in use').kind).toBe(
      'conflict',
    );
  });
});

describe('snapshots on Podman', () => {
  test('a commit applies one LABEL line per label (Podman reads a multi-label LABEL as one label)', () => {
    expect(
      commitChanges({ 'dev.berth.project': 'p', 'dev.berth.snapshot-time': '2026-11-30T12:00:00.000Z' }),
    ).toEqual(['LABEL dev.berth.project="p"', 'LABEL dev.berth.snapshot-time="2026-11-30T12:00:00.000Z"']);
    expect(commitChanges({})).toEqual([]);
  });

  test('the image list is filtered here by every selector after the first', () => {
    const labels = { 'dev.berth.snapshot-time': 't', 'dev.berth.stack': 'shop', 'dev.berth.service': '' };
    expect(matchesLabels(labels, ['dev.berth.stack=shop', 'dev.berth.snapshot-time'])).toBe(true);
    expect(matchesLabels(labels, ['dev.berth.service'])).toBe(true);
    expect(matchesLabels(labels, ['dev.berth.service='])).toBe(true);
    expect(matchesLabels(labels, ['dev.berth.stack=other'])).toBe(false);
    expect(matchesLabels(labels, ['dev.berth.client'])).toBe(false);
    expect(matchesLabels(null, ['dev.berth.stack'])).toBe(false);
    expect(matchesLabels(null, [])).toBe(true);
  });
});
