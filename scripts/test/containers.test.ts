// There is no Docker engine here, so the container files are checked by reading them: the compose
// file must parse, wire every service to what it needs, and agree with the Dockerfile and the code.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SUBGRAPHS, variables } from '@assay/kit/operations';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const APP_SERVICES = ['scoring', 'review', 'failure-catalog', 'gateway'];
/** The compose one-shot that makes sure there is an API key before the gateway starts. */
const KEY_SERVICE = 'gateway-key';

interface ComposeService {
  build?: { context: string; args: Record<string, string> };
  image?: string;
  command?: string[];
  restart?: string;
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
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
      assert.match(service.healthcheck?.test?.join(' ') ?? '', /readyz/, `${name} checks /readyz`);
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
    for (const name of [...APP_SERVICES, KEY_SERVICE]) {
      for (const variable of Object.keys(compose.services[name]!.environment ?? {})) {
        assert.ok(known.has(variable), `${name}: unknown variable ${variable}`);
      }
    }
  });

  test('every service gets ASSAY_CONTEXT_SECRET from the environment, required, never a value', () => {
    for (const name of APP_SERVICES) {
      const value = compose.services[name]!.environment?.ASSAY_CONTEXT_SECRET;
      // `${VAR:?message}`: compose stops with the message when it is unset or empty, so no service
      // starts without it, and the file holds no secret of its own.
      assert.match(value ?? '', /^\$\{ASSAY_CONTEXT_SECRET:\?[^}]+\}$/, `${name}: ${value}`);
    }
  });

  test('the gateway reads the API keys from the same database as the subgraphs', () => {
    const url = compose.services.gateway!.environment?.DATABASE_URL;
    assert.ok(url, 'gateway gets DATABASE_URL');
    for (const subgraph of SUBGRAPHS)
      assert.equal(compose.services[subgraph.name]!.environment?.DATABASE_URL, url);
    assert.equal(compose.services[KEY_SERVICE]!.environment?.DATABASE_URL, url);
  });

  test('a one-shot makes the first API key, and the gateway starts only once it has succeeded', () => {
    const gateway = compose.services.gateway!;
    const oneShot = compose.services[KEY_SERVICE];
    assert.ok(oneShot, `a ${KEY_SERVICE} service`);
    assert.equal(gateway.depends_on?.[KEY_SERVICE]?.condition, 'service_completed_successfully');
    // The gateway's image, built the same way, so `docker compose up --build` has it either way.
    assert.equal(oneShot.image, gateway.image);
    assert.deepEqual(oneShot.build, gateway.build);
    assert.equal(oneShot.depends_on?.postgres?.condition, 'service_healthy');
    // It exits when done: a restart policy would run it again and again (and the gateway's
    // unless-stopped is not for it); the image's HTTP health check cannot pass.
    assert.ok(oneShot.restart === undefined || oneShot.restart === 'no', `restart: ${oneShot.restart}`);
    assert.equal(oneShot.healthcheck?.disable, true);
    const command = oneShot.command ?? [];
    assert.deepEqual(command.slice(0, 3), ['node', '--import', './services/kit/register.mjs']);
    const entry = command[3]!;
    assert.match(entry, /^services\/gateway\/src\/[\w-]+\.ts$/, 'an entry point in the gateway image');
    assert.ok(existsSync(join(ROOT, entry)), `${entry} exists`);
    // The key is kept beside the data: a named volume, so the next `up` finds it instead of making another.
    const mount = (oneShot.volumes ?? []).find((v) => v.endsWith(':/app/.assay'));
    assert.ok(mount, `${KEY_SERVICE} mounts a volume on ASSAY_DATA_DIR (/app/.assay)`);
    assert.ok(mount.split(':')[0]! in (compose.volumes ?? {}), `${mount} is a declared volume`);
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

  test('the image has scripts/keys.ts and every script it imports, so keys can be made in a container', () => {
    const copied = new Set(
      [...dockerfile.matchAll(/^COPY (?!--from)(.+) \.\/scripts\/$/gm)].flatMap((m) => m[1]!.split(/\s+/)),
    );
    assert.ok(copied.has('scripts/keys.ts'), 'COPY scripts/keys.ts ... ./scripts/');
    const keys = readFileSync(join(ROOT, 'scripts', 'keys.ts'), 'utf8');
    for (const [, local] of keys.matchAll(/from '\.\/([^']+)'/g)) {
      assert.ok(copied.has(`scripts/${local}`), `keys.ts imports ./${local}, which the image must have`);
    }
    const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    assert.ok(
      !dockerignore.some((line) => /^\/?scripts\/?$/.test(line.trim())),
      'scripts/ is in the build context',
    );
  });
});

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: {
    template?: {
      spec: { containers: { name: string; image: string; command?: string[]; env?: EnvVar[] }[] };
    };
  };
  stringData?: Record<string, string>;
}
const K8S = join(ROOT, 'deploy', 'k8s');
const manifests = new Map<string, Manifest[]>(
  readdirSync(K8S)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => [
      file,
      parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => d.toJSON() as Manifest),
    ]),
);
const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const containers = (file: string) =>
  (manifests.get(file) ?? []).flatMap((m) =>
    (m.spec?.template?.spec.containers ?? []).map((c) => ({ manifest: m, container: c })),
  );
