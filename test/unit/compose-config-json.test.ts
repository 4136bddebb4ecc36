// `berth config --format json` in the shape `docker compose config --format json` prints (compose-go's types
// and JSON tags): extensions, secrets and configs as references, annotations, valueless environment entries,
// limits where they were written, and env files folded into `environment` (kept with --no-env-resolution).
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { stackJson } from '../../src/compose/canonical.js';
import { load, stackDir } from './compose-helpers.js';

type Doc = {
  [k: string]: unknown;
  services: Record<string, Record<string, unknown>>;
};

const stack = [
  'name: shop',
  'x-top: {owner: team}',
  'services:',
  '  web:',
  '    image: nginx',
  '    x-svc: [1, 2]',
  '    annotations: [com.example.a=1]',
  '    env_file: [web.env, {path: opt.env, required: false}]',
  '    environment:',
  '      - SET=1',
  '      - FROM_SHELL',
  '      - NOWHERE',
  '    secrets: [pw, {source: pw, target: alt, mode: 256}]',
  '    configs: [cfg]',
  '    volumes: ["./data:/data"]',
  '    mem_limit: 512m',
  '    mem_reservation: 64m',
  '    cpus: 0.5',
  '    pids_limit: 100',
  '    scale: 2',
  '    shm_size: 1m',
  '  worker:',
  '    image: busybox',
  '    command: ["run"]',
  '    restart: always',
  '    deploy:',
  '      replicas: 3',
  '      restart_policy: {condition: on-failure, max_attempts: 2}',
  '      resources: {limits: {cpus: "1.5", memory: 1g, pids: 10}, reservations: {memory: 128m}}',
  'networks:',
  '  default:',
  '    x-net: on-call',
  'secrets:',
  '  pw: {file: ./pw.txt}',
  '  ext: {external: true}',
  'configs:',
  '  cfg: {file: ./cfg.txt, x-cfg: 1}',
  '',
].join('\n');

function config(resolveEnv = true): { doc: Doc; dir: string } {
  const files = { 'compose.yaml': stack, 'web.env': 'FILE=1\n' };
  const dir = stackDir(files);
  const s = load(files, { cwd: dir, env: { FROM_SHELL: 'sh' } });
  return { doc: JSON.parse(JSON.stringify(stackJson(s, undefined, { resolveEnv }))) as Doc, dir };
}

describe('config --format json, field by field', () => {
  test('extensions stay where they were written', () => {
    const { doc } = config();
    expect(doc['x-top']).toEqual({ owner: 'team' });
    expect(doc.services.web!['x-svc']).toEqual([1, 2]);
    expect((doc.networks as Record<string, Record<string, unknown>>).default!['x-net']).toBe('on-call');
    expect((doc.configs as Record<string, Record<string, unknown>>).cfg!['x-cfg']).toBe(1);
  });
  test('top-level secrets and configs with their engine names and absolute files', () => {
    const { doc, dir } = config();
    expect(doc.secrets).toEqual({
      ext: { external: true, name: 'ext' },
      pw: { file: path.join(dir, 'pw.txt'), name: 'shop_pw' },
    });
    expect(doc.configs).toEqual({ cfg: { file: path.join(dir, 'cfg.txt'), name: 'shop_cfg', 'x-cfg': 1 } });
  });
  test('service secrets/configs are references, not bind mounts in volumes', () => {
    const web = config().doc.services.web!;
    expect(web.secrets).toEqual([{ source: 'pw' }, { source: 'pw', target: 'alt', mode: 256 }]);
    expect(web.configs).toEqual([{ source: 'cfg' }]);
    expect((web.volumes as Array<{ target: string }>).map((v) => v.target)).toEqual(['/data']);
  });
  test('annotations, and command/entrypoint printed even when unset (null)', () => {
    const { web, worker } = config().doc.services;
    expect(web!.annotations).toEqual({ 'com.example.a': '1' });
    expect(web!.command).toBeNull();
    expect(web!.entrypoint).toBeNull();
    expect(worker!.command).toEqual(['run']);
  });
  test('environment resolved: env files folded in, a valueless entry nothing sets stays, as null', () => {
    const web = config().doc.services.web!;
    expect(web.environment).toEqual({ FILE: '1', FROM_SHELL: 'sh', NOWHERE: null, SET: '1' });
    expect(web.env_file).toBeUndefined();
  });
  test('--no-env-resolution: environment as written and env_file kept, paths absolute', () => {
    const { doc, dir } = config(false);
    const web = doc.services.web!;
    expect(web.environment).toEqual({ FROM_SHELL: null, NOWHERE: null, SET: '1' });
    expect(web.env_file).toEqual([
      { path: path.join(dir, 'web.env') },
      { path: path.join(dir, 'opt.env'), required: false },
    ]);
  });
  test('mem_limit, cpus, pids_limit, scale at the service, where they were written; sizes in bytes', () => {
    const web = config().doc.services.web!;
    expect(web).toMatchObject({
      mem_limit: '536870912',
      mem_reservation: '67108864',
      cpus: 0.5,
      pids_limit: 100,
      scale: 2,
      shm_size: '1048576',
    });
    expect(web.deploy).toBeUndefined();
  });
  test('deploy as written: replicas, resources, restart_policy; restart only where written', () => {
    const worker = config().doc.services.worker!;
    expect(worker.deploy).toEqual({
      replicas: 3,
      restart_policy: { condition: 'on-failure', max_attempts: 2 },
      resources: {
        limits: { cpus: 1.5, memory: '1073741824', pids: 10 },
        reservations: { memory: '134217728' },
      },
    });
    expect(worker.restart).toBe('always');
    expect(worker.scale).toBeUndefined();
    expect(worker.mem_limit).toBeUndefined();
  });
});
