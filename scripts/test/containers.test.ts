// There is no Docker engine here, so the container files are checked by reading them: the compose
// file must parse, wire every service to what it needs, and agree with the Dockerfile and the code.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SUBGRAPHS, variables } from '@assay/kit/operations';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const APP_SERVICES = ['scoring', 'review', 'failure-catalog', 'gateway'];

interface ComposeService {
  build?: { context: string; args: Record<string, string> };
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

describe('docker-compose.yml and Dockerfile (read, not run: no Docker engine here)', () => {
  test('has PostgreSQL and the four services, each built from the one Dockerfile with its SERVICE', () => {
    assert.ok(compose.services.postgres, 'a postgres service');
    for (const name of APP_SERVICES) {
      const service = compose.services[name];
      assert.ok(service, `service ${name}`);
      assert.equal(service.build?.args.SERVICE, name);
      assert.ok(existsSync(join(ROOT, 'services', name, 'src', 'main.ts')), `${name} has an entry point`);
    }
  });

  test('health checks every service, and starts each only after what it needs is healthy', () => {
    assert.ok(compose.services.postgres!.healthcheck, 'postgres healthcheck');
    for (const name of APP_SERVICES) {
      const service = compose.services[name]!;
      assert.match(service.healthcheck?.test.join(' ') ?? '', /readyz/, `${name} checks /readyz`);
      const port = service.environment?.HEALTH_PORT;
      assert.ok(port, `${name} sets HEALTH_PORT`);
      const portVariable = SUBGRAPHS.find((s) => s.name === name)?.portVariable ?? 'ASSAY_GATEWAY_PORT';
      assert.equal(service.environment?.[portVariable], port, `${name} listens where it is checked`);
    }
    for (const subgraph of SUBGRAPHS) {
      const service = compose.services[subgraph.name]!;
      assert.equal(service.depends_on?.postgres?.condition, 'service_healthy');
      assert.ok(service.environment?.DATABASE_URL, `${subgraph.name} gets DATABASE_URL`);
      const gatewayUrl = compose.services.gateway!.environment?.[subgraph.urlVariable];
      assert.equal(gatewayUrl, `http://${subgraph.name}:${service.environment?.HEALTH_PORT}/graphql`);
      assert.equal(compose.services.gateway!.depends_on?.[subgraph.name]?.condition, 'service_healthy');
    }
  });

  test('sets only configuration variables the services know', () => {
    const known = new Set([...Object.keys(variables), 'HEALTH_PORT', 'OTEL_EXPORTER_OTLP_ENDPOINT']);
    for (const name of APP_SERVICES) {
      for (const variable of Object.keys(compose.services[name]!.environment ?? {})) {
        assert.ok(known.has(variable), `${name}: unknown variable ${variable}`);
      }
    }
  });

  test('each subgraph keeps its write spool on a named volume', () => {
    for (const name of ['scoring', 'review', 'failure-catalog']) {
      const mount = (compose.services[name]!.volumes ?? []).find((v) => v.endsWith(':/app/.assay'));
      assert.ok(mount, `${name} mounts a volume on ASSAY_DATA_DIR (/app/.assay)`);
      assert.ok(mount.split(':')[0]! in (compose.volumes ?? {}), `${name}: ${mount} is a declared volume`);
    }
    assert.match(dockerfile, /ASSAY_DATA_DIR=\/app\/\.assay/);
  });

  test('mounts only files that exist in the repository', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) assert.ok(existsSync(join(ROOT, source)), `${name} mounts ${source}`);
      }
    }
  });

  test('the Dockerfile is multi-stage, takes SERVICE, and runs as a non-root user with exec', () => {
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
    assert.match(dockerfile, /^ARG SERVICE$/m);
    assert.match(dockerfile, /^USER (?!root)\w+/m);
    assert.match(dockerfile, /^HEALTHCHECK /m);
    assert.match(
      dockerfile,
      /exec node --import \.\/services\/kit\/register\.mjs services\/\$SERVICE\/src\/main\.ts/,
    );
  });
});
