import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { describeEndpoint, resolveEndpoint } from '../../src/engine/connect.js';
import { BerthError } from '../../src/errors.js';

const cfg = mkdtempSync(path.join(tmpdir(), 'berth-ctx-'));
afterAll(() => rmSync(cfg, { recursive: true, force: true }));

/** A docker CLI context as `docker context create` writes it. */
function context(name: string, host: string, opts: { skip?: boolean; tls?: boolean } = {}) {
  const id = createHash('sha256').update(name).digest('hex');
  const meta = path.join(cfg, 'contexts', 'meta', id);
  mkdirSync(meta, { recursive: true });
  writeFileSync(
    path.join(meta, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: { docker: { Host: host, SkipTLSVerify: !!opts.skip } },
    }),
  );
  if (opts.tls) {
    const tls = path.join(cfg, 'contexts', 'tls', id, 'docker');
    mkdirSync(tls, { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(tls, f), 'x');
  }
  return id;
}

const env = (e: Record<string, string>) => ({ DOCKER_CONFIG: cfg, ...e });

describe('which engine: as the docker CLI resolves it', () => {
  test('nothing set: the default socket', () => {
    expect(resolveEndpoint(env({}))).toEqual({
      kind: 'unix',
      socket: '/var/run/docker.sock',
      from: 'the default socket',
    });
  });

  test('DOCKER_HOST: unix, tcp, tcp with TLS, ssh', () => {
    expect(resolveEndpoint(env({ DOCKER_HOST: 'unix:///run/x.sock' }))).toMatchObject({
      kind: 'unix',
      socket: '/run/x.sock',
    });
    expect(resolveEndpoint(env({ DOCKER_HOST: 'tcp://10.0.0.5:2375' }))).toEqual({
      kind: 'tcp',
      host: '10.0.0.5',
      port: 2375,
      tls: undefined,
      from: 'DOCKER_HOST',
    });
    expect(
      resolveEndpoint(
        env({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }),
      ),
    ).toMatchObject({
      kind: 'tcp',
      port: 2376,
      tls: { ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem', verify: true },
    });
    // certificates without verification: DOCKER_CERT_PATH alone
    expect(resolveEndpoint(env({ DOCKER_HOST: 'tcp://h', DOCKER_CERT_PATH: '/c' }))).toMatchObject({
      port: 2376,
      tls: { verify: false },
    });
    expect(resolveEndpoint(env({ DOCKER_HOST: 'ssh://me@box:2222' }))).toMatchObject({
      kind: 'ssh',
      host: 'box',
      port: 2222,
      username: 'me',
    });
    expect(() => resolveEndpoint(env({ DOCKER_HOST: 'ftp://x' }))).toThrow(/not an engine address/);
  });

  test('DOCKER_HOST wins over DOCKER_CONTEXT and the current context', () => {
    context('far', 'tcp://192.0.2.1:2375');
    writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ currentContext: 'far' }));
    expect(resolveEndpoint(env({ DOCKER_HOST: 'unix:///a.sock', DOCKER_CONTEXT: 'far' }))).toMatchObject({
      socket: '/a.sock',
    });
  });

  test('the current context of config.json, its TLS material and SkipTLSVerify', () => {
    const id = context('secure', 'tcp://engine.example:2376', { tls: true, skip: true });
    writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ currentContext: 'secure' }));
    const ep = resolveEndpoint(env({}));
    const tls = path.join(cfg, 'contexts', 'tls', id, 'docker');
    expect(ep).toMatchObject({
      kind: 'tcp',
      host: 'engine.example',
      port: 2376,
      tls: {
        ca: path.join(tls, 'ca.pem'),
        cert: path.join(tls, 'cert.pem'),
        key: path.join(tls, 'key.pem'),
        verify: false,
      },
    });
    expect(describeEndpoint(ep)).toBe(`tcp://engine.example:2376 (docker context "secure")`);
  });

  test('DOCKER_CONTEXT over the config; "default" is the local socket', () => {
    context('sock', 'unix:///var/run/docker.sock');
    writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ currentContext: 'secure' }));
    expect(resolveEndpoint(env({ DOCKER_CONTEXT: 'sock' }))).toMatchObject({
      kind: 'unix',
      from: 'docker context "sock"',
    });
    expect(resolveEndpoint(env({ DOCKER_CONTEXT: 'default' }))).toMatchObject({
      kind: 'unix',
      socket: '/var/run/docker.sock',
    });
  });

  test('a context that does not exist is bad input naming it, not a silent fallback', () => {
    let err: unknown;
    try {
      resolveEndpoint(env({ DOCKER_CONTEXT: 'ghost' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).exitCode).toBe(2);
    expect((err as BerthError).message).toMatch(
      /docker context "ghost" \(from DOCKER_CONTEXT\) does not exist/,
    );
  });
});