const envOf = (file: string, name: string) => {
  const found = containers(file).find(({ container }) => container.name === name);
  assert.ok(found, `${file} has a ${name} container`);
  return new Map((found.container.env ?? []).map((e) => [e.name, e]));
};
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|API_KEY|DATABASE_URL/;

describe('deploy/k8s (read, not applied: no cluster here)', () => {
  test('every service gets ASSAY_CONTEXT_SECRET from the assay-context Secret, required', () => {
    for (const name of APP_SERVICES) {
      const env = envOf(`${name}.yaml`, name).get('ASSAY_CONTEXT_SECRET');
      assert.ok(env, `${name} gets ASSAY_CONTEXT_SECRET`);
      assert.equal(env.value, undefined, `${name}: not a literal value`);
      assert.deepEqual(env.valueFrom?.secretKeyRef, { name: 'assay-context', key: 'secret' }, name);
    }
  });

  test('every service, the gateway too, gets DATABASE_URL from the assay-database Secret', () => {
    for (const name of APP_SERVICES) {
      const env = envOf(`${name}.yaml`, name).get('DATABASE_URL');
      assert.deepEqual(env?.valueFrom?.secretKeyRef, { name: 'assay-database', key: 'url' }, name);
    }
  });

  test('no manifest holds a secret: credentials come from Secrets, which the kustomization never lists', () => {
    for (const [file, docs] of manifests) {
      if (file === 'secret.example.yaml') continue;
      for (const doc of docs) assert.notEqual(doc.kind, 'Secret', `${file} defines a Secret`);
      for (const { container } of containers(file)) {
        for (const env of container.env ?? []) {
          if (SECRET_NAME.test(env.name)) {
            assert.equal(env.value, undefined, `${file}: ${env.name} is a literal`);
            assert.ok(env.valueFrom?.secretKeyRef, `${file}: ${env.name} comes from a Secret`);
          }
          // A URL with a password in it, whatever the variable is called.
          assert.doesNotMatch(env.value ?? '', /:\/\/[^/@\s]+:[^/@\s]+@/, `${file}: ${env.name}`);
        }
      }
    }
    assert.ok(!kustomization.resources.includes('secret.example.yaml'));
  });

  test('secret.example.yaml shows every Secret key the manifests read, with placeholders only', () => {
    const examples = new Map(
      (manifests.get('secret.example.yaml') ?? []).map((s) => [s.metadata.name, s.stringData ?? {}]),
    );
    for (const [file] of manifests) {
      for (const { container } of containers(file)) {
        for (const env of container.env ?? []) {
          const ref = env.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const value = examples.get(ref.name)?.[ref.key];
          assert.ok(value !== undefined, `${file}: ${ref.name}/${ref.key} is in secret.example.yaml`);
          assert.match(value, /CHANGE-ME/, `${ref.name}/${ref.key} is a placeholder`);
        }
      }
    }
  });

  test('the first-key Job runs scripts/keys.ts from the gateway image, outside the kustomization', () => {
    const file = 'first-key.job.yaml';
    const job = (manifests.get(file) ?? []).find((m) => m.kind === 'Job');
    assert.ok(job, `${file} is a Job`);
    // Listed there, every `kubectl apply -k` would make another admin key.
    assert.ok(!kustomization.resources.includes(file));
    const container = containers(file)[0]?.container;
    assert.ok(container, `${file} has a container`);
    const gateway = containers('gateway.yaml').find(({ container: c }) => c.name === 'gateway')!.container;
    assert.equal(container.image, gateway.image);
    const command = container.command ?? [];
    assert.deepEqual(command.slice(0, 5), [
      'node',
      '--import',
      './services/kit/register.mjs',
      'scripts/keys.ts',
      'create',
    ]);
    assert.match(
      dockerfile,
      /^COPY (?!--from).*\bscripts\/keys\.ts\b.* \.\/scripts\/$/m,
      'the image has keys.ts',
    );
    assert.deepEqual(envOf(file, 'keys').get('DATABASE_URL')?.valueFrom?.secretKeyRef, {
      name: 'assay-database',
      key: 'url',
    });
  });
});
