// Shapes of Compose files as people write them (none of these are in the corpus): each must load cleanly.
import { describe, expect, test } from 'vitest';
import { buildGraph, startOrder } from '../../src/graph/index.js';
import { load } from './compose-helpers.js';

const files: Record<string, string> = {
  traefik: `services:
  traefik:
    image: traefik:v3.0
    command:
      - "--providers.docker=true"
      - "--entrypoints.web.address=:80"
    ports: ["80:80", "8080:8080"]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
  whoami:
    image: traefik/whoami
    labels:
      - "traefik.http.routers.whoami.rule=Host(\`whoami.localhost\`)"
`,
  wordpress: `version: '3.1'
services:
  wordpress:
    image: wordpress
    restart: always
    ports:
      - 8080:80
    environment:
      WORDPRESS_DB_HOST: db
      WORDPRESS_DB_USER: exampleuser
    volumes:
      - wordpress:/var/www/html
  db:
    image: mysql:8.0
    restart: always
    environment:
      MYSQL_RANDOM_ROOT_PASSWORD: '1'
    volumes:
      - db:/var/lib/mysql
volumes:
  wordpress:
  db:
`,
  devcontainer: `services:
  app:
    build:
      context: .
      dockerfile: .devcontainer/Dockerfile
      args:
        - NODE_VERSION=20
    volumes:
      - ..:/workspaces:cached
      - node_modules:/workspaces/app/node_modules
    command: sleep infinity
    network_mode: service:db
    cap_add: [SYS_PTRACE]
    security_opt: [seccomp:unconfined]
  db:
    image: postgres:latest
    restart: unless-stopped
    environment:
      POSTGRES_PASSWORD: postgres
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 5s
      timeout: 5s
      retries: 5
volumes:
  node_modules: {}
`,
  monitoring: `x-defaults: &defaults
  restart: unless-stopped
  logging:
    driver: "json-file"
    options: { max-size: "1m" }
services:
  prometheus:
    <<: *defaults
    image: prom/prometheus:latest
    command: --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.retention.time=15d
    user: "65534:65534"
    ports: ["127.0.0.1:9090:9090"]
    extra_hosts:
      host.docker.internal: host-gateway
  node-exporter:
    <<: *defaults
    image: prom/node-exporter
    pid: host
    network_mode: host
    read_only: true
    tmpfs: /tmp
    cap_drop: [ALL]
  grafana:
    <<: *defaults
    image: grafana/grafana
    depends_on: { prometheus: { condition: service_started } }
    env_file: []
    deploy:
      mode: replicated
      replicas: 1
      resources: { limits: { cpus: '0.50', memory: 512M } }
networks:
  default:
    name: monitoring
`,
  rangesAndV6: `services:
  ftp:
    image: stilliard/pure-ftpd
    ports:
      - "21:21"
      - "30000-30009:30000-30009"
      - "[::1]:2121:21"
      - "127.0.0.1::22"
    expose: ["22", 23]
    ulimits:
      nproc: 65535
      nofile: { soft: 20000, hard: 40000 }
    stop_grace_period: 1m
    stop_signal: SIGQUIT
    init: true
    user: 1000
`,
  secretsAndProfiles: `services:
  api:
    image: ghcr.io/acme/api:\${TAG:-latest}
    secrets:
      - source: api_key
        target: /etc/api/key
        uid: 1000
        mode: 0440
    profiles: ["", "api"]
    develop:
      watch:
        - path: ./src
          action: rebuild
  mail:
    image: mailhog/mailhog
    profiles: [tools]
    ports: [1025:1025, 8025:8025]
secrets:
  api_key:
    file: ./api_key.txt
`,
};

describe.each(Object.keys(files))('%s', (name) => {
  test('loads, validates and orders', () => {
    const s = load({ 'compose.yaml': files[name]! }, { profiles: ['api', 'tools'] });
    const order = startOrder(buildGraph(s));
    expect(order.length).toBe(Object.keys(s.services).length);
    expect(order.length).toBeGreaterThan(0);
  });
});

test('details: ranges, bare IPv6 in brackets, ephemeral host port, command string split', () => {
  const s = load({ 'compose.yaml': files.rangesAndV6! });
  const p = s.services.ftp!.ports;
  expect(p).toHaveLength(1 + 10 + 1 + 1);
  expect(p[11]).toMatchObject({ host_ip: '::1', published: '2121', target: 21 });
  expect(p[12]).toMatchObject({ host_ip: '127.0.0.1', published: undefined, target: 22 });
  expect(s.services.ftp!.stopGracePeriodMs).toBe(60_000);
  const m = load({ 'compose.yaml': files.monitoring! });
  expect(m.services.prometheus!.command).toEqual([
    '--config.file=/etc/prometheus/prometheus.yml',
    '--storage.tsdb.retention.time=15d',
  ]);
  expect(m.networks.default!.name).toBe('monitoring');
  expect(m.services.grafana!.resources.nanoCpus).toBe(5e8);
});
